//! The AWS Lambda adapter. Each function is a `bootstrap` of its own (`src/bin/<name>.rs`, one
//! line each), which is what `cargo lambda watch`, `cargo lambda build` and SAM expect: they
//! name a function after its binary. The bootstrap serves the same axum router as the local
//! server and the OpenFaaS process ([`deathstar_http::router`]) through `lambda_http::run`, as
//! the runtime's `http-axum` example does: API Gateway HTTP (v2), REST (v1), ALB and Function
//! URL events become requests, so the wire path, limits and logs are the other platforms'.
//! `/function/<name>` calls a hosted function by name (what [`invoker::LambdaInvoker`] sends);
//! `/` and any other path call the bootstrap's own function (Function URLs and API Gateway
//! routes). Calls to other functions go through the Lambda Invoke API. The `ds-net` bootstrap
//! serves the web pages instead, at `/` (a Function URL) and under `/function/ds-net` (an API
//! Gateway route), and calls every function through the Invoke API.
//!
//! Configuration is by environment, the flags of every binary ([`deathstar_startup::Common`]:
//! `MONGO_URI`, `REDIS_SERVER`, `DS_STORE_TIMEOUT_MS`, `DS_AUTH_SECRET`, `DS_TIMEOUT_SECS`, ...),
//! plus `DS_LAMBDA_PREFIX` (what the physical name of a function adds before its catalogue name,
//! e.g. `<stack>-`) and optionally `DS_FUNCTIONS` to host a fused group. Spans go over OTLP
//! as `OTEL_*` says ([`deathstar_startup::otlp`]), flushed at the end of every invocation, in
//! the trace X-Ray names when no `traceparent` came.

pub mod invoker;

use std::sync::Arc;

use clap::Parser;
use deathstar_handlers::Registry;
use deathstar_handlers::catalogue::PAGES;
use deathstar_http::{HttpOptions, router};
use deathstar_startup::{Common, Timestamps, random_auth_key};

/// Largest request body accepted (Lambda's own payload limit is 6 MB).
const BODY_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "A DeathStarBench function as an AWS Lambda bootstrap"
)]
struct Args {
    /// Other functions to host in this process (comma-separated): a fused group.
    #[arg(long, env = "DS_FUNCTIONS", default_value = "")]
    functions: String,
    /// The `ds-net` bootstrap: the path a proxy in front strips before the pages see it (e.g.
    /// `/lambda-url/ds-net` under `cargo lambda watch`); empty for a Function URL.
    #[arg(long, env = "DS_WEB_BASE", default_value = "")]
    web_base: String,
    #[command(flatten)]
    common: Common,
}

/// The `main` of every bootstrap: serves `function` until the runtime stops.
pub fn main(function: &'static str) -> Result<(), lambda_http::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(function))
}

/// What this process hosts: `function`, and the group `functions` names.
fn hosted(function: &'static str, functions: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Registry::names()
        .into_iter()
        .filter(|n| functions.split(',').any(|g| g.trim() == *n))
        .collect();
    if !names.contains(&function) {
        names.push(function);
    }
    names
}

pub async fn serve(function: &'static str) -> Result<(), lambda_http::Error> {
    let args: Args = deathstar_startup::start(Timestamps::ByPlatform); // CloudWatch stamps lines
    // Errors as text: a bootstrap's failed `main` prints its error's Debug form.
    let common = &args.common;
    let stores = common
        .open_stores(&common.data_dir_or("/tmp/deathstar"))
        .await
        .map_err(|e| format!("{e:#}"))?;
    let auth = common
        .auth_key(|| Ok(random_auth_key()))
        .map_err(|e| format!("{e:#}"))?;
    let remote = invoker::LambdaInvoker::from_env(common.timeout(), auth.clone()).await;
    let group = hosted(function, &args.functions);
    let registry = Registry::fused(stores, auth, Arc::new(remote), |n| group.contains(&n))
        .with_auth_mode(common.auth_mode)
        .with_passwords(common.passwords());
    let storage = common.backends().describe();
    tracing::info!(function, hosted = ?group, %storage, "ready");
    deathstar_startup::log_auth_mode(common.auth_mode, common.password_cost);
    // service.name: the function, or the group's deployment name.
    let service = match group.as_slice() {
        [only] => *only,
        _ => "deathstar-lambda",
    };
    let exporter = deathstar_startup::otlp::install(service).map_err(|e| format!("{e:#}"))?;
    let mut app = app(registry, &args, function)
        .layer(axum::middleware::map_request(client_address))
        .layer(axum::middleware::map_request(xray_trace));
    if let Some(exporter) = exporter {
        tracing::info!(to = %exporter.destination, "exporting spans over OTLP");
        app = app.layer(axum::middleware::from_fn(move |request, next| {
            flushed(exporter.clone(), request, next)
        }));
    }
    lambda_http::run(app).await
}

/// Runs the invocation, then exports its spans before the reply goes back: Lambda freezes
/// the process once it has replied, and may never thaw it.
async fn flushed(
    exporter: deathstar_startup::otlp::Exporter,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    exporter.flush().await;
    response
}

/// The invocation's X-Ray trace (the runtime's `Lambda-Runtime-Trace-Id`) as the request's
/// `X-Amzn-Trace-Id`, where neither it nor a `traceparent` came with the event: the spans of
/// the invocation then belong to the trace X-Ray shows.
async fn xray_trace(mut request: axum::extract::Request) -> axum::extract::Request {
    use deathstar_http::context::{TRACEPARENT, X_AMZN_TRACE_ID};
    use lambda_http::RequestExt;
    let headers = request.headers();
    if headers.contains_key(TRACEPARENT) || headers.contains_key(X_AMZN_TRACE_ID) {
        return request;
    }
    let xray = request
        .lambda_context_ref()
        .and_then(|context| context.xray_trace_id.as_deref())
        .and_then(|id| axum::http::HeaderValue::from_str(id).ok());
    if let Some(id) = xray {
        request.headers_mut().insert(X_AMZN_TRACE_ID, id);
    }
    request
}

/// The client's address as API Gateway saw it (login throttling): the TCP peer of a bootstrap
/// is the runtime API.
async fn client_address(mut request: axum::extract::Request) -> axum::extract::Request {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let source = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.source_ip.clone(),
        Some(RequestContext::WebSocket(context)) => context.identity.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source.and_then(|ip| ip.parse().ok()) {
        let address = deathstar_http::context::ClientAddress(ip);
        request.extensions_mut().insert(address);
    }
    request
}

/// What the bootstrap of `function` serves: the function, or the pages of `ds-net`.
fn app(registry: Registry, args: &Args, function: &'static str) -> axum::Router {
    let common = &args.common;
    if function != PAGES {
        return router(registry, options(common, function));
    }
    let options = HttpOptions {
        body_limit: BODY_LIMIT,
        ..common.http_options()
    };
    common.router_with_pages(registry, options, axum::Router::new(), &args.web_base)
}

/// The edge's options for the bootstrap of `function`.
fn options(common: &Common, function: &'static str) -> HttpOptions {
    HttpOptions {
        body_limit: BODY_LIMIT,
        own_function: Some(function),
        ..common.http_options()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deathstar_handlers::CallMeta;
    use deathstar_handlers::auth::AuthKey;
    use deathstar_handlers::store::Stores;
    use tower::ServiceExt;

    /// The bootstrap of `get-user-id` as `lambda_http::run` drives it: events in, responses out.
    fn bootstrap(dir: &std::path::Path) -> axum::Router {
        let stores = Stores::embedded(dir).unwrap();
        let registry = Registry::in_process(stores, AuthKey::new("k"));
        let options = HttpOptions {
            own_function: Some("get-user-id"),
            ..HttpOptions::default()
        };
        router(registry, options)
    }

    /// `event` through the bootstrap: the status, the trace id header and the body.
    async fn answer(dir: &std::path::Path, event: serde_json::Value) -> (u16, String, Vec<u8>) {
        let request = lambda_http::request::from_str(&event.to_string()).expect("a v2 event");
        let response = bootstrap(dir).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let trace_id = response.headers()[deathstar_http::REQUEST_ID]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, trace_id, body.to_vec())
    }

    /// What the invoker sends is an event `lambda_http` accepts, and what the router answers
    /// is a response the invoker reads back.
    #[tokio::test]
    async fn an_invocation_round_trips_through_the_event_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let body = serde_json::json!({"username": "ghost"});
        let meta = CallMeta::root();
        let event = invoker::http_event("get-user-id", &body, &meta, &AuthKey::new("k"));
        let (status, trace_id, body) = answer(dir.path(), event).await;
        // The caller's trace continues.
        assert_eq!((status, trace_id), (404, meta.trace_id().to_string()));
        let gateway_response = serde_json::json!({
            "statusCode": status,
            "body": std::str::from_utf8(&body).unwrap(),
        });
        let reply = invoker::reply_of("get-user-id", &gateway_response).unwrap();
        assert_eq!(reply.body["status"], "UsernameNotFoundError");
    }

    /// A Function URL or an API Gateway route sends its own path: any path is the bootstrap's
    /// own function.
    #[tokio::test]
    async fn any_other_path_is_the_bootstraps_own_function() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["/", "/get-user-id", "/some/route"] {
            let mut event = invoker::http_event(
                "get-user-id",
                &serde_json::json!({"username": "ghost"}),
                &CallMeta::root(),
                &AuthKey::new("k"),
            );
            event["rawPath"] = path.into();
            event["requestContext"]["http"]["path"] = path.into();
            let (status, _, body) = answer(dir.path(), event).await;
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                (status, body["status"].as_str()),
                (404, Some("UsernameNotFoundError")),
                "{path}"
            );
        }
    }

    /// The `ds-net` bootstrap answers pages at a Function URL's `/` and under an API Gateway
    /// route's `/function/ds-net`, its links following the path.
    #[tokio::test]
    async fn the_ds_net_bootstrap_serves_pages_at_both_paths() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::embedded(dir.path()).unwrap();
        let registry = Registry::in_process(stores, AuthKey::new("k"));
        let args = Args::parse_from(["ds-net"]);
        for (path, link) in [
            ("/", "/signup"),
            ("/function/ds-net/login", "/function/ds-net/signup"),
        ] {
            let mut event = invoker::http_event(
                PAGES,
                &serde_json::json!({}),
                &CallMeta::root(),
                &AuthKey::new("k"),
            );
            event["rawPath"] = path.into();
            event["requestContext"]["http"]["path"] = path.into();
            event["requestContext"]["http"]["method"] = "GET".into();
            event["body"] = serde_json::Value::Null;
            let request = lambda_http::request::from_str(&event.to_string()).expect("a v2 event");
            let response = app(registry.clone(), &args, PAGES)
                .oneshot(request)
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let page = String::from_utf8(body.to_vec()).unwrap();
            assert!(page.contains(&format!("href=\"{link}\"")), "{path}: {page}");
        }
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_a_400() {
        let dir = tempfile::tempdir().unwrap();
        let key = AuthKey::new("k");
        let mut event = invoker::http_event(
            "get-user-id",
            &serde_json::json!({}),
            &CallMeta::root(),
            &key,
        );
        event["body"] = "{oops".into();
        // A client's call: the proof was for the body before it was spoilt.
        let headers = event["headers"].as_object_mut().unwrap();
        headers.remove(deathstar_http::context::CALL_PROOF);
        let (status, _, _) = answer(dir.path(), event).await;
        assert_eq!(status, 400);
    }

    /// One bootstrap per function of the catalogue, named after it, and nothing else.
    #[test]
    fn every_function_has_its_bootstrap() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
        let mut bins: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .collect();
        let mut names: Vec<String> = Registry::deployed_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        bins.sort();
        names.sort();
        assert_eq!(bins, names);
        for name in names {
            let source = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/bin/{name}.rs")),
            )
            .unwrap();
            assert!(
                source.contains(&format!("deathstar_lambda::main(\"{name}\")")),
                "{name}"
            );
        }
    }
}
