//! `deathstar-openfaas`: functions as an OpenFaaS function process.
//!
//! Runs behind OpenFaaS's of-watchdog in `mode=http` (`upstream_url=http://127.0.0.1:8082`):
//! the watchdog forwards `<gateway>/function/<name>` to `/` here. `DS_FUNCTIONS` picks what
//! this process hosts: one function (the usual OpenFaaS layout), a comma-separated group (a
//! fused deployment: calls inside the group stay in-process) or `all`. Calls to functions not
//! hosted here go to the OpenFaaS gateway (`OPENFAAS_GATEWAY`) or to per-function URLs
//! (`DS_FUNCTION_URL_TEMPLATE`, e.g. `http://{name}.openfaas-fn:8080`).
//!
//! Configuration is by environment, as OpenFaaS passes it; the watchdog's `exec_timeout` is
//! each request's deadline. Credentials come from env or OpenFaaS secrets
//! (`/var/openfaas/secrets/mongo-uri`, `/var/openfaas/secrets/auth-secret`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use deathstar_backends::{BackendConfig, open_stores};
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_http::client::{FunctionUrls, GatewayInvoker};
use deathstar_http::{HttpOptions, dsb, router_with};

const SECRETS: &str = "/var/openfaas/secrets";

#[derive(Debug, Parser)]
#[command(
    version,
    about = "DeathStarBench functions as an OpenFaaS function process"
)]
struct Args {
    /// What this process hosts: a function name, a comma-separated group, or `all`.
    #[arg(long, env = "DS_FUNCTIONS")]
    functions: String,
    /// Where the watchdog's `upstream_url` points.
    #[arg(long, env = "DS_LISTEN", default_value = "127.0.0.1:8082")]
    listen: SocketAddr,
    #[arg(
        long,
        env = "OPENFAAS_GATEWAY",
        default_value = "http://gateway.openfaas:8080"
    )]
    gateway: String,
    /// Call other functions directly at this URL (`{name}` is replaced) instead of the gateway.
    #[arg(long, env = "DS_FUNCTION_URL_TEMPLATE")]
    function_url_template: Option<String>,
    /// The watchdog's exec timeout (Go duration: `20s`, `1m30s`): each request's deadline.
    #[arg(long, env = "exec_timeout", default_value = "20s", value_parser = go_duration)]
    exec_timeout: Duration,
    /// Embedded store directory, when there is no MongoDB (only one process may use it).
    #[arg(long, env = "DS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    #[arg(long, env = "DS_STORE_TIMEOUT_MS", default_value_t = 3000)]
    store_timeout_ms: u64,
    /// Requests served at once; those over it are answered 503 with `Retry-After` (0: no limit).
    #[arg(long, env = "DS_MAX_IN_FLIGHT", default_value_t = deathstar_http::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// Also serve DeathStarBench's `/wrk2-api/` routes (calling functions here or remote).
    #[arg(long, env = "DS_DSB_ROUTES", default_value_t = false)]
    dsb_routes: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();

    let wanted = wanted_functions(&args.functions)?;
    let mut backends = BackendConfig::from_env();
    backends.timeout = Duration::from_millis(args.store_timeout_ms);
    if backends.mongo_uri.is_none() {
        backends.mongo_uri = secret("mongo-uri");
    }
    let stores = open_stores(&backends, &args.data_dir)
        .await
        .with_context(|| format!("opening the stores ({})", backends.describe()))?;
    let configured = match std::env::var("DS_AUTH_SECRET") {
        Ok(value) => Some((value, "DS_AUTH_SECRET")),
        Err(_) => secret("auth-secret").map(|value| (value, "the auth-secret secret")),
    };
    let auth = match configured {
        Some((secret, source)) => AuthKey::configured(&secret, source)?,
        None => {
            tracing::warn!("no DS_AUTH_SECRET or auth-secret secret: tokens only verify here");
            AuthKey::random()
        }
    };
    let urls = match &args.function_url_template {
        Some(template) => FunctionUrls::Template(template.clone()),
        None => FunctionUrls::Gateway(args.gateway.clone()),
    };
    let remote = Arc::new(GatewayInvoker::new(urls, args.exec_timeout));
    let registry = Registry::fused(stores, auth.clone(), remote, |name| wanted.contains(&name));
    let hosted = registry.hosted();
    let options = HttpOptions {
        timeout: args.exec_timeout,
        max_in_flight: args.max_in_flight,
        ..HttpOptions::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(listen = %args.listen, functions = ?hosted, storage = %backends.describe(), "serving");
    // DeathStarBench's routes, when served, are behind the same concurrency limit.
    let mut dsb_routes = axum::Router::new();
    if args.dsb_routes {
        dsb_routes = dsb::router(registry.clone(), args.exec_timeout, auth);
    }
    let app = router_with(registry.clone(), options, dsb_routes);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The catalogue names `spec` asks for; an unknown name is a start-up error, not a 404 later.
fn wanted_functions(spec: &str) -> anyhow::Result<Vec<&'static str>> {
    let all = Registry::names();
    if spec.trim() == "all" {
        return Ok(all);
    }
    let mut wanted = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match all.iter().find(|known| **known == name) {
            Some(known) => wanted.push(*known),
            None => bail!("DS_FUNCTIONS names an unknown function `{name}`"),
        }
    }
    if wanted.is_empty() {
        bail!("DS_FUNCTIONS names no function");
    }
    Ok(wanted)
}

/// An OpenFaaS secret, if mounted.
fn secret(name: &str) -> Option<String> {
    // An empty secret file is returned as empty, for the caller to refuse: treating it as
    // absent would quietly fall back to a default.
    let value = std::fs::read_to_string(PathBuf::from(SECRETS).join(name)).ok()?;
    Some(value.trim().to_owned())
}

/// Parses a Go duration as OpenFaaS writes them: `20s`, `500ms`, `1m30s`, `2h`.
fn go_duration(text: &str) -> Result<Duration, String> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(|| format!("`{text}` lacks a unit (s, ms, m, h)"))?;
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => value / 1000.0,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            unit => return Err(format!("unknown unit `{unit}` in `{text}`")),
        };
        total += Duration::from_secs_f64(seconds);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_openfaas_writes_them() {
        assert_eq!(go_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(go_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(go_duration("20").is_err());
        assert!(go_duration("5x").is_err());
    }

    #[test]
    fn functions_are_named_from_the_catalogue() {
        assert_eq!(wanted_functions("get-user-id").unwrap(), ["get-user-id"]);
        assert_eq!(
            wanted_functions("all").unwrap().len(),
            Registry::names().len()
        );
        assert!(wanted_functions("get-user-id,nope").is_err());
        assert!(wanted_functions(" , ").is_err());
    }
}
