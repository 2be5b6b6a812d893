//! PostStorageService: `post-storage-service-store-post` stores a post;
//! `post-storage-service-read-posts` reads posts by id, through the post cache, in the order
//! asked. The cache is only a cache: when it fails, reads go to the store.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::Post;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StorePostInput {
    pub post: Post,
}

#[derive(Default)]
pub struct StorePost;

impl Function for StorePost {
    const NAME: &'static str = "post-storage-service-store-post";
    const ERROR: &'static str = "PostStorageServiceStorePostError";
    type Input = StorePostInput;
    /// The post as stored.
    type Output = StorePostInput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let post = &input.post;
        validate::non_empty("post.post_id", &post.post_id, 64)?;
        validate::bounded("post.text", &post.text, 4 * validate::MAX_TEXT_BYTES)?;
        if !ctx.stores().posts.insert(post).await? {
            return Err(FunctionError::Conflict {
                status: "PostAlreadyExistError",
                message: format!("post_id {} already exists", post.post_id),
            });
        }
        Ok(input)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReadPostsInput {
    #[schemars(length(max = crate::validate::MAX_LIST_ITEMS), extend("uniqueItems" = true))]
    pub post_ids: Vec<String>,
    /// Leave out ids whose post is gone and list them in `skipped`, instead of a 404: what
    /// a timeline page wants, so one dangling entry does not hide every post around it.
    #[serde(default)]
    pub skip_unknown: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReadPostsOutput {
    /// In the order of `post_ids`.
    pub posts: Vec<Arc<Post>>,
    /// With `skip_unknown`: the ids that have no post, in the order asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

#[derive(Default)]
pub struct ReadPosts;

impl Function for ReadPosts {
    const NAME: &'static str = "post-storage-service-read-posts";
    const ERROR: &'static str = "PostStorageServiceReadPostsError";
    type Input = ReadPostsInput;
    type Output = ReadPostsOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::list_len("post_ids", &input.post_ids)?;
        let ids = &input.post_ids;
        if let Some(dup) = ids
            .iter()
            .enumerate()
            .find(|(i, id)| ids[..*i].contains(id))
        {
            return Err(FunctionError::invalid(
                "post_ids",
                format!("post_id {} is repeated", dup.1),
            ));
        }
        let found = read_posts(ctx, ids).await?;
        let skipped: Vec<String> = ids
            .iter()
            .zip(&found)
            .filter(|(_, post)| post.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if !skipped.is_empty() && !input.skip_unknown {
            return Err(FunctionError::NotFound {
                status: "PostNotFoundError",
                message: format!("unknown post_ids: {}", skipped.join(", ")),
            });
        }
        Ok(ReadPostsOutput {
            posts: found.into_iter().flatten().collect(),
            skipped,
        })
    }
}

/// The post of each id, through the cache; `None` where there is none.
async fn read_posts(ctx: &Ctx, ids: &[String]) -> Result<Vec<Option<Arc<Post>>>, FunctionError> {
    let stores = ctx.stores();
    let mut found = match stores.post_cache.get_many(ids).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "post cache unavailable, reading the store");
            vec![None; ids.len()]
        }
    };
    let missing: Vec<String> = ids
        .iter()
        .zip(&found)
        .filter(|(_, p)| p.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    if !missing.is_empty() {
        let loaded = stores.posts.get_many(&missing).await?;
        let fresh: Vec<Arc<Post>> = loaded.iter().flatten().cloned().collect();
        let mut loaded = loaded.into_iter();
        for slot in found.iter_mut().filter(|p| p.is_none()) {
            *slot = loaded.next().flatten();
        }
        if let Err(e) = stores.post_cache.put_many(&fresh).await {
            tracing::warn!(error = %e, "post cache unavailable, not caching");
        }
    }
    Ok(found)
}
