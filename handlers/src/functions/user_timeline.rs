//! UserTimelineService: the posts a user wrote, newest first.
//! `user-timeline-service-write-user-timeline` adds a post to its author's timeline;
//! `user-timeline-service-read-user-timeline` reads a page of ids and posts;
//! `user-timeline-read-frontend` is the client-facing read (posts only).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::timeline::{
    ReadTimelineInput, ReadTimelineOutput, TimelinePostsOutput, WriteTimelineOutput, read_page,
};
use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::user_id::UserId;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WriteUserTimelineInput {
    /// The author (`creator_id` in the 2020 port).
    #[serde(alias = "creator_id")]
    pub user_id: UserId,
    #[schemars(length(min = 1, max = 64))]
    pub post_id: String,
    #[serde(deserialize_with = "crate::integer::integral")]
    #[schemars(range(max = u64::MAX))]
    pub timestamp: u64,
}

#[derive(Default)]
pub struct WriteUserTimeline;

impl Function for WriteUserTimeline {
    const NAME: &'static str = "user-timeline-service-write-user-timeline";
    const ERROR: &'static str = "UserTimelineServiceWriteUserTimelineError";
    type Input = WriteUserTimelineInput;
    type Output = WriteTimelineOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::non_empty("post_id", &input.post_id, 64)?;
        let owners = [input.user_id.to_string()];
        ctx.stores()
            .user_timelines
            .append(&owners, &input.post_id, input.timestamp)
            .await?;
        Ok(WriteTimelineOutput {
            user_id: input.user_id,
            post_id: input.post_id,
        })
    }
}

#[derive(Default)]
pub struct ReadUserTimeline;

impl Function for ReadUserTimeline {
    const NAME: &'static str = "user-timeline-service-read-user-timeline";
    const ERROR: &'static str = "UserTimelineServiceReadUserTimelineError";
    type Input = ReadTimelineInput;
    type Output = ReadTimelineOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        read_page(ctx, ctx.stores().user_timelines.as_ref(), input).await
    }
}

#[derive(Default)]
pub struct UserTimelineReadFrontend;

impl Function for UserTimelineReadFrontend {
    const NAME: &'static str = "user-timeline-read-frontend";
    const ERROR: &'static str = "UserTimelineReadFrontendError";
    const ACCESS: Access = Access::Anyone;
    type Input = ReadTimelineInput;
    type Output = TimelinePostsOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let page = ctx.call::<ReadUserTimeline>(input).await?;
        Ok(page.into())
    }
}
