//! `compose-post-service-compose-and-upload`: stamps a post with the time, stores it
//! (`post-storage-service-store-post`), then writes the author's user timeline and the home
//! timelines of followers and mentioned users, in parallel.
//!
//! Storing comes first so that no timeline ever points at a post that does not exist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::home_timeline::{WriteHomeTimeline, WriteHomeTimelineInput};
use crate::functions::post_storage::{StorePost, StorePostInput};
use crate::functions::unique_id::check_post_type;
use crate::functions::user_timeline::{WriteUserTimeline, WriteUserTimelineInput};
use crate::ids::now_ms;
use crate::model::{Creator, Media, Post, UrlDoc, UserMention};
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposeAndUploadInput {
    pub req_id: String,
    #[schemars(length(min = 1, max = 64))]
    pub post_id: String,
    #[schemars(range(max = crate::functions::unique_id::MAX_POST_TYPE))]
    #[serde(deserialize_with = "crate::integer::integral")]
    pub post_type: u8,
    pub creator: Creator,
    #[schemars(length(max = 4 * validate::MAX_TEXT_BYTES))]
    pub text: String,
    #[serde(default)]
    pub urls: Vec<UrlDoc>,
    #[serde(default)]
    pub user_mentions: Vec<UserMention>,
    #[serde(default)]
    pub media: Vec<Media>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposeAndUploadOutput {
    pub post: Post,
}

#[derive(Default)]
pub struct ComposeAndUpload;

impl Function for ComposeAndUpload {
    const NAME: &'static str = "compose-post-service-compose-and-upload";
    const ERROR: &'static str = "ComposePostServiceComposeAndUploadError";
    type Input = ComposeAndUploadInput;
    type Output = ComposeAndUploadOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::non_empty("post_id", &input.post_id, 64)?;
        check_post_type(input.post_type)?;
        let post = Post {
            post_id: input.post_id,
            req_id: input.req_id,
            creator: input.creator,
            text: input.text,
            user_mentions: input.user_mentions,
            media: input.media,
            urls: input.urls,
            timestamp: now_ms(),
            post_type: input.post_type,
        };
        let post = ctx.call::<StorePost>(StorePostInput { post }).await?.post;

        let user_timeline = WriteUserTimelineInput {
            user_id: post.creator.user_id.clone(),
            post_id: post.post_id.clone(),
            timestamp: post.timestamp,
        };
        let home_timeline = WriteHomeTimelineInput {
            user_id: post.creator.user_id.clone(),
            post_id: post.post_id.clone(),
            timestamp: post.timestamp,
            user_mentions_id: post
                .user_mentions
                .iter()
                .map(|m| m.user_id.clone())
                .collect(),
        };
        match tokio::join!(
            ctx.call::<WriteUserTimeline>(user_timeline),
            ctx.call::<WriteHomeTimeline>(home_timeline)
        ) {
            (Ok(_), Ok(_)) => Ok(ComposeAndUploadOutput { post }),
            (user, home) => Err(FunctionError::from_callees([user.err(), home.err()])),
        }
    }
}
