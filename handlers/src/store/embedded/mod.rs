//! The embedded backend: every store held in memory and persisted in one append-only log file
//! under the data directory (the way Redis keeps its data with an append-only file).
//!
//! Reads never leave memory, so they run on the async runtime without blocking it. A write
//! changes memory under a short lock (per table, or per shard for posts and timelines: no lock
//! is global) and is answered once the [`log`] writer thread has appended it to the file. On
//! start the log is replayed. Nothing is ever deleted but an unfollowed edge, so the log holds
//! little besides live data and is not compacted.
//!
//! Why not a B-tree file (this backend was redb before): with redb every write transaction
//! rewrote and checksummed its B-tree pages on one writer thread, which capped composes at
//! about 1,100 per second on two cores even without fsync (docs/BENCHMARKS.md).

mod graph;
mod log;
mod media;
mod post_ids;
mod posts;
mod sharded;
mod timelines;
mod urls;
mod users;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use log::Sync;

use self::graph::Graph;
use self::log::{Log, Record, TimelineKind};
use self::post_ids::PostIds;
use self::sharded::Sharded;
use self::timelines::{EmbeddedTimelines, Timeline};
use self::urls::ShortUrls;
use self::users::Users;
use super::{StoreResult, Stores};
use crate::model::{MediaFile, Post};

/// Every table, in memory, and the log that persists them.
pub struct Embedded {
    users: RwLock<Users>,
    graph: RwLock<Graph>,
    posts: Sharded<Arc<Post>>,
    user_timelines: Sharded<Timeline>,
    home_timelines: Sharded<Timeline>,
    /// The ids of the posts on the timelines, numbered.
    post_ids: PostIds,
    short_urls: ShortUrls,
    media: RwLock<HashMap<String, Arc<MediaFile>>>,
    /// Declared last: dropped after the tables, it flushes the file before the store is gone.
    log: Option<Log>,
}

/// Creates `dir` (and missing parents) readable by its owner only; an existing one is left
/// as it is, so an operator's own permissions stand.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl Embedded {
    /// Opens the store in `dir` (created if missing), replaying its log.
    pub fn open(dir: &Path, sync: Sync) -> StoreResult<Embedded> {
        create_private_dir(dir).map_err(|e| {
            super::StoreError::Internal(format!("cannot create {}: {e}", dir.display()))
        })?;
        let mut store = Embedded::empty();
        let started = std::time::Instant::now();
        let mut changes = 0u64;
        let log = Log::open(&dir.join("deathstar.log"), sync, |record| {
            store.replay(record);
            changes += 1;
        })?;
        store.log = Some(log);
        tracing::info!(
            changes,
            millis = started.elapsed().as_millis() as u64,
            "embedded store loaded"
        );
        Ok(store)
    }

    /// Empty tables, no log yet.
    fn empty() -> Embedded {
        Embedded {
            users: RwLock::default(),
            graph: RwLock::default(),
            posts: Sharded::default(),
            user_timelines: Sharded::default(),
            home_timelines: Sharded::default(),
            post_ids: PostIds::default(),
            short_urls: ShortUrls::default(),
            media: RwLock::default(),
            log: None,
        }
    }

    /// Applies a record read back from the log. Records were checked when they were made.
    fn replay(&mut self, record: Record) {
        match record {
            Record::User { user } => write(&self.users).insert(user),
            Record::Password {
                user_id,
                password,
                salt,
            } => {
                write(&self.users).set_password(&user_id, &password, &salt);
            }
            Record::Node { user_id } => {
                write(&self.graph).insert_node(user_id);
            }
            Record::Follow {
                user_id,
                followee_id,
                timestamp,
            } => write(&self.graph).add_edge(&user_id, &followee_id, timestamp),
            Record::Unfollow {
                user_id,
                followee_id,
            } => write(&self.graph).remove_edge(&user_id, &followee_id),
            Record::Post { post } => {
                let id = post.post_id.clone();
                self.posts.write(&id).insert(id, Arc::new(post));
            }
            Record::Timeline {
                kind,
                owners,
                post_id,
                timestamp,
            } => {
                // Only a timeline of more than 4 billion posts fails; replay goes on without it.
                let _ = self
                    .timelines(kind)
                    .append(&self.post_ids, &owners, &post_id, timestamp);
            }
            Record::Urls { urls } => {
                for url in &urls {
                    // Only a short URL of over 4 GB fails; replay goes on without it.
                    let _ = self.short_urls.insert(url);
                }
            }
            Record::Media {
                media_id,
                media_type,
                content_type,
                bytes,
            } => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(bytes)
                    .unwrap_or_default();
                let file = MediaFile {
                    media_id: media_id.clone(),
                    media_type,
                    content_type,
                    bytes,
                };
                write(&self.media).insert(media_id, Arc::new(file));
            }
        }
    }

    fn timelines(&self, kind: TimelineKind) -> &Sharded<Timeline> {
        match kind {
            TimelineKind::User => &self.user_timelines,
            TimelineKind::Home => &self.home_timelines,
        }
    }

    /// Queues a change for the log; await [`log::Pending::written`] before answering.
    fn submit(&self, record: &Record) -> log::Pending {
        self.log
            .as_ref()
            .expect("the log is open once the store is")
            .submit(record)
    }
}

/// Locks for reading. Nothing panics while holding these locks, so poisoning is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Opens the embedded backend in `dir` with the default [`Sync`] policy and returns every
/// store on it.
pub fn open(dir: &Path) -> StoreResult<Stores> {
    open_with(dir, Sync::default())
}

pub fn open_with(dir: &Path, sync: Sync) -> StoreResult<Stores> {
    let db = Arc::new(Embedded::open(dir, sync)?);
    Ok(Stores {
        users: db.clone(),
        social_graph: db.clone(),
        posts: db.clone(),
        // Posts are in memory already: a cache in front would only copy them.
        post_cache: Arc::new(posts::NoPostCache),
        user_timelines: Arc::new(EmbeddedTimelines::new(db.clone(), TimelineKind::User)),
        home_timelines: Arc::new(EmbeddedTimelines::new(db.clone(), TimelineKind::Home)),
        short_urls: db.clone(),
        media: db,
    })
}

/// Replays `bytes` as the content of a `deathstar.log` into a fresh store held in memory, as
/// [`open`] does with the file, and returns the length of the prefix that replayed: a torn
/// last line (a crash mid-write) is left out, as `open` cuts it off the file; a bad line
/// before the last is an error. Touches no file. For the fuzz target `log_replay`
/// (fuzz/fuzz_targets/log_replay.rs): whatever the bytes, this must not panic.
#[doc(hidden)]
pub fn replay_bytes(bytes: &[u8]) -> StoreResult<u64> {
    let mut store = Embedded::empty();
    let name = Path::new("<log bytes>");
    log::read_records(bytes, name, &mut |record| store.replay(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Creator, User};
    use crate::store::Follow;

    fn user(n: u32) -> User {
        User {
            user_id: format!("{n:032x}"),
            username: format!("user_{n}"),
            first_name: "f".into(),
            last_name: "l".into(),
            password: "p".into(),
            salt: "s".into(),
        }
    }

    fn post(id: &str, author: &User) -> Post {
        Post {
            post_id: id.into(),
            req_id: "1".into(),
            creator: Creator {
                user_id: crate::UserId::parse(author.user_id.as_str()).unwrap(),
                username: author.username.clone(),
            },
            text: "hello".into(),
            user_mentions: vec![],
            media: vec![],
            urls: vec![],
            timestamp: 5,
            post_type: 0,
        }
    }

    /// Everything written is there again after the store is closed and opened.
    #[tokio::test]
    async fn a_reopened_store_has_everything_written_before() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (user(1), user(2));
        {
            let stores = open_with(dir.path(), Sync::EveryWrite).unwrap();
            for u in [&a, &b] {
                stores.users.insert(u).await.unwrap();
                stores.social_graph.insert_user(&u.user_id).await.unwrap();
            }
            let graph = &stores.social_graph;
            assert_eq!(
                graph.follow(&a.user_id, &b.user_id, 7).await.unwrap(),
                Follow::Followed
            );
            graph.unfollow(&a.user_id, &b.user_id).await.unwrap();
            graph.follow(&b.user_id, &a.user_id, 8).await.unwrap();
            stores.posts.insert(&post("10", &b)).await.unwrap();
            let owners = [a.user_id.clone()];
            stores
                .home_timelines
                .append(&owners, "10", 5)
                .await
                .unwrap();
        }
        let stores = open(dir.path()).unwrap();
        assert_eq!(
            stores.users.by_username("user_2").await.unwrap(),
            Some(b.clone())
        );
        let followers = stores.social_graph.followers(&a.user_id).await.unwrap();
        assert_eq!(followers.unwrap()[0].user_id, b.user_id);
        let followees = stores.social_graph.followees(&a.user_id).await.unwrap();
        assert_eq!(followees, Some(vec![]));
        let posts = stores.posts.get_many(&["10".into()]).await.unwrap();
        assert_eq!(posts[0].as_deref(), Some(&post("10", &b)));
        let page = stores
            .home_timelines
            .range(&a.user_id, 0, 10)
            .await
            .unwrap();
        assert_eq!(page, ["10"]);
    }

    #[test]
    fn log_bytes_replay_like_the_file_torn_tail_left_out() {
        let good = b"{\"op\":\"node\",\"user_id\":\"a\"}\n";
        assert_eq!(replay_bytes(b"").unwrap(), 0);
        assert_eq!(replay_bytes(good).unwrap(), good.len() as u64);
        let torn = [&good[..], b"{\"op\":\"no"].concat();
        assert_eq!(replay_bytes(&torn).unwrap(), good.len() as u64);
        let corrupt = [&b"garbage\n"[..], good].concat();
        assert!(replay_bytes(&corrupt).is_err());
    }
}
