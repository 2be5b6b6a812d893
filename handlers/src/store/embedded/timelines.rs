//! [`TimelineStore`] in memory: per owner, entries sorted oldest first (new posts are pushed at
//! the end, which is cheap), read backwards for newest first. An entry is the post's number
//! ([`super::post_ids`], which keeps its id and timestamp once): 4 bytes.
//!
//! Lock order: the post ids before a timeline shard, never the other way round (a read copies
//! its page's numbers out of the shard and releases it before it looks the ids up).

use std::cmp::Ordering;
use std::sync::Arc;

use async_trait::async_trait;

use super::Embedded;
use super::log::{Record, TimelineKind};
use super::post_ids::{NumberedPosts, PostIds};
use super::sharded::Sharded;
use crate::model::TimelineEntry;
use crate::store::{StoreResult, TimelineStore};

/// One owner's timeline: post numbers, ascending by the posts' `(timestamp, id)`. Reversed,
/// that is Redis's ZREVRANGE order: newest first, ties by post id descending.
#[derive(Default)]
pub struct Timeline {
    entries: Vec<u32>,
}

impl Timeline {
    fn insert(&mut self, new: u32, posts: &NumberedPosts) {
        let order = |a: u32, b: u32| {
            let (a, b) = (&posts[a], &posts[b]);
            a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id))
        };
        // Grown by a quarter, not doubled: a home timeline of 1 M posts holds ~40,000 entries,
        // and doubling leaves a third of such a vector unused on average.
        if self.entries.len() == self.entries.capacity() {
            self.entries.reserve_exact((self.entries.len() / 4).max(4));
        }
        // Nearly always the newest: push without searching (a search touches a dozen cold
        // cache lines of a long timeline, and was a quarter of compose's CPU).
        if self
            .entries
            .last()
            .is_none_or(|&last| order(last, new) == Ordering::Less)
        {
            self.entries.push(new);
            return;
        }
        // A post already there stays once (a retried write adds nothing).
        if let Err(at) = self.entries.binary_search_by(|&e| order(e, new)) {
            self.entries.insert(at, new);
        }
    }

    /// Entries `start..stop`, newest first.
    fn page(&self, start: usize, stop: usize) -> Vec<u32> {
        self.entries
            .iter()
            .rev()
            .skip(start)
            .take(stop.saturating_sub(start))
            .copied()
            .collect()
    }
}

impl Sharded<Timeline> {
    /// Adds the post to every owner's timeline, taking each shard's lock once: a post fans
    /// out to ~40 followers, and a lock per follower was 40 lock round trips per compose.
    pub fn append(
        &self,
        post_ids: &PostIds,
        owners: &[String],
        post_id: &str,
        timestamp: u64,
    ) -> StoreResult<()> {
        let new = post_ids.intern(post_id, timestamp)?;
        let posts = post_ids.posts();
        let mut by_shard: Vec<(usize, &String)> = owners
            .iter()
            .map(|owner| (self.shard_of(owner), owner))
            .collect();
        by_shard.sort_unstable_by_key(|&(shard, _)| shard);
        for group in by_shard.chunk_by(|a, b| a.0 == b.0) {
            let mut shard = self.write_shard(group[0].0);
            for &(_, owner) in group {
                match shard.get_mut(owner.as_str()) {
                    Some(timeline) => timeline.insert(new, &posts),
                    None => {
                        let mut timeline = Timeline::default();
                        timeline.insert(new, &posts);
                        shard.insert(owner.clone(), timeline);
                    }
                }
            }
        }
        Ok(())
    }

    /// `owner`'s entries `start..stop`, newest first, with their post ids.
    fn read_page(
        &self,
        post_ids: &PostIds,
        owner: &str,
        start: usize,
        stop: usize,
    ) -> Vec<(u64, Arc<str>)> {
        let page = match self.read(owner).get(owner) {
            Some(timeline) => timeline.page(start, stop),
            None => return Vec::new(),
        };
        let posts = post_ids.posts();
        page.into_iter()
            .map(|number| {
                let post = &posts[number];
                (post.timestamp, post.id.clone())
            })
            .collect()
    }
}

/// The user timelines or the home timelines, depending on the kind given.
pub struct EmbeddedTimelines {
    db: Arc<Embedded>,
    kind: TimelineKind,
}

impl EmbeddedTimelines {
    pub fn new(db: Arc<Embedded>, kind: TimelineKind) -> Self {
        EmbeddedTimelines { db, kind }
    }

    fn table(&self) -> &Sharded<Timeline> {
        self.db.timelines(self.kind)
    }
}

#[async_trait]
impl TimelineStore for EmbeddedTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        self.table()
            .append(&self.db.post_ids, owners, post_id, timestamp)?;
        // Adding an entry twice is adding it once, so log order does not matter here.
        let record = Record::Timeline {
            kind: self.kind,
            owners: owners.to_vec(),
            post_id: post_id.to_owned(),
            timestamp,
        };
        self.db.submit(&record).written().await
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        Ok(self
            .table()
            .read_page(&self.db.post_ids, owner, start, stop)
            .into_iter()
            .map(|(_, id)| id.to_string())
            .collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        Ok(self
            .table()
            .read_page(&self.db.post_ids, owner, 0, usize::MAX)
            .into_iter()
            .map(|(timestamp, id)| TimelineEntry {
                post_id: id.to_string(),
                timestamp,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_newest_first_whatever_order_they_came_in() {
        // Numbers 0..5: a late post with an old timestamp, ties broken by id, a repeat.
        let ids = PostIds::default();
        for (id, timestamp) in [("b", 20), ("a", 10), ("d", 30), ("c", 20), ("e", 30)] {
            ids.intern(id, timestamp).unwrap();
        }
        let posts = ids.posts();
        let mut timeline = Timeline::default();
        for number in [0, 1, 2, 3, 4, 3, 0] {
            timeline.insert(number, &posts);
        }
        // Newest first; equal timestamps by id descending (Redis's ZREVRANGE order).
        assert_eq!(timeline.page(0, 10), vec![4, 2, 3, 0, 1]);
    }
}
