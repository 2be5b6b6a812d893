//! The MongoDB backend, in the seed's databases, collections and document shapes
//! (`users.users`, `social_graph.social_graph`, `post.post`, `url_shorten.url_shorten`,
//! `user_timeline.user_timeline`, plus `home_timeline.home_timeline` and `media.media`).
//!
//! Only what FerretDB v1 also implements is used: single-document atomic updates (`$push`,
//! `$pull`, `$set` with query guards), upserts, unique indexes, `find` with `$in`. No
//! transactions, no `$position`, no `$slice` projections: timelines are appended to and ordered
//! by timestamp when read.

mod graph;
mod media;
mod posts;
mod timelines;
mod urls;
mod users;

use std::sync::Arc;
use std::time::Duration;

use deathstar_handlers::store::{PostCache, StoreError, Stores};
use mongodb::bson::{Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, IndexModel};

pub use timelines::MongoTimelines;

/// Handles on every collection the backend uses.
#[derive(Clone)]
pub struct Mongo {
    users: Collection<Document>,
    social_graph: Collection<Document>,
    posts: Collection<Document>,
    short_urls: Collection<Document>,
    media: Collection<Document>,
    user_timeline: Collection<Document>,
    home_timeline: Collection<Document>,
}

impl Mongo {
    /// Connects and creates the indexes. `timeout` bounds server selection and connecting,
    /// so a call made while the server is down fails in that time with a 503.
    /// `namespace` prefixes every database name (empty: the seed's names).
    pub async fn connect(
        uri: &str,
        timeout: Duration,
        namespace: &str,
    ) -> Result<Mongo, StoreError> {
        let mut options = ClientOptions::parse(uri).await.map_err(|e| {
            StoreError::Internal(format!("MONGO_URI is not a MongoDB connection string: {e}"))
        })?;
        options.app_name.get_or_insert_with(|| "deathstar".into());
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        let client = Client::with_options(options).map_err(to_store)?;
        let collection = |db: &str, name: &str| {
            client
                .database(&format!("{namespace}{db}"))
                .collection::<Document>(name)
        };
        let mongo = Mongo {
            users: collection("users", "users"),
            social_graph: collection("social_graph", "social_graph"),
            posts: collection("post", "post"),
            short_urls: collection("url_shorten", "url_shorten"),
            media: collection("media", "media"),
            user_timeline: collection("user_timeline", "user_timeline"),
            home_timeline: collection("home_timeline", "home_timeline"),
        };
        mongo.create_indexes().await?;
        Ok(mongo)
    }

    async fn create_indexes(&self) -> Result<(), StoreError> {
        let unique = [
            (&self.users, "username"),
            (&self.users, "user_id"),
            (&self.social_graph, "user_id"),
            (&self.posts, "post_id"),
            (&self.short_urls, "shortened_url"),
            (&self.media, "media_id"),
            (&self.user_timeline, "user_id"),
            (&self.home_timeline, "user_id"),
        ];
        for (collection, field) in unique {
            let index = IndexModel::builder()
                .keys(doc! { field: 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build();
            collection.create_index(index).await.map_err(to_store)?;
        }
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
            user_timelines: Arc::new(MongoTimelines::new(mongo.user_timeline.clone())),
            home_timelines: Arc::new(MongoTimelines::new(mongo.home_timeline.clone())),
            short_urls: mongo.clone(),
            media: mongo,
        }
    }
}

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

/// Whether `e` is a unique-index violation.
pub(crate) fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    const DUPLICATE_KEY: i32 = 11000;
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
