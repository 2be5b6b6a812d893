//! The AWS Lambda adapter. Each function is a `bootstrap` of its own (`src/bin/<name>.rs`, one
//! line each), which is what `cargo lambda watch`, `cargo lambda build` and SAM expect: they
//! name a function after its binary. The bootstrap serves API Gateway HTTP (v2), REST (v1),
//! ALB and Function URL events through `lambda_http`, and calls other functions with the
//! Lambda Invoke API ([`invoker::LambdaInvoker`]).
//!
//! Configuration is by environment: the storage variables of every adapter (`MONGO_URI`,
//! `REDIS_SERVER`, `REDIS_PORT`, `DS_NAMESPACE`), `DS_AUTH_SECRET`, `DS_TIMEOUT_SECS` (each
//! request's deadline), `DS_LAMBDA_PREFIX` (what the physical name of a function adds before its
//! catalogue name, e.g. `<stack>-`), and optionally `DS_FUNCTIONS` to host a fused group.

pub mod invoker;

use std::sync::Arc;
use std::time::Duration;

use deathstar_backends::{BackendConfig, open_stores};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::status;
use deathstar_handlers::{FunctionError, Invocation, Registry, Reply};
use lambda_http::{Body, Request, Response, service_fn};
use tower::ServiceExt;

/// Largest request body accepted (Lambda's own payload limit is 6 MB).
const BODY_LIMIT: usize = 6 * 1024 * 1024;

/// The `main` of every bootstrap: serves `function` until the runtime stops.
pub fn main(function: &'static str) -> Result<(), lambda_http::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(function))
}

/// What this process hosts: `function`, or the group `DS_FUNCTIONS` names (with it).
fn hosted(function: &'static str) -> Vec<&'static str> {
    let group = std::env::var("DS_FUNCTIONS").unwrap_or_default();
    let mut names: Vec<&'static str> = Registry::names()
        .into_iter()
        .filter(|n| group.split(',').any(|g| g.trim() == *n))
        .collect();
    if !names.contains(&function) {
        names.push(function);
    }
    names
}

pub async fn serve(function: &'static str) -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .without_time() // CloudWatch stamps every line
        .init();
    let timeout = std::env::var("DS_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(20), Duration::from_secs);
    let backends = BackendConfig::from_env();
    let data_dir = std::env::var("DS_DATA_DIR").unwrap_or_else(|_| "/tmp/deathstar".into());
    let stores = open_stores(&backends, data_dir.as_ref()).await?;
    let auth = match std::env::var("DS_AUTH_SECRET") {
        // As text: a bootstrap's failed `main` prints its error's Debug form.
        Ok(secret) => AuthKey::configured(&secret, "DS_AUTH_SECRET").map_err(|e| e.to_string())?,
        Err(_) => {
            tracing::warn!("no DS_AUTH_SECRET: login tokens only verify in this process");
            AuthKey::random()
        }
    };
    let remote = Arc::new(invoker::LambdaInvoker::from_env(timeout).await);
    let group = hosted(function);
    let registry = Registry::fused(stores, auth, remote, |n| group.contains(&n));
    tracing::info!(function, hosted = ?group, storage = %backends.describe(), "ready");

    lambda_http::run(service_fn(move |request: Request| {
        let registry = registry.clone();
        async move {
            Ok::<_, std::convert::Infallible>(handle(&registry, function, timeout, request).await)
        }
    }))
    .await
}

/// One event: the body is the function's JSON input, whatever the path (API Gateway routes
/// and Function URLs both land here); the headers carry the call's context.
async fn handle(
    registry: &Registry,
    function: &'static str,
    timeout: Duration,
    request: Request,
) -> Response<Body> {
    let meta = deathstar_http::call_meta(request.headers(), timeout);
    let trace_id = meta.trace_id.clone();
    let body: &[u8] = request.body().as_ref();
    let reply = if body.len() > BODY_LIMIT {
        Reply::error(
            FunctionError::PayloadTooLarge { limit: BODY_LIMIT },
            status::INVOCATION,
        )
    } else {
        match (deathstar_http::parse_json(body), registry.get(function)) {
            (Err(error), _) => Reply::error(error, status::INVOCATION),
            (_, None) => Reply::error(
                FunctionError::UnknownFunction(function.into()),
                status::INVOCATION,
            ),
            (Ok(body), Some(service)) => service
                .oneshot(Invocation::new(body, meta))
                .await
                .unwrap_or_else(|never| match never {}),
        }
    };
    tracing::info!(function, status = reply.status, trace_id = %trace_id, "call");
    Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .header(deathstar_http::REQUEST_ID, trace_id.as_ref())
        .body(Body::Text(reply.body.to_string()))
        .expect("a status and two valid headers make a response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use deathstar_handlers::CallMeta;
    use deathstar_handlers::store::Stores;

    fn registry(dir: &std::path::Path) -> Registry {
        Registry::in_process(Stores::embedded(dir).unwrap(), AuthKey::new("k"))
    }

    /// What the invoker sends is an event `lambda_http` accepts, and what `handle` answers is
    /// a response the invoker reads back.
    #[tokio::test]
    async fn an_invocation_round_trips_through_the_event_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let body = serde_json::json!({"username": "ghost"});
        let event = invoker::http_event("get-user-id", &body, &CallMeta::new("trace-1"));
        let request = lambda_http::request::from_str(&event.to_string()).expect("a v2 event");
        let response = handle(&registry, "get-user-id", Duration::from_secs(5), request).await;
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()[deathstar_http::REQUEST_ID], "trace-1");
        let gateway_response = serde_json::json!({
            "statusCode": response.status().as_u16(),
            "body": std::str::from_utf8(response.body().as_ref()).unwrap(),
        });
        let reply = invoker::reply_of("get-user-id", &gateway_response).unwrap();
        assert_eq!(reply.body["status"], "UsernameNotFoundError");
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_a_400() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let mut event =
            invoker::http_event("get-user-id", &serde_json::json!({}), &CallMeta::new("t"));
        event["body"] = "{oops".into();
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = handle(&registry, "get-user-id", Duration::from_secs(5), request).await;
        assert_eq!(response.status(), 400);
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
        let mut names: Vec<String> = Registry::names().iter().map(|n| n.to_string()).collect();
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
