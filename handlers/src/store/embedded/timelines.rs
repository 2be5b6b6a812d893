//! [`TimelineStore`] on redb. One table per kind of timeline, keyed
//! `(owner, u64::MAX - timestamp, post_id)` so that a forward range scan is newest first.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Db, TimelineTable};
use crate::model::TimelineEntry;
use crate::store::{StoreResult, TimelineStore};

/// The user timelines or the home timelines, depending on the table given.
pub struct EmbeddedTimelines {
    db: Arc<Db>,
    table: TimelineTable,
}

impl EmbeddedTimelines {
    pub fn new(db: Arc<Db>, table: TimelineTable) -> Self {
        EmbeddedTimelines { db, table }
    }
}

/// A post id whose bytes sort in reverse: each byte is complemented and 0xFF ends it (so
/// that "123" sorts before its prefix "12", as it does descending).
fn invert(post_id: &str) -> Vec<u8> {
    post_id.bytes().map(|b| !b).chain([0xFF]).collect()
}

fn uninvert(inverted: &[u8]) -> String {
    let bytes: Vec<u8> = inverted
        .iter()
        .take_while(|&&b| b != 0xFF)
        .map(|b| !b)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl EmbeddedTimelines {
    /// Up to `count` entries of `owner` from position `skip`, newest first.
    async fn scan(
        &self,
        owner: &str,
        skip: usize,
        count: usize,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let (owner, table) = (owner.to_owned(), self.table);
        self.db
            .read(move |txn| {
                let timeline = txn.open_table(table)?;
                let mut entries = Vec::with_capacity(count.min(1024));
                for entry in timeline
                    .range((owner.as_str(), 0u64, [].as_slice())..)?
                    .skip(skip)
                    .take(count)
                {
                    let (key, _) = entry?;
                    let (entry_owner, reverse_time, post_id) = key.value();
                    if entry_owner != owner {
                        break;
                    }
                    entries.push(TimelineEntry {
                        post_id: uninvert(post_id),
                        timestamp: u64::MAX - reverse_time,
                    });
                }
                Ok(entries)
            })
            .await
    }
}

#[async_trait]
impl TimelineStore for EmbeddedTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        let (owners, post_id, table) = (owners.to_vec(), invert(post_id), self.table);
        self.db
            .write(move |txn| {
                let mut timeline = txn.open_table(table)?;
                for owner in &owners {
                    let key = (owner.as_str(), u64::MAX - timestamp, post_id.as_slice());
                    timeline.insert(key, ())?;
                }
                Ok(())
            })
            .await
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        let page = self.scan(owner, start, stop.saturating_sub(start)).await?;
        Ok(page.into_iter().map(|e| e.post_id).collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        self.scan(owner, 0, usize::MAX).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverted_ids_sort_descending_and_round_trip() {
        let mut ids = ["12", "123", "9", "100", "abc"];
        let mut inverted: Vec<Vec<u8>> = ids.iter().map(|id| invert(id)).collect();
        inverted.sort();
        ids.sort_by(|a, b| b.cmp(a));
        let back: Vec<String> = inverted.iter().map(|i| uninvert(i)).collect();
        assert_eq!(back, ids);
    }
}
