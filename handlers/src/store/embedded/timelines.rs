//! [`TimelineStore`] on redb. One table per kind of timeline, keyed
//! `(owner, u64::MAX - timestamp, post_id)` so that a forward range scan is newest first.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Db, TimelineTable};
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

#[async_trait]
impl TimelineStore for EmbeddedTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        let (owners, post_id, table) = (owners.to_vec(), post_id.to_owned(), self.table);
        self.db
            .write(move |txn| {
                let mut timeline = txn.open_table(table)?;
                for owner in &owners {
                    timeline.insert((owner.as_str(), u64::MAX - timestamp, post_id.as_str()), ())?;
                }
                Ok(())
            })
            .await
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        let (owner, table) = (owner.to_owned(), self.table);
        self.db
            .read(move |txn| {
                let timeline = txn.open_table(table)?;
                let mut ids = Vec::with_capacity(stop.saturating_sub(start).min(1024));
                for entry in timeline
                    .range((owner.as_str(), 0u64, "")..)?
                    .skip(start)
                    .take(stop.saturating_sub(start))
                {
                    let (key, _) = entry?;
                    let (entry_owner, _, post_id) = key.value();
                    if entry_owner != owner {
                        break;
                    }
                    ids.push(post_id.to_owned());
                }
                Ok(ids)
            })
            .await
    }
}
