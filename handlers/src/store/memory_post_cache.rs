//! A bounded in-memory [`PostCache`]: where Redis's post cache stands when a process has
//! MongoDB but no Redis.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::Post;
use crate::store::{PostCache, StoreResult};

/// Decoded posts, sharded, no global lock. Posts never change once stored, so entries need no
/// expiry; the bound keeps memory in check.
pub struct MemoryPostCache {
    cache: quick_cache::sync::Cache<String, Arc<Post>>,
}

impl MemoryPostCache {
    pub fn new(capacity: usize) -> Self {
        MemoryPostCache {
            cache: quick_cache::sync::Cache::new(capacity),
        }
    }
}

#[async_trait]
impl PostCache for MemoryPostCache {
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        Ok(post_ids.iter().map(|id| self.cache.get(id)).collect())
    }

    async fn put_many(&self, posts: &[Arc<Post>]) -> StoreResult<()> {
        for post in posts {
            self.cache.insert(post.post_id.clone(), post.clone());
        }
        Ok(())
    }
}
