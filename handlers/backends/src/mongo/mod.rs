//! The MongoDB backend, in the seed's databases and collections (`users.users`,
//! `social_graph.social_graph`, `post.post`, `url_shorten.url_shorten`,
//! `user_timeline.user_timeline`), plus `social_graph.follows`, `home_timeline.home_timeline`
//! and `media.media`.
//!
//! Only what FerretDB v1 also does right is used: inserts and deletes of single documents,
//! unique and compound indexes, `find` with equality, `$in`, sort, skip and limit. No
//! transactions, no updates of arrays (FerretDB v1 loses concurrent updates of one document),
//! no `$position`, no `$slice`: every fact that changes concurrently is its own document.
//!
//! Every operation goes through [`run`] or [`attempt`], which bound it by the store timeout: the
//! driver's own timeouts cover connecting and server selection, not a server that accepted the
//! request and hangs (SIGSTOP, a stuck disk), which would hold a call until its deadline.

mod graph;
mod media;
mod posts;
mod timelines;
mod urls;
mod users;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deathstar_handlers::store::{PostCache, StoreError, StoreResult, Stores};
use mongodb::action::Find;
use mongodb::bson::{Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, IndexModel};

use crate::round_trips::RoundTrips;

pub use timelines::MongoTimelines;

/// Handles on every collection the backend uses.
#[derive(Clone)]
pub struct Mongo {
    users: Collection<Document>,
    social_graph: Collection<Document>,
    follows: Collection<Document>,
    posts: Collection<Document>,
    short_urls: Collection<Document>,
    media: Collection<Document>,
    user_timeline: Collection<Document>,
    home_timeline: Collection<Document>,
    /// How long one operation may take before the call answers 503.
    timeout: Duration,
}

impl Mongo {
    /// Connects and creates the indexes. `timeout` bounds server selection and connecting,
    /// so a call made while the server is down fails in that time with a 503, and every
    /// operation, so that one made while it hangs does too.
    /// `namespace` prefixes every collection name (empty: the seed's names); every command is
    /// counted in `round_trips`, if given.
    pub async fn connect(
        uri: &str,
        timeout: Duration,
        namespace: &str,
        round_trips: Option<&Arc<RoundTrips>>,
    ) -> Result<Mongo, StoreError> {
        let mut options = ClientOptions::parse(uri).await.map_err(|e| {
            StoreError::Internal(format!("MONGO_URI is not a MongoDB connection string: {e}"))
        })?;
        options.app_name.get_or_insert_with(|| "deathstar".into());
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        if let Some(round_trips) = round_trips {
            options.command_event_handler = Some(round_trips.mongodb_handler());
        }
        let client = Client::with_options(options).map_err(to_store)?;
        let collection = |db: &str, name: &str| {
            client
                .database(db)
                .collection::<Document>(&format!("{namespace}{name}"))
        };
        let mongo = Mongo {
            users: collection("users", "users"),
            social_graph: collection("social_graph", "social_graph"),
            follows: collection("social_graph", "follows"),
            posts: collection("post", "post"),
            short_urls: collection("url_shorten", "url_shorten"),
            media: collection("media", "media"),
            user_timeline: collection("user_timeline", "user_timeline"),
            home_timeline: collection("home_timeline", "home_timeline"),
            timeout,
        };
        mongo.create_indexes().await?;
        Ok(mongo)
    }

    async fn create_indexes(&self) -> Result<(), StoreError> {
        let unique = |keys: Document| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().unique(true).build())
                .build()
        };
        let plain = |keys: Document| IndexModel::builder().keys(keys).build();
        let indexes = [
            (
                &self.users,
                vec![unique(doc! {"username": 1}), unique(doc! {"user_id": 1})],
            ),
            (&self.social_graph, vec![unique(doc! {"user_id": 1})]),
            (
                &self.follows,
                vec![
                    unique(doc! {"user_id": 1, "followee_id": 1}),
                    plain(doc! {"followee_id": 1}),
                ],
            ),
            (&self.posts, vec![unique(doc! {"post_id": 1})]),
            (&self.short_urls, vec![unique(doc! {"shortened_url": 1})]),
            (&self.media, vec![unique(doc! {"media_id": 1})]),
            (
                &self.user_timeline,
                vec![
                    unique(doc! {"user_id": 1, "post_id": 1}),
                    plain(doc! {"user_id": 1, "timestamp_ms": -1}),
                ],
            ),
            (
                &self.home_timeline,
                vec![
                    unique(doc! {"user_id": 1, "post_id": 1}),
                    plain(doc! {"user_id": 1, "timestamp_ms": -1}),
                ],
            ),
        ];
        // Collections at once, each collection's indexes one at a time: a function process
        // listens only after this, and twelve round trips one after another were most of its
        // start-up (docs/BENCHMARKS.md). FerretDB 1.24 fails a createIndexes naming several
        // indexes ("slice bounds out of range"), hence one index per command.
        let created = indexes.into_iter().map(|(collection, models)| {
            let collection = collection.clone();
            run(self.timeout, async move {
                for model in models {
                    collection.create_index(model).await?;
                }
                Ok(())
            })
        });
        futures::future::try_join_all(created).await?;
        Ok(())
    }

    /// Every store on MongoDB, with `post_cache` in front of the posts.
    pub fn stores(self, post_cache: Arc<dyn PostCache>) -> Stores {
        let mongo = Arc::new(self);
        Stores {
            users: mongo.clone(),
            social_graph: mongo.clone(),
            posts: mongo.clone(),
            post_cache,
            user_timelines: Arc::new(MongoTimelines::new(
                mongo.user_timeline.clone(),
                mongo.timeout,
            )),
            home_timelines: Arc::new(MongoTimelines::new(
                mongo.home_timeline.clone(),
                mongo.timeout,
            )),
            short_urls: mongo.clone(),
            media: mongo,
        }
    }
}

/// Runs one MongoDB operation (a command, or a query and the reading of its cursor) and waits
/// for it at most `timeout`: past that, the call is a 503 `StorageUnavailableError`.
///
/// The operation runs on a task of its own, to completion even when the caller stops waiting:
/// the driver warns that a future of its dropped mid-operation can leave its connection pool
/// inconsistent (mongodb's README, "timeouts / cancellation"). A hung server's connections then
/// wait on that task until the server answers again or the driver's monitor, failing its
/// heartbeat within the connect timeout (also `timeout`), clears the pool; once the server is
/// back, new operations get fresh connections.
pub(crate) async fn attempt<T: Send + 'static>(
    timeout: Duration,
    operation: impl Future<Output = mongodb::error::Result<T>> + Send + 'static,
) -> StoreResult<mongodb::error::Result<T>> {
    let task = tokio::spawn(operation);
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(failed)) => Err(StoreError::Internal(format!(
            "mongodb operation failed: {failed}"
        ))),
        Err(_elapsed) => Err(StoreError::Unavailable(format!(
            "mongodb: no answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

/// [`attempt`], with the driver's error mapped by [`to_store`].
pub(crate) async fn run<T: Send + 'static>(
    timeout: Duration,
    operation: impl Future<Output = mongodb::error::Result<T>> + Send + 'static,
) -> StoreResult<T> {
    attempt(timeout, operation).await?.map_err(to_store)
}

/// `find` limited to `most` documents, all in its first reply: for a page, or an `$in` of ids
/// on a unique key (which matches no more than the ids asked). The server closes the cursor
/// once the limit is reached, where a full batch alone would leave it open and cost a
/// `getMore` (and its default first batch is 101 documents).
pub(crate) fn at_most(find: Find<'_, Document>, most: usize) -> Find<'_, Document> {
    let limit = i64::try_from(most).unwrap_or(i64::MAX).max(1);
    let batch = u32::try_from(most).unwrap_or(ONE_BATCH).clamp(1, ONE_BATCH);
    find.limit(limit).batch_size(batch)
}

/// `find` with up to [`ONE_BATCH`] matches in its first reply, for a query whose matches are
/// all wanted however many (a whole timeline, every follower): without a batch size the server
/// sends 101 documents first and the rest costs a `getMore`.
pub(crate) fn in_one_batch(find: Find<'_, Document>) -> Find<'_, Document> {
    find.batch_size(ONE_BATCH)
}

/// Documents a reply of [`in_one_batch`] or [`at_most`] holds at most (and the server's
/// 16 MiB). Not more:
/// FerretDB 1.24 stopped answering at all with a batch size of `i32::MAX` (measured), and a
/// list past this is rare enough to cost its `getMore`s.
const ONE_BATCH: u32 = 10_000;

/// Network trouble and server selection timeouts are "unavailable" (503, retry later);
/// anything else is an internal failure.
pub(crate) fn to_store(e: mongodb::error::Error) -> StoreError {
    match *e.kind {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. } => {
            StoreError::Unavailable(format!("mongodb: {e}"))
        }
        _ => StoreError::Internal(format!("mongodb: {e}")),
    }
}

/// MongoDB's error code for a write refused by a unique index.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// Whether `e` is a unique-index violation.
pub(crate) fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .iter()
            .flatten()
            .any(|w| w.code == DUPLICATE_KEY),
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// Milliseconds as the seed's integer seconds.
pub(crate) fn seconds(ms: u64) -> i64 {
    (ms / 1000) as i64
}
