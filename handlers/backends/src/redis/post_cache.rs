//! [`PostCache`] on Redis: one hash per post, `post:<post_id>` with field `post` holding the
//! post's JSON, expiring 60 s after it was cached (the seed's post cache).

use std::sync::Arc;

use async_trait::async_trait;
use deathstar_handlers::model::Post;
use deathstar_handlers::store::{PostCache, StoreResult};

use super::{Redis, to_store};

pub const POST_TTL_SECS: i64 = 60;

pub struct RedisPostCache {
    redis: Redis,
}

impl RedisPostCache {
    pub fn new(redis: Redis) -> Self {
        RedisPostCache { redis }
    }
}

#[async_trait]
impl PostCache for RedisPostCache {
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in post_ids {
            pipe.hget(self.redis.key(format_args!("post:{id}")), "post");
        }
        let mut connection = self.redis.connection().await?;
        let found: Vec<Option<String>> =
            pipe.query_async(&mut connection).await.map_err(to_store)?;
        // An entry that does not parse is a miss: the store has the post.
        Ok(found
            .into_iter()
            .map(|json| {
                json.and_then(|j| serde_json::from_str(&j).ok())
                    .map(Arc::new)
            })
            .collect())
    }

    async fn put_many(&self, posts: &[Arc<Post>]) -> StoreResult<()> {
        if posts.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for post in posts {
            let json = serde_json::to_string(post.as_ref()).expect("posts serialise");
            let key = self.redis.key(format_args!("post:{}", post.post_id));
            pipe.hset(&key, "post", json)
                .ignore()
                .expire(&key, POST_TTL_SECS)
                .ignore();
        }
        let mut connection = self.redis.connection().await?;
        pipe.query_async::<()>(&mut connection)
            .await
            .map_err(to_store)
    }
}
