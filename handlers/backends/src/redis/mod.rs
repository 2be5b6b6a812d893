//! The Redis backend: the post cache and the timeline caches, over one auto-reconnecting
//! connection ([`ConnectionManager`]) shared by every function of the process.
//!
//! The connection is made on first use, not at start-up, so a process starts while Redis is
//! down and serves as soon as it is back. Every command has a response timeout: a slow or
//! absent Redis is a 503 (`StorageUnavailableError`), never a hang.

mod post_cache;
mod timelines;

use std::sync::Arc;
use std::time::Duration;

use deathstar_handlers::store::{StoreError, StoreResult, TimelineStore};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, IntoConnectionInfo, Pipeline, RedisFuture, Value};
use tokio::sync::OnceCell;

use crate::round_trips::RoundTrips;

pub use post_cache::RedisPostCache;
pub use timelines::CachedTimelines;

#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// Prefix of every key (empty: the seed's keys).
    namespace: String,
    timeout: Duration,
    connection: OnceCell<ConnectionManager>,
    /// Where the requests sent are counted, if anywhere.
    round_trips: Option<Arc<RoundTrips>>,
}

/// Makes ring the process's TLS crypto provider if none is: the workspace's other TLS users
/// (the AWS SDK, reqwest) compile in two providers, and rustls then wants one chosen.
fn tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Where the Redis server is, and who to authenticate as.
#[derive(Debug, Clone, Copy)]
pub struct Server<'a> {
    pub host: &'a str,
    pub port: u16,
    /// An ACL user (with `password`); none: the `default` user.
    pub username: Option<&'a str>,
    /// `requirepass`'s password, or the ACL user's; none: no `AUTH`.
    pub password: Option<&'a str>,
    /// Connect with TLS (`rediss://`); none: plain TCP.
    pub tls: Option<Tls<'a>>,
}

/// How a TLS connection checks the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tls<'a> {
    /// PEM certificates of the authorities that sign the server's certificate; none: the
    /// system's trusted roots.
    pub ca_pem: Option<&'a [u8]>,
}

impl Redis {
    pub fn new(server: &Server<'_>, timeout: Duration, namespace: &str) -> StoreResult<Redis> {
        Redis::counted(server, timeout, namespace, None)
    }

    /// [`Redis::new`], counting every request it sends in `round_trips`.
    pub fn counted(
        server: &Server<'_>,
        timeout: Duration,
        namespace: &str,
        round_trips: Option<Arc<RoundTrips>>,
    ) -> StoreResult<Redis> {
        let Server { host, port, .. } = *server;
        let address = || format!("redis address {host}:{port}");
        let scheme = if server.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        let info = format!("{scheme}://{host}:{port}/")
            .into_connection_info()
            .map_err(|e| StoreError::Internal(format!("{}: {e}", address())))?;
        // The credentials beside the URL, not in it: a password needs no escaping this way.
        let mut settings = info.redis_settings().clone();
        if let Some(username) = server.username {
            settings = settings.set_username(username);
        }
        if let Some(password) = server.password {
            settings = settings.set_password(password);
        }
        let info = info.set_redis_settings(settings);
        let client = match server.tls {
            None => redis::Client::open(info),
            Some(tls) => {
                tls_provider();
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: tls.ca_pem.map(<[u8]>::to_vec),
                };
                redis::Client::build_with_tls(info, certificates)
            }
        }
        .map_err(|e| StoreError::Internal(format!("{}: {e}", address())))?;
        Ok(Redis {
            inner: Arc::new(Inner {
                client,
                namespace: namespace.to_owned(),
                timeout,
                connection: OnceCell::new(),
                round_trips,
            }),
        })
    }

    /// The shared connection, connecting first if this is the first use.
    pub(crate) async fn connection(&self) -> StoreResult<Connection> {
        let inner = &self.inner;
        let connection = inner
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(inner.timeout))
                    .set_response_timeout(Some(inner.timeout))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_with_config(inner.client.clone(), config).await
            })
            .await
            .map_err(to_store)?;
        Ok(Connection {
            shared: connection.clone(),
            round_trips: inner.round_trips.clone(),
        })
    }

    /// `key` in this deployment's namespace.
    pub(crate) fn key(&self, key: std::fmt::Arguments<'_>) -> String {
        format!("{}{key}", self.inner.namespace)
    }

    pub fn post_cache(&self) -> RedisPostCache {
        RedisPostCache::new(self.clone())
    }

    /// User timelines cached under the seed's key, the bare user id.
    pub fn user_timelines(&self, authority: Arc<dyn TimelineStore>) -> CachedTimelines {
        CachedTimelines::new(self.clone(), "", authority)
    }

    /// Home timelines cached under `home:<user_id>`.
    pub fn home_timelines(&self, authority: Arc<dyn TimelineStore>) -> CachedTimelines {
        CachedTimelines::new(self.clone(), "home:", authority)
    }
}

/// The shared connection as the stores use it: every request through it is counted when the
/// deployment counts its round trips.
pub(crate) struct Connection {
    shared: ConnectionManager,
    round_trips: Option<Arc<RoundTrips>>,
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        if let Some(round_trips) = &self.round_trips {
            round_trips.redis_request(1);
        }
        self.shared.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        if let Some(round_trips) = &self.round_trips {
            round_trips.redis_request(pipeline.len());
        }
        self.shared.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.shared.get_db()
    }
}

/// Connection trouble and timeouts are "unavailable" (503, retry later).
pub(crate) fn to_store(e: redis::RedisError) -> StoreError {
    if e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_timeout()
        || e.is_unrecoverable_error()
    {
        StoreError::Unavailable(format!("redis: {e}"))
    } else {
        StoreError::Internal(format!("redis: {e}"))
    }
}
