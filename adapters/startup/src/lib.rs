//! What every binary starts with — the local server, the OpenFaaS function process and the
//! Lambda bootstraps: where the stores are, the secret that signs login tokens, each request's
//! deadline, the admission limit and the log format. One set of flags (each also an
//! environment variable, which is how OpenFaaS and Lambda configure a process), flattened into
//! each binary's own arguments with `#[command(flatten)]`; what differs per platform (the
//! data directory's default, where a missing secret comes from) is the binary's to say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use axum::serve::{ListenerExt, TapIo};
use clap::Args;
use deathstar_backends::{BackendConfig, open_stores};
use deathstar_handlers::AuthMode;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::password::{Cost, PasswordPolicy};
use deathstar_handlers::store::{Stores, embedded};
use deathstar_http::HttpOptions;
use deathstar_http::dsb::BrowserPolicy;

pub mod otlp;

/// The flags every binary shares.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Directory of the embedded store (created if missing) when there is no MongoDB.
    #[arg(long, env = "DS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Secret that signs login tokens and proves calls between functions; every process of a
    /// deployment needs the same one.
    #[arg(long, env = "DS_AUTH_SECRET", hide_env_values = true)]
    pub auth_secret: Option<String>,
    /// `required`: users act only as themselves (a login token) and internal functions answer
    /// only the deployment's functions. `open`: the original DeathStarFaaS contract, identities
    /// in bodies trusted and every function callable by anyone (its unchanged clients only).
    #[arg(long = "auth", env = "DS_AUTH", default_value_t = AuthMode::Required)]
    pub auth_mode: AuthMode,
    /// Argon2id's cost for new passwords: `m=<KiB>,t=<passes>,p=<lanes>`, `owasp`
    /// (m=19456,t=2,p=1) or `minimal` (m=8,t=1,p=1: load tests only, never real passwords).
    #[arg(long, env = "DS_PASSWORD_COST", default_value_t = Cost::OWASP)]
    pub password_cost: Cost,
    /// Deadline of each request, in seconds; every function it calls inherits it.
    #[arg(long, env = "DS_TIMEOUT_SECS", default_value_t = 20)]
    pub timeout_secs: u64,
    /// Requests served at once; those over it are answered 503 with `Retry-After` (0: no limit).
    #[arg(long, env = "DS_MAX_IN_FLIGHT", default_value_t = deathstar_http::DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// MongoDB connection string; durable stores go there instead of the data dir.
    #[arg(long, env = "MONGO_URI", hide_env_values = true)]
    pub mongo_uri: Option<String>,
    /// Redis host; post and timeline caches go there.
    #[arg(long, env = "REDIS_SERVER")]
    pub redis_server: Option<String>,
    #[arg(long, env = "REDIS_PORT", default_value_t = 6379)]
    pub redis_port: u16,
    /// Redis ACL user to authenticate as (with `--redis-password`); none: Redis's `default`.
    #[arg(long, env = "REDIS_USERNAME")]
    pub redis_username: Option<String>,
    /// Redis password (`requirepass`, or the ACL user's).
    #[arg(long, env = "REDIS_PASSWORD", hide_env_values = true)]
    pub redis_password: Option<String>,
    /// Connect to Redis with TLS (`rediss://`), verifying its certificate.
    #[arg(long, env = "REDIS_TLS", default_value_t = false, action = clap::ArgAction::Set)]
    pub redis_tls: bool,
    /// PEM file of the authorities that sign Redis's certificate (default: the system's roots).
    #[arg(long, env = "REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
    /// How long a storage call waits for MongoDB or Redis before answering 503, in ms.
    #[arg(long, env = "DS_STORE_TIMEOUT_MS", default_value_t = 3000)]
    pub store_timeout_ms: u64,
    /// Prefix of MongoDB collection names and Redis keys (to share servers); empty: the seed's.
    #[arg(long, env = "DS_NAMESPACE", default_value = "")]
    pub namespace: String,
    /// When the embedded store flushes its log to the disk: `always` (before answering each
    /// write) or an interval such as `100ms` (MongoDB's default journal interval).
    #[arg(long, env = "DS_FSYNC", default_value = "100ms")]
    pub fsync: embedded::Sync,
    /// Origins (`https://social.example`) whose pages may send the browser routes (`/api/`)
    /// and ds-net's forms state-changing requests, besides the server's own; comma-separated.
    #[arg(long, env = "DS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Mark the login cookie `Secure` (HTTPS only): set it when clients reach the server by TLS.
    #[arg(long, env = "DS_SECURE_COOKIE", default_value_t = false)]
    pub secure_cookie: bool,
}

impl Common {
    /// Where the stores are, as the backends take it.
    pub fn backends(&self) -> BackendConfig {
        // An empty variable is no server: `MONGO_URI=` in a descriptor means "none".
        let set = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        BackendConfig {
            mongo_uri: set(&self.mongo_uri),
            redis_server: set(&self.redis_server),
            redis_port: Some(self.redis_port),
            redis_username: set(&self.redis_username),
            redis_password: set(&self.redis_password),
            redis_tls: self.redis_tls,
            redis_ca_file: self.redis_ca_file.clone(),
            timeout: Duration::from_millis(self.store_timeout_ms),
            namespace: self.namespace.clone(),
            sync: self.fsync,
            round_trips: None,
        }
    }

    /// How new passwords are hashed.
    pub fn passwords(&self) -> PasswordPolicy {
        PasswordPolicy::new(self.password_cost)
    }

    /// Each request's deadline.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The HTTP edge's options from these flags.
    pub fn http_options(&self) -> HttpOptions {
        HttpOptions {
            timeout: self.timeout(),
            max_in_flight: self.max_in_flight,
            ..HttpOptions::default()
        }
    }

    /// What the browser routes allow and set.
    /// ds-net's options from these flags, its links under `base` (what a gateway in front
    /// strips from the browser's paths; empty where the pages are at `/`).
    pub fn web_options(&self, base: &str) -> deathstar_web::WebOptions {
        deathstar_web::WebOptions {
            base: deathstar_web::Base::configured(base),
            timeout: self.timeout(),
            browser: self.browser_policy(),
        }
    }

    /// The HTTP edge of `registry` with `more` routes and ds-net's pages at `/` and under
    /// `/function/ds-net` (links under `base`, what a proxy in front strips).
    pub fn router_with_pages(
        &self,
        registry: deathstar_handlers::Registry,
        options: HttpOptions,
        more: axum::Router,
        base: &str,
    ) -> axum::Router {
        let pages = deathstar_web::site(registry.clone(), self.web_options(base));
        let more = more.merge(deathstar_web::nested(&pages));
        deathstar_http::router_with_pages(registry, options, more, pages)
    }

    pub fn browser_policy(&self) -> BrowserPolicy {
        BrowserPolicy {
            allowed_origins: self
                .allowed_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            secure_cookie: self.secure_cookie,
        }
    }

    /// The data directory: the flag's, else `default`.
    pub fn data_dir_or(&self, default: &str) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| default.into())
    }

    /// Opens the stores, the embedded one in `data_dir` (created owner-only) when there is no
    /// MongoDB.
    pub async fn open_stores(&self, data_dir: &Path) -> anyhow::Result<Stores> {
        let backends = self.backends();
        if backends.mongo_uri.is_none() {
            embedded::create_private_dir(data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
        }
        open_stores(&backends, data_dir)
            .await
            .with_context(|| format!("opening the stores ({})", backends.describe()))
    }

    /// The signing key from `--auth-secret` (refused if blank), else from `fallback` — a
    /// stored secret, a platform's secret file, or a random one — which says where it came
    /// from.
    pub fn auth_key(
        &self,
        fallback: impl FnOnce() -> anyhow::Result<AuthKey>,
    ) -> anyhow::Result<AuthKey> {
        match &self.auth_secret {
            Some(secret) => Ok(AuthKey::configured(
                secret,
                "--auth-secret (DS_AUTH_SECRET)",
            )?),
            None => fallback(),
        }
    }
}

/// Says at start-up what the auth mode lets callers do (loudly when it is `open`) and how
/// passwords are hashed.
pub fn log_auth_mode(mode: AuthMode, cost: Cost) {
    tracing::info!(password_cost = %cost, "new passwords are hashed with Argon2id");
    match mode {
        AuthMode::Required => tracing::info!(
            auth = %mode,
            "users act only as themselves; internal functions answer only functions"
        ),
        AuthMode::Open => tracing::warn!(
            auth = %mode,
            "anyone may act as any user and call any function (DS_AUTH=open)"
        ),
    }
}

/// A random signing key, with the warning that tokens it signs verify only in this process.
pub fn random_auth_key() -> AuthKey {
    tracing::warn!("no DS_AUTH_SECRET: login tokens only verify in this process");
    AuthKey::random()
}

/// A listener whose accepted connections send each reply at once (`TCP_NODELAY`), as
/// [`axum::serve`] takes it.
pub type SendAtOnce = TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>;

/// A listener on `address` whose connections send each reply at once ([`send_at_once`]).
pub async fn bind(address: std::net::SocketAddr) -> anyhow::Result<SendAtOnce> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    Ok(send_at_once(listener))
}

/// `listener` with `TCP_NODELAY` set on every connection it accepts. `axum::serve` leaves
/// Nagle's algorithm on: a reply written in more than one piece then waits for the client's
/// delayed ACK (up to 40 ms on Linux) before its last piece goes out.
pub fn send_at_once(listener: tokio::net::TcpListener) -> SendAtOnce {
    let nodelay: fn(&mut tokio::net::TcpStream) = |stream| {
        // A connection without the option is served anyway, only slower.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    };
    listener.tap_io(nodelay)
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM (what the OpenFaaS
/// watchdog, Kubernetes and systemd send), for a graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// How log lines start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamps {
    /// The process writes its own (a terminal, a container log).
    Written,
    /// The platform stamps every line (CloudWatch): no second timestamp.
    ByPlatform,
}

/// A binary's arguments `A` (flags, else environment; a usage error ends the process with
/// clap's message), with logging started first so that start-up is logged.
pub fn start<A: clap::Parser>(timestamps: Timestamps) -> A {
    init_logging(timestamps);
    A::parse()
}

/// Logs to stderr at `RUST_LOG`'s level (`info` by default).
pub fn init_logging(timestamps: Timestamps) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match timestamps {
        Timestamps::Written => logs.init(),
        Timestamps::ByPlatform => logs.without_time().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Binary {
        #[command(flatten)]
        common: Common,
    }

    /// Every accepted connection has Nagle's algorithm off, whatever the client set.
    #[tokio::test]
    async fn accepted_connections_send_at_once() {
        use axum::serve::Listener;
        let mut listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(address).await.unwrap();
        client.set_nodelay(false).unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }

    fn parse(args: &[&str]) -> Common {
        let args = std::iter::once("binary").chain(args.iter().copied());
        Binary::try_parse_from(args).unwrap().common
    }

    #[test]
    fn flags_become_the_backends_and_the_edges_options() {
        let common = parse(&[
            "--mongo-uri",
            "mongodb://127.0.0.1:1/",
            "--store-timeout-ms",
            "250",
            "--timeout-secs",
            "7",
            "--max-in-flight",
            "3",
        ]);
        let backends = common.backends();
        assert_eq!(
            backends.mongo_uri.as_deref(),
            Some("mongodb://127.0.0.1:1/")
        );
        assert_eq!(backends.timeout, Duration::from_millis(250));
        assert_eq!(common.http_options().timeout, Duration::from_secs(7));
        assert_eq!(common.http_options().max_in_flight, 3);
    }

    #[test]
    fn allowed_origins_are_a_comma_separated_list() {
        let common = parse(&["--allowed-origins", "https://a.example/, https://b.example"]);
        let policy = common.browser_policy();
        assert_eq!(
            policy.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert!(!policy.secure_cookie);
    }

    #[test]
    fn auth_is_required_unless_opened() {
        assert_eq!(parse(&[]).auth_mode, AuthMode::Required);
        assert_eq!(parse(&["--auth", "open"]).auth_mode, AuthMode::Open);
        assert_eq!(parse(&[]).password_cost, Cost::OWASP);
        assert_eq!(
            parse(&["--password-cost", "minimal"]).password_cost,
            Cost::MINIMAL
        );
        let args = ["binary", "--auth", "none"];
        assert!(Binary::try_parse_from(args).is_err());
    }

    #[test]
    fn a_blank_server_is_no_server() {
        let common = parse(&["--mongo-uri", " ", "--redis-server", ""]);
        assert_eq!(common.backends().mongo_uri, None);
        assert_eq!(common.backends().redis_server, None);
    }

    #[test]
    fn a_blank_secret_is_refused_and_a_missing_one_falls_back() {
        let blank = parse(&["--auth-secret", "  "]);
        assert!(blank.auth_key(|| unreachable!()).is_err());
        let missing = parse(&[]);
        let mut fell_back = false;
        missing
            .auth_key(|| {
                fell_back = true;
                Ok(AuthKey::new("k"))
            })
            .unwrap();
        assert!(fell_back);
    }
}
