//! `deathstar`: the whole social network in one process, on embedded storage.
//!
//! Serves the web pages (ds-net) at `/` and at `/function/ds-net/`, every function at
//! `/function/<name>` (the OpenFaaS gateway's path, so clients of
//! the original work unchanged), DeathStarBench's `/wrk2-api/` routes (so its wrk2 scripts and
//! `init_social_graph.py` work unchanged; `--wrk2-api false` turns them off) and its browser
//! routes `/api/`, and `/healthz`. Data lives in `--data-dir` and survives
//! restarts, or in MongoDB and Redis when `MONGO_URI` / `REDIS_SERVER` say so. Stops cleanly
//! on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use axum::serve::Listener;
use clap::Parser;
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_http::dsb;
use deathstar_startup::{Common, Timestamps};

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
    /// Serve DeathStarBench's `/wrk2-api/` routes, its load generator's unauthenticated API:
    /// they let anyone act as any user, whatever `--auth` says. `false` to turn them off.
    #[arg(long, env = "DS_WRK2_API", default_value_t = true, action = clap::ArgAction::Set)]
    wrk2_api: bool,
    #[command(flatten)]
    common: Common,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Args = deathstar_startup::start(Timestamps::Written);
    let common = &args.common;

    let data_dir = common.data_dir_or("./data");
    let stores = common.open_stores(&data_dir).await?;
    // Without a configured secret, one kept in the data dir: tokens survive restarts.
    let auth = common.auth_key(|| stored_auth_key(&data_dir))?;
    let registry = Registry::in_process(stores, auth)
        .with_auth_mode(common.auth_mode)
        .with_passwords(common.passwords());
    let (timeout, browser) = (common.timeout(), common.browser_policy());
    let dsb = match args.wrk2_api {
        true => dsb::router_with_policy(registry.clone(), timeout, browser),
        false => dsb::browser_router(registry.clone(), timeout, browser),
    };
    let app = common.router_with_pages(registry, common.http_options(), dsb, "");

    let listener = deathstar_startup::bind(args.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(
        listen = %address,
        data_dir = %data_dir.display(),
        storage = %common.backends().describe(),
        functions = Registry::names().len(),
        wrk2_api = args.wrk2_api,
        "deathstar serving"
    );
    tracing::info!("open http://{address}/ in a browser");
    deathstar_startup::log_auth_mode(common.auth_mode, common.password_cost);
    let exporter = deathstar_startup::otlp::install("deathstar")?;
    if let Some(exporter) = &exporter {
        tracing::info!(to = %exporter.destination, "exporting spans over OTLP");
    }
    // With each connection's peer address: the client of login throttling.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(deathstar_startup::shutdown_signal())
        .await?;
    if let Some(exporter) = exporter {
        exporter.flush().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The data dir's signing secret, created on first start, so tokens survive restarts.
fn stored_auth_key(data_dir: &Path) -> anyhow::Result<AuthKey> {
    use std::io::Write;
    deathstar_handlers::store::embedded::create_private_dir(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
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
