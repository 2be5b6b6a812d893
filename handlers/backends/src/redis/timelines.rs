//! Timelines cached in Redis sorted sets (member = post id, score = timestamp in ms) in front of
//! a durable [`TimelineStore`].
//!
//! - A write goes to Redis first, then to the durable store: if Redis is unreachable the write
//!   fails (503) before anything is written, so a cached timeline never silently misses a post.
//! - A cached timeline is known to be whole when it holds the [`COMPLETE`] member (score -1,
//!   always last). A set without it — Redis restarted, evicted, or never read — is rebuilt from
//!   the durable store by adding every entry, which also keeps entries written meanwhile.
//! - When Redis cannot be reached, reads are served by the durable store.

use std::sync::Arc;

use async_trait::async_trait;
use deathstar_handlers::model::TimelineEntry;
use deathstar_handlers::store::{StoreResult, TimelineStore};

use super::{Redis, to_store};

/// The member that marks a cached timeline as complete.
pub const COMPLETE: &str = "~complete";
const COMPLETE_SCORE: f64 = -1.0;

pub struct CachedTimelines {
    redis: Redis,
    prefix: &'static str,
    authority: Arc<dyn TimelineStore>,
}

impl CachedTimelines {
    pub fn new(redis: Redis, prefix: &'static str, authority: Arc<dyn TimelineStore>) -> Self {
        CachedTimelines {
            redis,
            prefix,
            authority,
        }
    }

    fn key(&self, owner: &str) -> String {
        self.redis.key(format_args!("{}{owner}", self.prefix))
    }

    /// The page from Redis, or `None` if Redis has no complete copy of the timeline.
    async fn cached_range(
        &self,
        owner: &str,
        start: usize,
        stop: usize,
    ) -> StoreResult<Option<Vec<String>>> {
        let key = self.key(owner);
        // ZREVRANGE's stop is inclusive and -1 means the end: 0..0 would be the whole set, and
        // a `usize` past `isize::MAX` would wrap to a negative (from the end) index.
        let last = |i: usize| isize::try_from(i).unwrap_or(isize::MAX);
        let mut connection = self.redis.connection().await?;
        let (complete, ids): (Option<f64>, Vec<String>) = redis::pipe()
            .zscore(&key, COMPLETE)
            .zrevrange(&key, last(start), last(stop) - 1)
            .query_async(&mut connection)
            .await
            .map_err(to_store)?;
        Ok(complete.map(|_| ids.into_iter().filter(|id| id != COMPLETE).collect()))
    }

    async fn rebuild(&self, owner: &str, entries: &[TimelineEntry]) -> StoreResult<()> {
        let key = self.key(owner);
        let mut pipe = redis::pipe();
        for chunk in entries.chunks(512) {
            let members: Vec<(f64, &str)> = chunk
                .iter()
                .map(|e| (e.timestamp as f64, e.post_id.as_str()))
                .collect();
            pipe.zadd_multiple(&key, &members).ignore();
        }
        pipe.zadd(&key, COMPLETE, COMPLETE_SCORE).ignore();
        let mut connection = self.redis.connection().await?;
        pipe.query_async::<()>(&mut connection)
            .await
            .map_err(to_store)
    }
}

#[async_trait]
impl TimelineStore for CachedTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        if !owners.is_empty() {
            let mut pipe = redis::pipe();
            for owner in owners {
                pipe.zadd(self.key(owner), post_id, timestamp as f64)
                    .ignore();
            }
            let mut connection = self.redis.connection().await?;
            pipe.query_async::<()>(&mut connection)
                .await
                .map_err(to_store)?;
        }
        self.authority.append(owners, post_id, timestamp).await
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        if stop <= start {
            return Ok(Vec::new());
        }
        match self.cached_range(owner, start, stop).await {
            Ok(Some(ids)) => return Ok(ids),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "timeline cache unavailable, reading the store");
                return self.authority.range(owner, start, stop).await;
            }
        }
        let entries = self.authority.entries(owner).await?;
        if let Err(e) = self.rebuild(owner, &entries).await {
            tracing::warn!(error = %e, "could not rebuild a cached timeline");
        }
        Ok(entries
            .into_iter()
            .skip(start)
            .take(stop.saturating_sub(start))
            .map(|e| e.post_id)
            .collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        self.authority.entries(owner).await
    }
}
