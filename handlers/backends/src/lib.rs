//! Production storage: MongoDB and Redis implementations of the traits in
//! [`deathstar_handlers::store`], and [`open_stores`], which picks the backends from
//! configuration the same way in every adapter:
//!
//! | configuration | durable stores | caches (posts, timelines) |
//! |---|---|---|
//! | nothing | embedded (memory + a log file in the data dir) | none (posts are in memory) |
//! | `MONGO_URI` | MongoDB | in memory / none |
//! | `REDIS_SERVER` (+ `REDIS_PORT`) | embedded | Redis |
//! | both | MongoDB | Redis |
//!
//! Redis is only ever a cache: every post and timeline entry is also in the durable store, and
//! a timeline missing from Redis is rebuilt from it.

pub mod mongo;
pub mod redis;
pub mod round_trips;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deathstar_handlers::store::measured::Measured;
use deathstar_handlers::store::{MemoryPostCache, embedded};
use deathstar_handlers::store::{PostCache, StoreError, Stores};

pub use round_trips::{Counts, RoundTrips};

/// Where the stores live.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// `MONGO_URI`: any MongoDB connection string, replica sets included.
    pub mongo_uri: Option<String>,
    /// `REDIS_SERVER`: host name of the Redis server.
    pub redis_server: Option<String>,
    /// `REDIS_PORT` (default 6379).
    pub redis_port: Option<u16>,
    /// `REDIS_USERNAME`: the ACL user to authenticate as (with the password); none: `default`.
    pub redis_username: Option<String>,
    /// `REDIS_PASSWORD`: the password (`requirepass`, or the ACL user's).
    pub redis_password: Option<String>,
    /// `REDIS_TLS`: connect with TLS (`rediss://`), verifying the server's certificate.
    pub redis_tls: bool,
    /// `REDIS_CA_FILE`: the PEM certificates that verify the server's, instead of the system's.
    pub redis_ca_file: Option<std::path::PathBuf>,
    /// How long a store call may wait for its server before answering 503.
    pub timeout: Duration,
    /// `DS_NAMESPACE`: a prefix for MongoDB collection names and Redis keys, so that several
    /// deployments (or tests) can share servers. Empty: the seed's names.
    pub namespace: String,
    /// When the embedded store flushes its log to the disk.
    pub sync: embedded::Sync,
    /// Where to count the MongoDB commands and Redis requests the stores send (tests and
    /// benchmarks); none: nothing is counted.
    pub round_trips: Option<Arc<RoundTrips>>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            mongo_uri: None,
            redis_server: None,
            redis_port: None,
            redis_username: None,
            redis_password: None,
            redis_tls: false,
            redis_ca_file: None,
            timeout: DEFAULT_TIMEOUT,
            namespace: String::new(),
            sync: embedded::Sync::default(),
            round_trips: None,
        }
    }
}

impl BackendConfig {
    /// Reads the seed's environment variables.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        BackendConfig {
            mongo_uri: var("MONGO_URI"),
            redis_server: var("REDIS_SERVER"),
            redis_port: var("REDIS_PORT").and_then(|p| p.parse().ok()),
            redis_username: var("REDIS_USERNAME"),
            redis_password: var("REDIS_PASSWORD"),
            redis_tls: var("REDIS_TLS").is_some_and(|v| v == "true" || v == "1"),
            redis_ca_file: var("REDIS_CA_FILE").map(Into::into),
            timeout: DEFAULT_TIMEOUT,
            namespace: var("DS_NAMESPACE").unwrap_or_default(),
            sync: embedded::Sync::default(),
            round_trips: None,
        }
    }

    /// A one-line description for start-up logs (no credentials).
    pub fn describe(&self) -> String {
        let durable = if self.mongo_uri.is_some() {
            "mongodb"
        } else {
            "embedded"
        };
        let authenticated = match (&self.redis_username, &self.redis_password) {
            (Some(user), Some(_)) => format!(" as {user}, with a password"),
            (None, Some(_)) => " with a password".to_owned(),
            _ => String::new(),
        };
        let scheme = if self.redis_tls { "rediss" } else { "redis" };
        match &self.redis_server {
            Some(host) => format!(
                "{durable} + {scheme} at {host}:{}{authenticated}",
                self.redis_port.unwrap_or(6379)
            ),
            None => durable.to_owned(),
        }
    }
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens the stores `config` asks for; `data_dir` holds the embedded store when it is used.
pub async fn open_stores(config: &BackendConfig, data_dir: &Path) -> Result<Stores, StoreError> {
    let redis = match &config.redis_server {
        Some(host) => {
            let ca = match &config.redis_ca_file {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    StoreError::Internal(format!("REDIS_CA_FILE {}: {e}", path.display()))
                })?),
                None => None,
            };
            let tls = config.redis_tls.then_some(redis::Tls {
                ca_pem: ca.as_deref(),
            });
            let server = redis::Server {
                host,
                port: config.redis_port.unwrap_or(6379),
                username: config.redis_username.as_deref(),
                password: config.redis_password.as_deref(),
                tls,
            };
            Some(redis::Redis::counted(
                &server,
                config.timeout,
                &config.namespace,
                config.round_trips.clone(),
            )?)
        }
        None => None,
    };
    let redis_cache: Option<Arc<dyn PostCache>> = redis
        .as_ref()
        .map(|redis| Arc::new(redis.post_cache()) as Arc<dyn PostCache>);
    // Every store timed ([`Measured`]), labelled with its backend; the Redis timelines in
    // front of the durable ones are timed apart, so a miss shows as the durable reads it makes.
    let cache_backend = if redis.is_some() { "redis" } else { "memory" };
    let mut stores = match &config.mongo_uri {
        Some(uri) => {
            let cache =
                redis_cache.unwrap_or_else(|| Arc::new(MemoryPostCache::new(POST_CACHE_ENTRIES)));
            let round_trips = config.round_trips.as_ref();
            mongo::Mongo::connect(uri, config.timeout, &config.namespace, round_trips)
                .await?
                .stores(cache)
                .measured("mongodb", cache_backend)
        }
        // The embedded store keeps posts in memory and needs no cache of its own.
        None => {
            let embedded = embedded::open_with(data_dir, config.sync)?;
            let cache_backend = if redis.is_some() { "redis" } else { "embedded" };
            Stores {
                post_cache: redis_cache.unwrap_or(embedded.post_cache.clone()),
                ..embedded
            }
            .measured("embedded", cache_backend)
        }
    };
    if let Some(redis) = &redis {
        let user = redis.user_timelines(stores.user_timelines.clone());
        stores.user_timelines = Measured::new(Arc::new(user), "redis", "user_timelines");
        let home = redis.home_timelines(stores.home_timelines.clone());
        stores.home_timelines = Measured::new(Arc::new(home), "redis", "home_timelines");
    }
    Ok(stores)
}

/// Posts kept by the in-process post cache when there is no Redis.
const POST_CACHE_ENTRIES: usize = 100_000;
