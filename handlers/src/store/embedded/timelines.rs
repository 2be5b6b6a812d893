//! [`TimelineStore`] in memory: per owner, entries sorted oldest first (new posts are pushed at
//! the end, which is cheap), read backwards for newest first. An entry is a timestamp and the
//! post's number ([`super::post_ids`]): 12 bytes.
//!
//! Lock order: the post ids before a timeline shard, never the other way round (a read copies
//! its page's numbers out of the shard and releases it before it looks the ids up).

use std::cmp::Ordering;
use std::sync::Arc;

use async_trait::async_trait;

use super::Embedded;
use super::log::{Record, TimelineKind};
use super::post_ids::PostIds;
use super::sharded::Sharded;
use crate::model::TimelineEntry;
use crate::store::{StoreResult, TimelineStore};

/// A timeline entry. Packed: a u64 beside a u32 would otherwise be padded to 16 bytes, and
/// there are ~40 entries per post.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Entry {
    timestamp: u64,
    post: u32,
}

/// One owner's timeline, ascending by `(timestamp, post id)`. Reversed, that is Redis's
/// ZREVRANGE order: newest first, ties by post id descending.
#[derive(Default)]
pub struct Timeline {
    entries: Vec<Entry>,
}

impl Timeline {
    fn insert(&mut self, new: Entry, ids: &[Arc<str>]) {
        let order = |a: Entry, b: Entry| {
            let (at, bt) = (a.timestamp, b.timestamp);
            at.cmp(&bt)
                .then_with(|| ids[a.post as usize].cmp(&ids[b.post as usize]))
        };
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
    fn page(&self, start: usize, stop: usize) -> Vec<Entry> {
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
        let post = post_ids.intern(post_id)?;
        let new = Entry { timestamp, post };
        let ids = post_ids.ids();
        let mut by_shard: Vec<(usize, &String)> = owners
            .iter()
            .map(|owner| (self.shard_of(owner), owner))
            .collect();
        by_shard.sort_unstable_by_key(|&(shard, _)| shard);
        for group in by_shard.chunk_by(|a, b| a.0 == b.0) {
            let mut shard = self.write_shard(group[0].0);
            for &(_, owner) in group {
                match shard.get_mut(owner.as_str()) {
                    Some(timeline) => timeline.insert(new, &ids),
                    None => {
                        let mut timeline = Timeline::default();
                        timeline.insert(new, &ids);
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
        let ids = post_ids.ids();
        page.into_iter()
            .map(|e| (e.timestamp, ids[e.post as usize].clone()))
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
