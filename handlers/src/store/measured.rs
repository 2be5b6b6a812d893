//! Stores that time every operation: [`Measured`] wraps a store of any backend and records
//! each call in `deathstar_store_operations_total` and `deathstar_store_operation_duration_seconds`
//! ([`crate::metrics`]), labelled with the backend, the store and the operation, and, in a
//! traced invocation, makes it a client span ([`crate::spans`]). The backends
//! (`handlers/backends`) wrap what they open, layer by layer, so a Redis timeline that falls
//! back to MongoDB shows as a `redis` operation and the `mongodb` ones behind it.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::*;
use crate::metrics::metrics;
use crate::spans::{self, SpanKind};

/// `inner`, timed, as store `store` of backend `backend` (`embedded`, `mongodb`, `redis`,
/// `memory`).
pub struct Measured<T: ?Sized> {
    inner: Arc<T>,
    backend: &'static str,
    store: &'static str,
}

impl<T: ?Sized> Measured<T> {
    pub fn new(inner: Arc<T>, backend: &'static str, store: &'static str) -> Arc<Self> {
        Arc::new(Measured {
            inner,
            backend,
            store,
        })
    }

    async fn timed<R>(
        &self,
        operation: &'static str,
        run: impl Future<Output = StoreResult<R>>,
    ) -> StoreResult<R> {
        let started = Instant::now();
        // A span of the invocation that makes it, when that is traced; a store behind this one
        // (MongoDB behind a Redis cache) makes its spans children of this one.
        let traced = spans::current().and_then(|trace| {
            let span = trace.child();
            let name = || format!("{} {operation}", self.store);
            spans::start(&span, SpanKind::Client, name).map(|started| (span, started))
        });
        let (result, span) = match traced {
            Some((trace, started)) => (spans::within(trace, run).await, Some(started)),
            None => (run.await, None),
        };
        metrics().store_operation(self.backend, self.store, operation, started.elapsed());
        if let Some(span) = span {
            let attributes = vec![
                ("db.system.name", self.backend.into()),
                ("db.collection.name", self.store.into()),
                ("db.operation.name", operation.into()),
            ];
            span.finish(attributes, result.as_ref().err().map(|e| e.to_string()));
        }
        result
    }
}

#[async_trait]
impl<T: UserStore + ?Sized> UserStore for Measured<T> {
    async fn insert(&self, user: &User) -> StoreResult<InsertUser> {
        self.timed("insert", self.inner.insert(user)).await
    }
    async fn by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.timed("by_username", self.inner.by_username(username))
            .await
    }
    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>> {
        self.timed("by_user_id", self.inner.by_user_id(user_id))
            .await
    }
    async fn taken(&self, username: &str, user_id: &str) -> StoreResult<Option<Taken>> {
        self.timed("taken", self.inner.taken(username, user_id))
            .await
    }
    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        self.timed("by_usernames", self.inner.by_usernames(usernames))
            .await
    }
    async fn set_password(&self, user_id: &str, password: &str, salt: &str) -> StoreResult<bool> {
        let set = self.inner.set_password(user_id, password, salt);
        self.timed("set_password", set).await
    }
}

#[async_trait]
impl<T: SocialGraphStore + ?Sized> SocialGraphStore for Measured<T> {
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool> {
        self.timed("insert_user", self.inner.insert_user(user_id))
            .await
    }
    async fn contains(&self, user_id: &str) -> StoreResult<bool> {
        self.timed("contains", self.inner.contains(user_id)).await
    }
    async fn contains_many(&self, user_ids: &[String]) -> StoreResult<Vec<bool>> {
        self.timed("contains_many", self.inner.contains_many(user_ids))
            .await
    }
    async fn follow(
        &self,
        user_id: &str,
        followee_id: &str,
        timestamp: u64,
    ) -> StoreResult<Follow> {
        let follow = self.inner.follow(user_id, followee_id, timestamp);
        self.timed("follow", follow).await
    }
    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow> {
        self.timed("unfollow", self.inner.unfollow(user_id, followee_id))
            .await
    }
    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.timed("followers", self.inner.followers(user_id)).await
    }
    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.timed("followees", self.inner.followees(user_id)).await
    }
}

#[async_trait]
impl<T: PostStore + ?Sized> PostStore for Measured<T> {
    async fn insert(&self, post: &Post) -> StoreResult<bool> {
        self.timed("insert", self.inner.insert(post)).await
    }
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        self.timed("get_many", self.inner.get_many(post_ids)).await
    }
}

#[async_trait]
impl<T: PostCache + ?Sized> PostCache for Measured<T> {
    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        self.timed("get_many", self.inner.get_many(post_ids)).await
    }
    async fn put_many(&self, posts: &[Arc<Post>]) -> StoreResult<()> {
        self.timed("put_many", self.inner.put_many(posts)).await
    }
}

#[async_trait]
impl<T: TimelineStore + ?Sized> TimelineStore for Measured<T> {
    async fn append(&self, owners: &[String], post_id: &str, timestamp: u64) -> StoreResult<()> {
        let append = self.inner.append(owners, post_id, timestamp);
        self.timed("append", append).await
    }
    async fn range(&self, owner: &str, start: usize, stop: usize) -> StoreResult<Vec<String>> {
        self.timed("range", self.inner.range(owner, start, stop))
            .await
    }
    async fn entries(&self, owner: &str) -> StoreResult<Vec<TimelineEntry>> {
        self.timed("entries", self.inner.entries(owner)).await
    }
}

#[async_trait]
impl<T: ShortUrlStore + ?Sized> ShortUrlStore for Measured<T> {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        self.timed("insert_many", self.inner.insert_many(urls))
            .await
    }
    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        self.timed("expand_many", self.inner.expand_many(shortened))
            .await
    }
}

#[async_trait]
impl<T: MediaStore + ?Sized> MediaStore for Measured<T> {
    async fn put(&self, media: &MediaFile) -> StoreResult<bool> {
        self.timed("put", self.inner.put(media)).await
    }
    async fn get(&self, media_id: &str) -> StoreResult<Option<MediaFile>> {
        self.timed("get", self.inner.get(media_id)).await
    }
}

impl Stores {
    /// Every store timed, labelled with the backend `durable` (users, graph, posts, timelines,
    /// short URLs, media) and `cache` (the post cache).
    pub fn measured(self, durable: &'static str, cache: &'static str) -> Stores {
        Stores {
            users: Measured::new(self.users, durable, "users"),
            social_graph: Measured::new(self.social_graph, durable, "social_graph"),
            posts: Measured::new(self.posts, durable, "posts"),
            post_cache: Measured::new(self.post_cache, cache, "post_cache"),
            user_timelines: Measured::new(self.user_timelines, durable, "user_timelines"),
            home_timelines: Measured::new(self.home_timelines, durable, "home_timelines"),
            short_urls: Measured::new(self.short_urls, durable, "short_urls"),
            media: Measured::new(self.media, durable, "media"),
        }
    }
}
