//! [`TimelineStore`] on `user_timeline.user_timeline` (the seed's shape,
//! `{user_id, posts: [{post_id, timestamp}]}`) or `home_timeline.home_timeline` (the same).
//!
//! FerretDB v1 ignores `$push`'s `$position` and rejects `$slice` projections, so entries are
//! appended (oldest first, unlike the seed's newest-first) and ordered by time when read.
//! Each entry also carries `timestamp_ms`; `timestamp` stays the seed's integer seconds.

use async_trait::async_trait;
use deathstar_handlers::model::TimelineEntry;
use deathstar_handlers::store::{StoreResult, TimelineStore};
use futures::future::try_join_all;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};

use super::{is_duplicate_key, seconds, to_store};

pub struct MongoTimelines {
    collection: Collection<Document>,
}

impl MongoTimelines {
    pub fn new(collection: Collection<Document>) -> Self {
        MongoTimelines { collection }
    }

    /// Adds the entry to `owner`'s document, creating it if needed; a no-op if it is there.
    async fn add(&self, owner: &str, entry: &TimelineEntry) -> StoreResult<()> {
        // The `$ne` guard makes a repeated write a no-op. When it fails to match because the
        // entry is there, the upsert's insert hits the unique `user_id` index: also a no-op.
        let filter = doc! {"user_id": owner, "posts.post_id": {"$ne": &entry.post_id}};
        let update = doc! {"$push": {"posts": {
            "post_id": &entry.post_id,
            "timestamp": seconds(entry.timestamp),
            "timestamp_ms": entry.timestamp as i64,
        }}};
        match self
            .collection
            .update_one(filter, update)
            .upsert(true)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(to_store(e)),
        }
    }
}

fn entry(value: &Bson) -> Option<TimelineEntry> {
    let entry = value.as_document()?;
    let number = |key| match entry.get(key) {
        Some(Bson::Int64(v)) => Some(*v),
        Some(Bson::Int32(v)) => Some(i64::from(*v)),
        Some(Bson::Double(v)) => Some(*v as i64),
        _ => None,
    };
    let timestamp = number("timestamp_ms").or_else(|| number("timestamp").map(|s| s * 1000))?;
    Some(TimelineEntry {
        post_id: entry.get_str("post_id").ok()?.to_owned(),
        timestamp: timestamp.max(0) as u64,
    })
}

#[async_trait]
impl TimelineStore for MongoTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        let entry = TimelineEntry {
            post_id: post_id.to_owned(),
            timestamp,
        };
        try_join_all(owners.iter().map(|owner| self.add(owner, &entry))).await?;
        Ok(())
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        let entries = self.entries(owner).await?;
        Ok(entries
            .into_iter()
            .skip(start)
            .take(stop.saturating_sub(start))
            .map(|e| e.post_id)
            .collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        let found = self
            .collection
            .find_one(doc! {"user_id": owner})
            .await
            .map_err(to_store)?;
        let mut entries: Vec<TimelineEntry> = found
            .as_ref()
            .and_then(|d| d.get_array("posts").ok())
            .map(|posts| posts.iter().filter_map(entry).collect())
            .unwrap_or_default();
        // Newest first, ties by post id descending: the order Redis's ZREVRANGE gives.
        entries.sort_by(|a, b| (b.timestamp, &b.post_id).cmp(&(a.timestamp, &a.post_id)));
        Ok(entries)
    }
}
