//! [`PostStore`] on redb (`posts`: post id → post JSON), and the in-memory [`PostCache`] that
//! stands where Redis's post cache stands in a cluster deployment.

use std::sync::Arc;

use async_trait::async_trait;
use redb::ReadableTable;

use super::{Db, POSTS};
use crate::model::Post;
use crate::store::{PostCache, PostStore, StoreResult};

#[async_trait]
impl PostStore for Db {
    async fn insert(&self, post: &Post) -> StoreResult<bool> {
        let post_id = post.post_id.clone();
        let json = serde_json::to_vec(post).expect("posts serialise");
        self.write(move |txn| {
            let mut posts = txn.open_table(POSTS)?;
            if posts.get(post_id.as_str())?.is_some() {
                return Ok(false);
            }
            posts.insert(post_id.as_str(), json.as_slice())?;
            Ok(true)
        })
        .await
    }

    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        let post_ids = post_ids.to_vec();
        self.read(move |txn| {
            let posts = txn.open_table(POSTS)?;
            post_ids
                .iter()
                .map(|id| {
                    let Some(bytes) = posts.get(id.as_str())? else {
                        return Ok(None);
                    };
                    let post: Post = serde_json::from_slice(bytes.value())
                        .map_err(|e| redb::Error::Corrupted(format!("post document {id}: {e}")))?;
                    Ok(Some(Arc::new(post)))
                })
                .collect()
        })
        .await
    }
}

/// A bounded in-memory cache of decoded posts (sharded, no global lock). Posts never change
/// once stored, so entries need no expiry; the bound keeps memory in check.
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
