//! `deathstar-openfaas`: functions as an OpenFaaS function process.
//!
//! Runs behind OpenFaaS's of-watchdog in `mode=http` (`upstream_url=http://127.0.0.1:8082`):
//! the watchdog forwards `<gateway>/function/<name>` to `/` here. `DS_FUNCTIONS` picks what
//! this process hosts: one function (the usual OpenFaaS layout), a comma-separated group (a
//! fused deployment: calls inside the group stay in-process) or `all`. `ds-net`, the web
//! pages, is one of them: its pages answer at `/` (the gateway strips `/function/ds-net`, so
//! their links start with `DS_WEB_BASE`, `/function/ds-net` by default). Calls to functions not
//! hosted here go to the OpenFaaS gateway (`OPENFAAS_GATEWAY`) or to per-function URLs
//! (`DS_FUNCTION_URL_TEMPLATE`, e.g. `http://{name}.openfaas-fn:8080`).
//!
//! Configuration is by environment, as OpenFaaS passes it; the watchdog's `exec_timeout` is
//! each request's deadline. Credentials come from env or OpenFaaS secrets
//! (`/var/openfaas/secrets/mongo-uri`, `/var/openfaas/secrets/auth-secret`,
//! `/var/openfaas/secrets/redis-password`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use clap::Parser;
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::catalogue::PAGES;
use deathstar_http::client::{FunctionUrls, GatewayInvoker};
use deathstar_http::{HttpOptions, dsb, router_with, router_with_pages};
use deathstar_startup::{Common, Timestamps, random_auth_key};

// Every request allocates many small strings and vectors; glibc's malloc took a third of the
// CPU under load (docs/BENCHMARKS.md), mimalloc's thread-local free lists far less. As the
// all-in-one server does, so that a per-function deployment is compared on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// The watchdog's exec timeout (Go duration: `20s`, `1m30s`): each request's deadline,
    /// in place of `--timeout-secs`.
    #[arg(long, env = "exec_timeout", value_parser = go_duration)]
    exec_timeout: Option<Duration>,
    /// Also serve DeathStarBench's `/wrk2-api/` and `/api/` routes (calling functions here or
    /// remote). `/wrk2-api/` lets anyone act as any user, whatever `DS_AUTH` says.
    #[arg(long, env = "DS_DSB_ROUTES", default_value_t = false)]
    dsb_routes: bool,
    /// Take the client's address (login throttling) from the last `X-Forwarded-For` hop, which
    /// the gateway appends; the TCP peer is the watchdog. Off if clients can reach the process
    /// without the gateway.
    #[arg(long, env = "DS_TRUST_FORWARDED_FOR", default_value_t = true, action = clap::ArgAction::Set)]
    trust_forwarded_for: bool,
    /// The path under which browsers see ds-net's pages (what the gateway strips), when this
    /// process hosts ds-net alone.
    #[arg(long, env = "DS_WEB_BASE", default_value = deathstar_web::GATEWAY_PATH)]
    web_base: String,
    #[command(flatten)]
    common: Common,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args: Args = deathstar_startup::start(Timestamps::Written);
    if args.common.mongo_uri.is_none() {
        args.common.mongo_uri = secret("mongo-uri");
    }
    if args.common.redis_password.is_none() {
        args.common.redis_password = secret("redis-password");
    }
    let common = &args.common;
    let timeout = args.exec_timeout.unwrap_or(common.timeout());

    let wanted = wanted_functions(&args.functions)?;
    let stores = common.open_stores(&common.data_dir_or("./data")).await?;
    let auth = common.auth_key(|| match secret("auth-secret") {
        Some(value) => Ok(AuthKey::configured(&value, "the auth-secret secret")?),
        None => Ok(random_auth_key()),
    })?;
    let urls = match &args.function_url_template {
        Some(template) => FunctionUrls::Template(template.clone()),
        None => FunctionUrls::Gateway(args.gateway.clone()),
    };
    let remote = Arc::new(GatewayInvoker::new(urls, timeout, auth.clone()));
    let registry = Registry::fused(stores, auth, remote, |name| wanted.contains(&name))
        .with_auth_mode(common.auth_mode)
        .with_passwords(common.passwords());
    let options = HttpOptions {
        timeout,
        trust_forwarded_for: args.trust_forwarded_for,
        ..common.http_options()
    };
    let listener = deathstar_startup::bind(args.listen).await?;
    let storage = common.backends().describe();
    tracing::info!(listen = %args.listen, functions = ?registry.hosted(), %storage, "serving");
    deathstar_startup::log_auth_mode(common.auth_mode, common.password_cost);
    // service.name: the function, or the group's deployment name.
    let service = match wanted.as_slice() {
        [only] => only.to_string(),
        _ => "deathstar-openfaas".to_owned(),
    };
    let exporter = deathstar_startup::otlp::install(&service)?;
    if let Some(exporter) = &exporter {
        tracing::info!(to = %exporter.destination, "exporting spans over OTLP");
    }
    // DeathStarBench's routes, when served, are behind the same concurrency limit.
    let mut dsb_routes = axum::Router::new();
    if args.dsb_routes {
        dsb_routes = dsb::router_with_policy(registry.clone(), timeout, common.browser_policy());
    }
    let app = match wanted.contains(&PAGES) {
        false => router_with(registry, options, dsb_routes),
        // ds-net alone sees the gateway's stripped paths; in a group, the group's paths.
        true if wanted.len() == 1 => {
            let pages = deathstar_web::site(registry.clone(), common.web_options(&args.web_base));
            router_with_pages(registry, options, dsb_routes, pages)
        }
        true => common.router_with_pages(registry, options, dsb_routes, ""),
    };
    // With each connection's peer address, the client of login throttling unless the
    // gateway's `X-Forwarded-For` is trusted.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        // The watchdog stops a function with SIGTERM.
        .with_graceful_shutdown(deathstar_startup::shutdown_signal())
        .await?;
    if let Some(exporter) = exporter {
        exporter.flush().await;
    }
    Ok(())
}

/// The catalogue names `spec` asks for; an unknown name is a start-up error, not a 404 later.
fn wanted_functions(spec: &str) -> anyhow::Result<Vec<&'static str>> {
    let all = Registry::deployed_names();
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
        assert_eq!(wanted_functions("ds-net").unwrap(), ["ds-net"]);
        assert_eq!(
            wanted_functions("all").unwrap().len(),
            Registry::deployed_names().len()
        );
        assert!(wanted_functions("get-user-id,nope").is_err());
        assert!(wanted_functions(" , ").is_err());
    }
}
