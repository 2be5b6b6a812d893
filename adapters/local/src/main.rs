//! `deathstar`: the whole social network in one process, on embedded storage.
//!
//! Serves every function at `/function/<name>` (the OpenFaaS gateway's path, so clients of
//! the original work unchanged), DeathStarBench's `/wrk2-api/` routes (so its wrk2 scripts and
//! `init_social_graph.py` work unchanged) and `/healthz`. Data lives in `--data-dir` and survives
//! restarts, or in MongoDB and Redis when `MONGO_URI` / `REDIS_SERVER` say so. Stops cleanly
//! on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use deathstar_backends::{BackendConfig, open_stores};
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::store::embedded;
use deathstar_http::{HttpOptions, dsb, router_with};

// Every request allocates many small strings and vectors; glibc's malloc took a third of the
// CPU under load (docs/BENCHMARKS.md), mimalloc's thread-local free lists far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "The DeathStarBench social network, all functions in one process"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "DS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the embedded store (created if missing).
    #[arg(long, env = "DS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Secret that signs login tokens; by default one is generated and kept in the data dir.
    #[arg(long, env = "DS_AUTH_SECRET", hide_env_values = true)]
    auth_secret: Option<String>,
    /// Deadline of each request, in seconds.
    #[arg(long, env = "DS_TIMEOUT_SECS", default_value_t = 20)]
    timeout_secs: u64,
    /// Requests served at once; those over it are answered 503 with `Retry-After` (0: no limit).
    #[arg(long, env = "DS_MAX_IN_FLIGHT", default_value_t = deathstar_http::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// MongoDB connection string; durable stores go there instead of the data dir.
    #[arg(long, env = "MONGO_URI", hide_env_values = true)]
    mongo_uri: Option<String>,
    /// Redis host; post and timeline caches go there.
    #[arg(long, env = "REDIS_SERVER")]
    redis_server: Option<String>,
    #[arg(long, env = "REDIS_PORT", default_value_t = 6379)]
    redis_port: u16,
    /// How long a storage call waits for MongoDB or Redis before answering 503, in ms.
    #[arg(long, env = "DS_STORE_TIMEOUT_MS", default_value_t = 3000)]
    store_timeout_ms: u64,
    /// Prefix of MongoDB collection names and Redis keys (to share servers); empty: the seed's.
    #[arg(long, env = "DS_NAMESPACE", default_value = "")]
    namespace: String,
    /// When the embedded store flushes its log to the disk: `always` (before answering each
    /// write) or an interval such as `100ms` (MongoDB's default journal interval).
    #[arg(long, env = "DS_FSYNC", default_value = "100ms")]
    fsync: embedded::Sync,
}

impl Args {
    fn backends(&self) -> BackendConfig {
        BackendConfig {
            mongo_uri: self.mongo_uri.clone(),
            redis_server: self.redis_server.clone(),
            redis_port: Some(self.redis_port),
            timeout: Duration::from_millis(self.store_timeout_ms),
            namespace: self.namespace.clone(),
            sync: self.fsync,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();

    deathstar_handlers::store::embedded::create_private_dir(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let backends = args.backends();
    let stores = open_stores(&backends, &args.data_dir)
        .await
        .with_context(|| format!("opening the stores ({})", backends.describe()))?;
    let auth = match &args.auth_secret {
        Some(secret) => AuthKey::configured(secret, "--auth-secret (DS_AUTH_SECRET)")?,
        None => stored_auth_key(&args.data_dir)?,
    };
    let registry = Registry::in_process(stores, auth.clone());
    let timeout = Duration::from_secs(args.timeout_secs);
    let dsb = dsb::router(registry.clone(), timeout, auth);
    let options = HttpOptions {
        timeout,
        max_in_flight: args.max_in_flight,
        ..HttpOptions::default()
    };
    let app = router_with(registry, options, dsb);

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        data_dir = %args.data_dir.display(),
        storage = %backends.describe(),
        functions = Registry::names().len(),
        "deathstar serving"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The data dir's signing secret, created on first start, so tokens survive restarts.
fn stored_auth_key(data_dir: &Path) -> anyhow::Result<AuthKey> {
    use std::io::Write;
    let path = data_dir.join("auth-secret");
    let source = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(secret) => return Ok(AuthKey::configured(&secret, &source)?),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("reading {source}"));
        }
        Err(_) => {}
    }
    let secret = deathstar_handlers::auth::new_secret();
    let mut options = std::fs::OpenOptions::new();
    // Owner-only from the start; `create_new`, so two servers starting at once cannot
    // overwrite each other's secret.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&path)
        .and_then(|mut file| file.write_all(secret.as_bytes()))
        .with_context(|| format!("writing {source}"))?;
    Ok(AuthKey::new(secret))
}

async fn shutdown_signal() {
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
