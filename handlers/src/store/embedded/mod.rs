//! The embedded backend: every store in one redb file under the data directory.
//!
//! redb is synchronous, so no call runs on the async runtime: reads go to the blocking pool
//! (they are MVCC snapshots and run in parallel), writes go to one writer thread that commits
//! whatever has queued up in one durable transaction (group commit). A write is answered only
//! after its transaction is on disk, yet a burst of writes costs one fsync, not one each.

mod graph;
mod media;
mod posts;
mod timelines;
mod urls;
mod users;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction};
use tokio::sync::oneshot;

use super::{StoreError, StoreResult, Stores};

pub use posts::MemoryPostCache;
pub use timelines::EmbeddedTimelines;

pub(crate) const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
pub(crate) const USER_IDS: TableDefinition<&str, &str> = TableDefinition::new("user_ids");
pub(crate) const GRAPH_NODES: TableDefinition<&str, ()> = TableDefinition::new("graph_nodes");
/// `(user, follower) -> follow time`.
pub(crate) const FOLLOWERS: TableDefinition<(&str, &str), u64> = TableDefinition::new("followers");
/// `(user, followee) -> follow time`.
pub(crate) const FOLLOWEES: TableDefinition<(&str, &str), u64> = TableDefinition::new("followees");
pub(crate) const POSTS: TableDefinition<&str, &[u8]> = TableDefinition::new("posts");
/// `(owner, u64::MAX - timestamp, inverted post_id)`: key order is newest first, ties by post
/// id descending (Redis's ZREVRANGE order); see `timelines::invert`.
pub(crate) type TimelineTable = TableDefinition<'static, (&'static str, u64, &'static [u8]), ()>;
pub(crate) const USER_TIMELINE: TimelineTable = TableDefinition::new("user_timeline");
pub(crate) const HOME_TIMELINE: TimelineTable = TableDefinition::new("home_timeline");
pub(crate) const SHORT_URLS: TableDefinition<&str, &str> = TableDefinition::new("short_urls");
/// `media_id -> (media_type, content_type, bytes)`.
pub(crate) const MEDIA: TableDefinition<&str, (&str, &str, &[u8])> = TableDefinition::new("media");

/// Most writes one transaction takes before committing.
const MAX_BATCH: usize = 256;

type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
type Job = Box<dyn FnOnce(&WriteTransaction) -> Completion + Send>;

/// The database, its writer thread, and the two ways in: [`Db::read`] and [`Db::write`].
pub struct Db {
    db: Arc<Database>,
    jobs: mpsc::Sender<Job>,
}

impl Db {
    pub fn open(dir: &Path) -> StoreResult<Db> {
        std::fs::create_dir_all(dir)
            .map_err(|e| internal(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("deathstar.redb");
        let db = Database::create(&path)
            .map_err(|e| internal(format!("cannot open {}: {e}", path.display())))?;
        // Create every table once, so that readers never meet a missing one.
        let txn = db.begin_write().map_err(to_store)?;
        {
            txn.open_table(USERS).map_err(to_store)?;
            txn.open_table(USER_IDS).map_err(to_store)?;
            txn.open_table(GRAPH_NODES).map_err(to_store)?;
            txn.open_table(FOLLOWERS).map_err(to_store)?;
            txn.open_table(FOLLOWEES).map_err(to_store)?;
            txn.open_table(POSTS).map_err(to_store)?;
            txn.open_table(USER_TIMELINE).map_err(to_store)?;
            txn.open_table(HOME_TIMELINE).map_err(to_store)?;
            txn.open_table(SHORT_URLS).map_err(to_store)?;
            txn.open_table(MEDIA).map_err(to_store)?;
        }
        txn.commit().map_err(to_store)?;

        let db = Arc::new(db);
        let (jobs, queue) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        std::thread::Builder::new()
            .name("embedded-store-writer".into())
            .spawn(move || run_writer(&writer_db, &queue))
            .map_err(|e| internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Db { db, jobs })
    }

    /// Runs `f` on a read snapshot, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read()?;
            f(&txn)
        })
        .await
        .map_err(|e| internal(format!("read task failed: {e}")))?
        .map_err(to_store)
    }

    /// Runs `f` in the next write transaction; answers once that transaction is durable.
    ///
    /// `f` shares its transaction with other writes: it must decide before it writes, so that
    /// an `Ok` or `Err` from it never leaves half its changes behind.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |txn| {
            let result = f(txn).map_err(to_store);
            Box::new(move |commit_error| {
                let _ = reply.send(match commit_error {
                    Some(e) => Err(e.clone()),
                    None => result,
                });
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| internal("the writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| internal("the writer thread dropped a write".into()))?
    }
}

fn run_writer(db: &Database, queue: &mpsc::Receiver<Job>) {
    // Ends when every `Db` (every sender) is gone.
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                // Dropping the jobs drops their reply channels: each caller gets an error.
                tracing::error!(error = %to_store(e), "embedded store cannot start a write");
                continue;
            }
        };
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(&txn)).collect();
        let outcome = txn.commit().err().map(to_store);
        if let Some(e) = &outcome {
            tracing::error!(error = %e, "embedded store commit failed");
        }
        for done in completions {
            done(outcome.as_ref());
        }
    }
}

fn internal(message: String) -> StoreError {
    StoreError::Internal(message)
}

fn to_store(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Internal(e.into().to_string())
}

/// Opens the embedded backend in `dir` and returns every store on it.
pub fn open(dir: &Path) -> StoreResult<Stores> {
    let db = Arc::new(Db::open(dir)?);
    Ok(Stores {
        users: db.clone(),
        social_graph: db.clone(),
        posts: db.clone(),
        post_cache: Arc::new(MemoryPostCache::new(100_000)),
        user_timelines: Arc::new(EmbeddedTimelines::new(db.clone(), USER_TIMELINE)),
        home_timelines: Arc::new(EmbeddedTimelines::new(db.clone(), HOME_TIMELINE)),
        short_urls: db.clone(),
        media: db,
    })
}
