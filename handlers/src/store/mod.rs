//! Storage, one trait per concern, shaped after the seed's MongoDB collections and Redis keys.
//!
//! | trait | seed | embedded log record |
//! |---|---|---|
//! | [`UserStore`] | `users.users` | `user` |
//! | [`SocialGraphStore`] | `social_graph.social_graph` | `node`, `follow`, `unfollow` |
//! | [`PostStore`] | `post.post` | `post` |
//! | [`PostCache`] | Redis post hash | none (posts are in memory) |
//! | [`TimelineStore`] (user) | `user_timeline` + Redis zset `<user_id>` | `timeline` (user) |
//! | [`TimelineStore`] (home) | Redis zset (DSB's home-timeline Redis) | `timeline` (home) |
//! | [`ShortUrlStore`] | `url_shorten.url_shorten` | `urls` |
//! | [`MediaStore`] | `media.media` | `media` |
//!
//! Every method is async: backends never block the runtime. Outcomes that are part of the
//! domain (a taken username, an unknown user) are values; [`StoreError`] is only for the
//! backend failing.

pub mod embedded;
pub mod measured;
mod memory_post_cache;
pub mod order;

pub use memory_post_cache::MemoryPostCache;

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{FollowEdge, MediaFile, Post, TimelineEntry, UrlDoc, User};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached now; retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertUser {
    Inserted,
    UsernameTaken,
    UserIdTaken,
}

/// Which key of a new user is someone else's already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Username,
    UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    Followed,
    AlreadyFollowing,
    UnknownUser,
    UnknownFollowee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfollow {
    Unfollowed,
    NotFollowing,
    UnknownUser,
    UnknownFollowee,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts unless the username or the user id is taken (atomically).
    async fn insert(&self, user: &User) -> StoreResult<InsertUser>;
    async fn by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>>;
    /// Whether `username` or `user_id` is some user's (the username first), in one query: an
    /// early answer only, [`UserStore::insert`] checks again atomically.
    async fn taken(&self, username: &str, user_id: &str) -> StoreResult<Option<Taken>>;
    /// The users among `usernames` that exist, in the order asked, each once.
    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>>;
    /// Replaces the stored password (hash and salt) of `user_id`; false if there is no such user.
    async fn set_password(&self, user_id: &str, password: &str, salt: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait SocialGraphStore: Send + Sync {
    /// Creates an empty node; false if it already exists.
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool>;
    async fn contains(&self, user_id: &str) -> StoreResult<bool>;
    /// Whether each of `user_ids` has a node, in the order asked (one query where the backend
    /// has a server).
    async fn contains_many(&self, user_ids: &[String]) -> StoreResult<Vec<bool>>;
    /// Adds the edge on both nodes, or neither.
    async fn follow(&self, user_id: &str, followee_id: &str, timestamp: u64)
    -> StoreResult<Follow>;
    /// Removes the edge from both nodes, or neither.
    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow>;
    /// Followers in follow order; `None` if there is no such node.
    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>>;
    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>>;
}

#[async_trait]
pub trait PostStore: Send + Sync {
    /// Stores a post; false if its `post_id` is taken.
    async fn insert(&self, post: &Post) -> StoreResult<bool>;
    /// The posts with these ids, in the same order, `None` where unknown.
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>>;
}

/// A cache in front of the [`PostStore`]; losing it loses nothing.
#[async_trait]
pub trait PostCache: Send + Sync {
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>>;
    async fn put_many(&self, posts: &[Arc<Post>]) -> StoreResult<()>;
}

/// Per-user lists of post ids, newest first.
#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Adds the post to the timeline of every owner.
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()>;
    /// Post ids at positions `start..stop`, newest first.
    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>>;
    /// The whole timeline, newest first, with timestamps (what a cache is rebuilt from).
    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>>;
}

#[async_trait]
pub trait ShortUrlStore: Send + Sync {
    /// Stores the mappings, or none of them if one short URL is taken (returned).
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>>;
    /// The expanded form of each short URL, `None` where unknown.
    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>>;
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores a file; false if its id is taken.
    async fn put(&self, media: &MediaFile) -> StoreResult<bool>;
    async fn get(&self, media_id: &str) -> StoreResult<Option<MediaFile>>;
}

/// Every store a process uses, chosen once at start-up.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub social_graph: Arc<dyn SocialGraphStore>,
    pub posts: Arc<dyn PostStore>,
    pub post_cache: Arc<dyn PostCache>,
    pub user_timelines: Arc<dyn TimelineStore>,
    pub home_timelines: Arc<dyn TimelineStore>,
    pub short_urls: Arc<dyn ShortUrlStore>,
    pub media: Arc<dyn MediaStore>,
}

impl Stores {
    /// The embedded backend, persisted in `dir`.
    pub fn embedded(dir: &std::path::Path) -> StoreResult<Stores> {
        embedded::open(dir)
    }
}
