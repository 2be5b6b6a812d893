//! What the user timeline and the home timeline functions share: their inputs and outputs,
//! and reading a page of a timeline with its posts. A page of an unknown user is a 404; a page
//! past the end of a known user's timeline is empty; an entry whose post is gone is left out
//! of the page and counted in `skipped`.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::Ctx;
use crate::functions::post_storage::{ReadPosts, ReadPostsInput};
use crate::model::Post;
use crate::status;
use crate::store::TimelineStore;
use crate::user_id::UserId;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReadTimelineInput {
    pub user_id: UserId,
    /// First position, newest post = 0.
    #[schemars(range(min = 0))]
    #[serde(deserialize_with = "crate::integer::integral")]
    pub start: i64,
    /// One past the last position: greater than `start`, at most `start` + 1000.
    #[serde(deserialize_with = "crate::integer::integral")]
    pub stop: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReadTimelineOutput {
    pub post_ids: Vec<String>,
    /// Newest first, one per post id.
    pub posts: Vec<Arc<Post>>,
    /// How many entries of the page were left out because their post is gone.
    #[serde(default)]
    pub skipped: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TimelinePostsOutput {
    pub posts: Vec<Arc<Post>>,
    /// How many entries of the page were left out because their post is gone.
    #[serde(default)]
    pub skipped: usize,
}

impl From<ReadTimelineOutput> for TimelinePostsOutput {
    fn from(page: ReadTimelineOutput) -> Self {
        TimelinePostsOutput {
            posts: page.posts,
            skipped: page.skipped,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WriteTimelineOutput {
    pub user_id: UserId,
    pub post_id: String,
}

pub async fn read_page(
    ctx: &Ctx,
    timelines: &dyn TimelineStore,
    input: ReadTimelineInput,
) -> Result<ReadTimelineOutput, FunctionError> {
    let (start, stop) = validate::page(input.start, input.stop)?;
    let mut post_ids = timelines.range(&input.user_id, start, stop).await?;
    // A post written twice (a retried write with a new timestamp) is shown once.
    let mut seen = std::collections::HashSet::new();
    post_ids.retain(|id| seen.insert(id.clone()));
    if post_ids.is_empty() {
        // Only an empty page needs to know whether the user exists.
        if ctx
            .stores()
            .users
            .by_user_id(&input.user_id)
            .await?
            .is_none()
        {
            return Err(FunctionError::NotFound {
                status: status::USER_ID_NOT_EXIST,
                message: format!("user_id {} does not exist", input.user_id),
            });
        }
        return Ok(ReadTimelineOutput {
            post_ids,
            posts: Vec::new(),
            skipped: 0,
        });
    }
    let read = ctx
        .call::<ReadPosts>(ReadPostsInput {
            post_ids: post_ids.clone(),
            skip_unknown: true,
        })
        .await?;
    if !read.skipped.is_empty() {
        // A dangling entry (its post never stored, or lost): the page shows the rest.
        tracing::warn!(trace_id = %ctx.meta.trace_id(), skipped = ?read.skipped, "timeline entries without a post");
        let gone: std::collections::HashSet<&String> = read.skipped.iter().collect();
        post_ids.retain(|id| !gone.contains(id));
    }
    Ok(ReadTimelineOutput {
        post_ids,
        posts: read.posts,
        skipped: read.skipped.len(),
    })
}
