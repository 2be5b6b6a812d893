//! [`TimelineStore`] in memory: per owner, entries sorted oldest first (new posts are pushed at
//! the end, which is cheap), read backwards for newest first.

use std::sync::Arc;

use async_trait::async_trait;

use super::Embedded;
use super::log::{Record, TimelineKind};
use super::sharded::Sharded;
use crate::model::TimelineEntry;
use crate::store::{StoreResult, TimelineStore};

/// One owner's timeline: `(timestamp, post id)`, ascending. Reversed, that is Redis's
/// ZREVRANGE order: newest first, ties by post id descending.
#[derive(Default)]
pub struct Timeline {
    entries: Vec<(u64, Arc<str>)>,
}

impl Timeline {
    fn insert(&mut self, timestamp: u64, post_id: &Arc<str>) {
        let entry = (timestamp, post_id.clone());
        // Nearly always the newest: push without searching (a search touches a dozen cold
        // cache lines of a long timeline, and was a quarter of compose's CPU).
        if self.entries.last().is_none_or(|last| *last < entry) {
            self.entries.push(entry);
            return;
        }
        // A post already there stays once (a retried write adds nothing).
        if let Err(at) = self.entries.binary_search(&entry) {
            self.entries.insert(at, entry);
        }
    }

    fn newest_first(&self) -> impl Iterator<Item = &(u64, Arc<str>)> {
        self.entries.iter().rev()
    }
}

impl Sharded<Timeline> {
    pub fn append(&self, owners: &[String], post_id: Arc<str>, timestamp: u64) {
        for owner in owners {
            let mut shard = self.write(owner);
            match shard.get_mut(owner) {
                Some(timeline) => timeline.insert(timestamp, &post_id),
                None => {
                    let mut timeline = Timeline::default();
                    timeline.insert(timestamp, &post_id);
                    shard.insert(owner.clone(), timeline);
                }
            }
        }
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
        self.table().append(owners, Arc::from(post_id), timestamp);
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
        let shard = self.table().read(owner);
        let Some(timeline) = shard.get(owner) else {
            return Ok(Vec::new());
        };
        Ok(timeline
            .newest_first()
            .skip(start)
            .take(stop.saturating_sub(start))
            .map(|(_, id)| id.to_string())
            .collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        let shard = self.table().read(owner);
        let Some(timeline) = shard.get(owner) else {
            return Ok(Vec::new());
        };
        Ok(timeline
            .newest_first()
            .map(|(timestamp, id)| TimelineEntry {
                post_id: id.to_string(),
                timestamp: *timestamp,
            })
            .collect())
    }
}
