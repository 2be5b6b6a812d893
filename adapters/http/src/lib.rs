//! Serves a [`Registry`] over HTTP, the way the OpenFaaS gateway exposes functions:
//! `POST|GET /function/<name>` with a JSON body, answered with the function's envelope and
//! status. Also `GET /healthz`. Used by the local all-in-one server and the OpenFaaS adapter.
//!
//! This is the only place where request bytes reach a function (its wire entry,
//! [`deathstar_handlers::FunctionService::call_wire`], which decodes the input straight from
//! them) and its answer becomes a response: body limits, the context headers and the per-call
//! log line live here once. [`client::GatewayInvoker`] is the other end: it calls functions served this way.

pub mod client;
pub mod dsb;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use deathstar_handlers::{CallMeta, FunctionError, Registry, Reply, WireReply};
use serde_json::Value;

/// Header carrying the trace id of a call tree, in and out.
pub const REQUEST_ID: &str = "x-request-id";
/// Header carrying what is left of the caller's deadline, in milliseconds.
pub const DEADLINE_MS: &str = "x-ds-deadline-ms";

/// The headers that carry `meta` to a function served by [`router`].
pub fn meta_headers(meta: &CallMeta) -> Vec<(&'static str, String)> {
    let mut headers = vec![(REQUEST_ID, meta.trace_id.to_string())];
    if let Some(at) = meta.deadline {
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        headers.push((DEADLINE_MS, left.as_millis().to_string()));
    }
    if let Some(token) = &meta.auth_token {
        headers.push((header::AUTHORIZATION.as_str(), format!("Bearer {token}")));
    }
    headers
}

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted (media uploads are the big ones).
    pub body_limit: usize,
    /// Deadline of each request, passed down to every function it calls.
    pub timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            body_limit: 16 * 1024 * 1024,
            timeout: Duration::from_secs(20),
        }
    }
}

struct Shared {
    registry: Registry,
    options: HttpOptions,
}

/// The routes of every function of `registry`.
pub fn router(registry: Registry, options: HttpOptions) -> Router {
    let shared = Arc::new(Shared { registry, options });
    Router::new()
        .route("/function/{name}", any(invoke))
        .route("/", any(invoke_only))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(shared)
}

/// `/` calls the function when a process hosts exactly one, as behind OpenFaaS's watchdog,
/// which forwards `<gateway>/function/<name>` to the function's `/`.
async fn invoke_only(state: State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let hosted = state.registry.hosted();
    let name = match hosted.as_slice() {
        [only] => only.to_string(),
        _ => "(this process hosts several functions: call /function/<name>)".to_owned(),
    };
    invoke(state, Path(name), headers, body).await
}

async fn invoke(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let meta = call_meta(&headers, shared.options.timeout);
    let trace_id = meta.trace_id.clone();
    let reply = match shared.registry.get_wire(&name) {
        None => WireReply::from(Reply::error(
            FunctionError::UnknownFunction(name.clone()),
            "InvocationError",
        )),
        Some(function) => match to_bytes(body, shared.options.body_limit).await {
            Err(_) => WireReply::from(Reply::error(
                FunctionError::PayloadTooLarge {
                    limit: shared.options.body_limit,
                },
                "InvocationError",
            )),
            Ok(body) => function(&body, meta).await,
        },
    };
    tracing::info!(
        function = %name,
        status = reply.status,
        micros = started.elapsed().as_micros() as u64,
        trace_id = %trace_id,
        "call"
    );
    wire_response(reply, &trace_id)
}

/// The call context of an incoming request: its trace id (kept from the caller when given),
/// its deadline (the caller's, if sooner than `timeout`) and the end user's bearer token.
pub fn call_meta(headers: &HeaderMap, timeout: Duration) -> CallMeta {
    let callers = headers
        .get(DEADLINE_MS)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis);
    let timeout = callers.map_or(timeout, |c| c.min(timeout));
    let trace_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let auth_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(Arc::from);
    CallMeta {
        auth_token,
        ..CallMeta::new(trace_id).with_timeout(timeout)
    }
}

/// A request body as JSON; an empty body is `{}`. Every transport decodes bodies with this.
pub fn parse_json(bytes: &[u8]) -> Result<Value, FunctionError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| FunctionError::MalformedBody(format!("the body is not valid JSON: {e}")))
}

pub fn into_response(reply: Reply, trace_id: &str) -> Response {
    wire_response(WireReply::from(reply), trace_id)
}

/// A function's answer as an HTTP response, with the trace id.
pub fn wire_response(reply: WireReply, trace_id: &str) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // A trailing newline keeps replies apart in a terminal, as curl users expect.
    let mut body = reply.body;
    body.push(b'\n');
    let headers = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    let mut response = (status, headers, body).into_response();
    if let Ok(value) = HeaderValue::from_str(trace_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
