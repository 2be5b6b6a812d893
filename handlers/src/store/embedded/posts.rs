//! [`PostStore`] in memory (post id → post, sharded), and the [`PostCache`] that goes with it:
//! none.

use std::sync::Arc;

use async_trait::async_trait;

use super::Embedded;
use super::log::Record;
use crate::model::Post;
use crate::store::{PostCache, PostStore, StoreResult};

#[async_trait]
impl PostStore for Embedded {
    async fn insert(&self, post: &Post) -> StoreResult<bool> {
        {
            let mut shard = self.posts.write(&post.post_id);
            if shard.contains_key(&post.post_id) {
                return Ok(false);
            }
            shard.insert(post.post_id.clone(), Arc::new(post.clone()));
        }
        // Insert-only, so the log may take it in any order with other changes.
        self.submit(&Record::Post { post: post.clone() })
            .written()
            .await?;
        Ok(true)
    }

    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        Ok(post_ids
            .iter()
            .map(|id| self.posts.read(id).get(id).cloned())
            .collect())
    }
}

/// The embedded post store is memory already: this cache holds nothing, so reads go to it.
pub struct NoPostCache;

#[async_trait]
impl PostCache for NoPostCache {
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        Ok(vec![None; post_ids.len()])
    }

    async fn put_many(&self, _: &[Arc<Post>]) -> StoreResult<()> {
        Ok(())
    }
}
