//! HomeTimelineService: the posts of the people a user follows and the posts that mention
//! them, newest first (absent from the 2020 port, which stubbed it).
//! `home-timeline-service-write-home-timeline` fans a new post out to every follower of its
//! author (from `social-graph-get-followers`) and every mentioned user;
//! `home-timeline-service-read-home-timeline` reads a page of ids and posts;
//! `home-timeline-read-frontend` is the client-facing read (posts only).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::timeline::{ReadTimelineInput, ReadTimelineOutput, TimelinePostsOutput, read_page};
use crate::access::{Access, ActsFor};
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::social_graph::{GetFollowers, UserIdInput};
use crate::status;
use crate::user_id::UserId;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WriteHomeTimelineInput {
    /// The author.
    pub user_id: UserId,
    #[schemars(length(min = 1, max = 64))]
    pub post_id: String,
    #[serde(deserialize_with = "crate::integer::integral")]
    #[schemars(range(max = u64::MAX))]
    pub timestamp: u64,
    #[serde(default)]
    #[schemars(length(max = crate::validate::MAX_LIST_ITEMS))]
    pub user_mentions_id: Vec<UserId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WriteHomeTimelineOutput {
    pub post_id: String,
    /// How many home timelines received the post.
    pub home_timelines: usize,
}

#[derive(Default)]
pub struct WriteHomeTimeline;

impl Function for WriteHomeTimeline {
    const NAME: &'static str = "home-timeline-service-write-home-timeline";
    const ERROR: &'static str = "HomeTimelineServiceWriteHomeTimelineError";
    type Input = WriteHomeTimelineInput;
    type Output = WriteHomeTimelineOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::non_empty("post_id", &input.post_id, 64)?;
        validate::list_len("user_mentions_id", &input.user_mentions_id)?;
        let followers = ctx.call::<GetFollowers>(UserIdInput {
            user_id: input.user_id.clone(),
        });
        let (followers, unknown) =
            tokio::join!(followers, unknown_users(ctx, &input.user_mentions_id));
        if let Some(unknown) = unknown? {
            // Only people who exist get a home timeline: a caller cannot make the store hold
            // timelines for ids nobody has.
            return Err(FunctionError::NotFound {
                status: status::USER_ID_NOT_EXIST,
                message: format!("user_mentions_id {unknown} does not exist"),
            });
        }
        let followers = followers?.followers;
        // The union of followers and mentioned users; the author is not added (as in DSB).
        let mut owners: Vec<String> = followers.into_iter().map(|f| f.user_id).collect();
        owners.extend(input.user_mentions_id.into_iter().map(String::from));
        owners.sort_unstable();
        owners.dedup();
        if !owners.is_empty() {
            ctx.stores()
                .home_timelines
                .append(&owners, &input.post_id, input.timestamp)
                .await?;
        }
        Ok(WriteHomeTimelineOutput {
            post_id: input.post_id,
            home_timelines: owners.len(),
        })
    }
}

/// The first of `user_ids` that has no social-graph node (every registered user has one).
async fn unknown_users(ctx: &Ctx, user_ids: &[UserId]) -> Result<Option<UserId>, FunctionError> {
    if user_ids.is_empty() {
        return Ok(None);
    }
    let asked: Vec<String> = user_ids.iter().map(|id| id.to_string()).collect();
    let known = ctx.stores().social_graph.contains_many(&asked).await?;
    Ok(user_ids
        .iter()
        .zip(known)
        .find(|(_, known)| !known)
        .map(|(id, _)| id.clone()))
}

#[derive(Default)]
pub struct ReadHomeTimeline;

impl Function for ReadHomeTimeline {
    const NAME: &'static str = "home-timeline-service-read-home-timeline";
    const ERROR: &'static str = "HomeTimelineServiceReadHomeTimelineError";
    type Input = ReadTimelineInput;
    type Output = ReadTimelineOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        read_page(ctx, ctx.stores().home_timelines.as_ref(), input).await
    }
}

#[derive(Default)]
pub struct HomeTimelineReadFrontend;

impl Function for HomeTimelineReadFrontend {
    const NAME: &'static str = "home-timeline-read-frontend";
    const ERROR: &'static str = "HomeTimelineReadFrontendError";
    const ACCESS: Access = Access::User;
    type Input = ReadTimelineInput;
    type Output = TimelinePostsOutput;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::id(&input.user_id)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let page = ctx.call::<ReadHomeTimeline>(input).await?;
        Ok(page.into())
    }
}
