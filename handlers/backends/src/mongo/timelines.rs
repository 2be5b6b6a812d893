//! [`TimelineStore`] on MongoDB: one document per timeline entry,
//! `{user_id, post_id, timestamp (int seconds, the seed's), timestamp_ms}`, unique on
//! `(user_id, post_id)`, in `user_timeline.user_timeline` or `home_timeline.home_timeline`.
//!
//! The seed kept a user's whole timeline in one document's `posts` array, newest first. FerretDB
//! v1 ignores `$push`'s `$position`, rejects `$slice` projections and loses concurrent `$push`es
//! to one document; and a popular user's home timeline would outgrow a document. Entries as
//! documents need none of that: a fan-out is one unordered `insert_many`, a page is a sorted,
//! skipped, limited `find`, and the unique index makes a repeated write a no-op.

use async_trait::async_trait;
use deathstar_handlers::model::TimelineEntry;
use deathstar_handlers::store::{StoreResult, TimelineStore};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};

use std::time::Duration;

use super::{at_most, attempt, in_one_batch, is_duplicate_key, run, seconds, to_store};

pub struct MongoTimelines {
    collection: Collection<Document>,
    /// How long one operation may take (see [`super::run`]).
    timeout: Duration,
}

impl MongoTimelines {
    pub fn new(collection: Collection<Document>, timeout: Duration) -> Self {
        MongoTimelines {
            collection,
            timeout,
        }
    }

    /// Entries of `owner` from position `skip`, newest first (ties: post id descending, the
    /// order Redis's ZREVRANGE gives).
    async fn page(
        &self,
        owner: &str,
        skip: u64,
        limit: Option<usize>,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let collection = self.collection.clone();
        let filter = doc! {"user_id": owner};
        let documents: Vec<Document> = run(self.timeout, async move {
            let find = collection
                .find(filter)
                .sort(doc! {"timestamp_ms": -1, "post_id": -1})
                .skip(skip);
            let find = match limit {
                Some(limit) => at_most(find, limit),
                None => in_one_batch(find),
            };
            find.await?.try_collect().await
        })
        .await?;
        Ok(documents.iter().filter_map(entry).collect())
    }
}

fn entry(document: &Document) -> Option<TimelineEntry> {
    let number = |key| match document.get(key) {
        Some(Bson::Int64(v)) => Some(*v),
        Some(Bson::Int32(v)) => Some(i64::from(*v)),
        Some(Bson::Double(v)) => Some(*v as i64),
        _ => None,
    };
    let timestamp = number("timestamp_ms").or_else(|| number("timestamp").map(|s| s * 1000))?;
    Some(TimelineEntry {
        post_id: document.get_str("post_id").ok()?.to_owned(),
        timestamp: timestamp.max(0) as u64,
    })
}

#[async_trait]
impl TimelineStore for MongoTimelines {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        if owners.is_empty() {
            return Ok(());
        }
        let documents: Vec<Document> = owners
            .iter()
            .map(|owner| {
                doc! {
                    "user_id": owner,
                    "post_id": post_id,
                    "timestamp": seconds(timestamp),
                    "timestamp_ms": timestamp as i64,
                }
            })
            .collect();
        let collection = self.collection.clone();
        // Unordered: every new entry goes in even where some were already there.
        let inserted = attempt(self.timeout, async move {
            collection.insert_many(documents).ordered(false).await
        });
        match inserted.await? {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        // A limit of 0 is "no limit" to MongoDB: an empty page must not become the rest.
        if stop <= start {
            return Ok(Vec::new());
        }
        let page = self.page(owner, start as u64, Some(stop - start)).await?;
        Ok(page.into_iter().map(|e| e.post_id).collect())
    }

    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        self.page(owner, 0, None).await
    }
}
