//! Serves a [`Registry`] over HTTP, the way the OpenFaaS gateway exposes functions:
//! `POST|GET /function/<name>` with a JSON body, answered with the function's envelope and
//! status. Also `GET /healthz`. Used by the local all-in-one server and the OpenFaaS adapter.
//!
//! This is the only place where request bytes reach a function (its wire entry,
//! [`deathstar_handlers::Registry::call_wire`], which decodes the input straight from
//! them) and its answer becomes a response: body limits, the context headers and the per-call
//! log line live here once. [`client::GatewayInvoker`] is the other end: it calls functions served this way.
//!
//! Work is bounded here too: past [`HttpOptions::max_in_flight`] requests in flight, a request is
//! shed with a 503 `OverloadedError` and `Retry-After` before its body is read or any function
//! runs, so that an overload keeps the latency of the requests admitted bounded instead of
//! queueing without end; and the body's read counts against the request's deadline.

pub mod client;
pub mod context;
pub mod dsb;
pub mod edge_span;
pub mod refusal;

pub use refusal::Refusal;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use deathstar_handlers::envelope::RETRY_AFTER as RETRY_AFTER_FIELD;
use deathstar_handlers::{Registry, Reply, WireReply};
use tokio::sync::Semaphore;
use tokio::time::Instant as Deadline;

pub use context::{DEADLINE_MS, REQUEST_ID, TRACEPARENT};

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted (media uploads are the big ones).
    pub body_limit: usize,
    /// Deadline of each request, passed down to every function it calls.
    pub timeout: Duration,
    /// Requests served at once, at most; those over it are shed with a 503. `0`: no limit.
    pub max_in_flight: usize,
    /// The function this process is, when it is one (a Lambda bootstrap): `/` and every path
    /// no route serves call it, as Function URLs and API Gateway routes send any path. `None`:
    /// `/` calls the only function hosted, if there is one (OpenFaaS's watchdog forwards
    /// there), and unknown paths are a 404.
    pub own_function: Option<&'static str>,
    /// Take the client's address (login throttling) from the last `X-Forwarded-For` hop: for a
    /// process only a proxy that appends it reaches (behind OpenFaaS's gateway and watchdog,
    /// where the TCP peer is the watchdog).
    pub trust_forwarded_for: bool,
}

/// Requests in flight at most, by default. Enough to keep both cores of a small machine and a
/// MongoDB's round trips busy (the embedded store serves ~10k requests/s at a few ms each,
/// docs/BENCHMARKS.md), few enough that the admitted requests' queue stays short.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 512;

/// What every 503 (shed here or below, storage down) tells the client to wait, in seconds
/// (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 1;

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            body_limit: 16 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            own_function: None,
            trust_forwarded_for: false,
        }
    }
}

struct Shared {
    registry: Registry,
    options: HttpOptions,
}

/// The routes of every function of `registry`, behind the concurrency limit.
pub fn router(registry: Registry, options: HttpOptions) -> Router {
    router_with(registry, options, Router::new())
}

/// [`router`] and the routes of `more` (DeathStarBench's, say), all behind one concurrency
/// limit: routes merged after the limit would escape it.
pub fn router_with(registry: Registry, options: HttpOptions, more: Router) -> Router {
    build(registry, options, more, None)
}

/// [`router_with`], with `pages` (ds-net's site) answering `/` and every path no other route
/// serves, behind the same limit and body bounds.
pub fn router_with_pages(
    registry: Registry,
    options: HttpOptions,
    more: Router,
    pages: Router,
) -> Router {
    build(registry, options, more, Some(pages))
}

fn build(registry: Registry, options: HttpOptions, more: Router, pages: Option<Router>) -> Router {
    let admission = Admission::new(&options);
    let own_function = options.own_function;
    let trust_forwarded_for = options.trust_forwarded_for;
    let shared = Arc::new(Shared { registry, options });
    let mut routes = function_routes(shared.clone());
    if pages.is_none() {
        routes = routes.route("/", any(invoke_only).with_state(shared.clone()));
    }
    let routes = routes.merge(more);
    let routes = match (pages, own_function) {
        (Some(pages), _) => routes.fallback_service(pages),
        (None, Some(_)) => {
            routes.fallback(move |request: Request| invoke_only(State(shared), request))
        }
        (None, None) => routes.fallback(no_route),
    };
    let routes = routes
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(admission, admit))
        .layer(middleware::map_response(no_sniffing));
    match trust_forwarded_for {
        true => routes.layer(middleware::map_request(client_forwarded_for)),
        false => routes,
    }
}

/// The client's address from `X-Forwarded-For` ([`HttpOptions::trust_forwarded_for`]).
async fn client_forwarded_for(mut request: Request) -> Request {
    if let Some(ip) = context::forwarded_for(request.headers()) {
        request.extensions_mut().insert(context::ClientAddress(ip));
    }
    request
}

/// Every response says its `Content-Type` is to be believed: a browser never runs a reply (a
/// function's JSON, a media file's data, an error) as a page or a script because it looks like one.
async fn no_sniffing(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Any path no route serves: a 404 in the envelope, like every other refusal.
async fn no_route(uri: axum::http::Uri) -> Refusal {
    Refusal::UnknownRoute(uri.path().to_owned())
}

/// A route asked with a method it does not take: a 405 in the envelope (axum adds `Allow`).
async fn method_not_allowed(method: axum::http::Method) -> Refusal {
    let method = method.to_string();
    Refusal::MethodNotAllowed { method }
}

/// A request's body, read whole if it is at most `limit` bytes and arrives by `deadline`: a
/// client trickling its body gets its answer within the deadline, and holds its permit no
/// longer. Every body the edge reads, it reads with this.
async fn read_body(body: Body, limit: usize, deadline: Deadline) -> Result<Bytes, Refusal> {
    match tokio::time::timeout_at(deadline, to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(Refusal::PayloadTooLarge { limit }),
        Err(_elapsed) => Err(Refusal::BodyTimeout),
    }
}

fn function_routes(shared: Arc<Shared>) -> Router {
    Router::new()
        // GET and POST, as the README promises; any other method is a 405 with `Allow`.
        .route("/function/{name}", get(invoke).post(invoke))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .with_state(shared)
}

/// `GET /openapi.json`: the OpenAPI document of every function as this deployment's auth mode
/// checks them ([`deathstar_handlers::openapi::document_in`]), built once per process and mode.
async fn openapi(State(shared): State<Arc<Shared>>) -> Response {
    use deathstar_handlers::AuthMode;
    // Bytes: each request shares the one serialised document instead of copying it.
    static DOCUMENTS: [std::sync::OnceLock<Bytes>; 2] = [const { std::sync::OnceLock::new() }; 2];
    let mode = shared.registry.auth_mode();
    let slot = match mode {
        AuthMode::Required => &DOCUMENTS[0],
        AuthMode::Open => &DOCUMENTS[1],
    };
    let body = slot.get_or_init(|| {
        serde_json::to_vec_pretty(&deathstar_handlers::openapi::document_in(mode))
            .unwrap_or_default()
            .into()
    });
    let headers = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (StatusCode::OK, headers, body.clone()).into_response()
}

/// `GET /metrics`: the process's metrics ([`deathstar_handlers::metrics`]), for Prometheus.
async fn metrics() -> Response {
    use deathstar_handlers::metrics;
    let headers = [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)];
    (StatusCode::OK, headers, metrics::metrics().encode()).into_response()
}

/// What every request passes before its route: the concurrency limit, and the deadline of the
/// body's read for routes that do not bound it themselves.
#[derive(Clone)]
struct Admission {
    /// The permits and their number; `None` when there is no limit.
    permits: Option<(Arc<Semaphore>, usize)>,
    timeout: Duration,
    body_limit: usize,
}

impl Admission {
    fn new(options: &HttpOptions) -> Self {
        let limit = options.max_in_flight;
        Admission {
            permits: (limit > 0).then(|| (Arc::new(Semaphore::new(limit)), limit)),
            timeout: options.timeout,
            body_limit: options.body_limit,
        }
    }

    /// The request, its body read within its deadline if its route would wait for it as long
    /// as the client trickles: the routes merged beside the functions' (DeathStarBench's) take
    /// their bodies with axum's extractors, which have no deadline, and a client trickling a
    /// form would hold its permit for ever. `/function/<name>` and `/` read their own within
    /// the deadline ([`invoke`]); the pages under `/function/ds-net/` do not.
    async fn within_deadline(&self, request: Request) -> Result<Request, Response> {
        let path = request.uri().path();
        let invoked = path
            .strip_prefix("/function/")
            .is_some_and(|name| !name.contains('/'));
        if path == "/" || invoked {
            return Ok(request);
        }
        let (parts, body) = request.into_parts();
        let timeout = context::request_timeout(&parts.headers, self.timeout);
        let deadline = Deadline::now() + timeout;
        match read_body(body, self.body_limit, deadline).await {
            Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
            Err(refusal) => {
                let trace_id = context::trace(&parts.headers).trace_id.to_string();
                Err(refusal.response(&trace_id))
            }
        }
    }
}

/// Runs the request if a permit is free, holding it until the response is built; sheds it
/// otherwise, without reading its body or touching storage. `/healthz` is never shed: an
/// overloaded process is alive, and a failed health check would have it restarted, losing the
/// requests it holds; nor is `/metrics`, which shows the overload.
async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    if matches!(request.uri().path(), "/healthz" | "/metrics") {
        return next.run(request).await;
    }
    // Held until the response is built; `None` when there is no limit.
    let _permit = match &admission.permits {
        None => None,
        Some((permits, limit)) => match permits.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                let trace_id = context::trace(request.headers()).trace_id.to_string();
                // Debug, not info: a line per shed request would cost the CPU that is short.
                tracing::debug!(path = %request.uri().path(), trace_id = %trace_id, "shed");
                deathstar_handlers::metrics::metrics().shed();
                return Refusal::Overloaded { limit: *limit }.response(&trace_id);
            }
        },
    };
    let _in_flight = InFlight::enter();
    match admission.within_deadline(request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused,
    }
}

/// One request counted in `deathstar_http_requests_in_flight` while it lives.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        deathstar_handlers::metrics::metrics().in_flight().inc();
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        deathstar_handlers::metrics::metrics().in_flight().dec();
    }
}

/// `/` calls the process's own function ([`HttpOptions::own_function`]), else the function
/// when a process hosts exactly one, as behind OpenFaaS's watchdog, which forwards
/// `<gateway>/function/<name>` to the function's `/`.
async fn invoke_only(state: State<Arc<Shared>>, request: Request) -> Response {
    let hosted = state.registry.hosted();
    let name = match (state.options.own_function, hosted.as_slice()) {
        (Some(own), _) => own.to_owned(),
        (None, [only]) => only.to_string(),
        _ => "(this process hosts several functions: call /function/<name>)".to_owned(),
    };
    invoke(state, Path(name), request).await
}

async fn invoke(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let mut meta = context::read(headers, shared.options.timeout, shared.registry.auth());
    meta.client = context::client(&parts.extensions);
    let trace_id = meta.trace_id().to_string();
    let refused = |refusal: Refusal| WireReply::from(refusal.reply());
    let unknown = || refused(Refusal::UnknownFunction(name.clone()));
    // The deadline started with the request, before its body.
    let deadline = meta
        .deadline
        .unwrap_or_else(|| Deadline::now() + shared.options.timeout);
    let reply = if !shared.registry.contains(&name) {
        unknown()
    } else {
        match read_body(body, shared.options.body_limit, deadline).await {
            Err(refusal) => refused(refusal),
            Ok(body) => {
                meta.caller = context::caller(headers, &name, &body, shared.registry.auth());
                // A function passing on its client's address: that client, not the function.
                if let Some(client) = context::proven_client(headers, &meta.caller) {
                    meta.client = Some(client);
                }
                match shared.registry.call_wire(&name, &body, meta) {
                    Some(call) => call.await,
                    None => unknown(),
                }
            }
        }
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
    // Every 503 is "retry later" (shed here or by a callee, storage down): say when. A 429
    // (login throttling) says in its envelope.
    let retry_after = match status {
        StatusCode::SERVICE_UNAVAILABLE => Some(u64::from(RETRY_AFTER_SECS)),
        StatusCode::TOO_MANY_REQUESTS => serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|envelope| envelope[RETRY_AFTER_FIELD].as_u64()),
        _ => None,
    };
    let mut response = (status, headers, body).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    // An answer given before any context was read (a refused DSB form) has no trace id.
    if let Ok(value) = HeaderValue::from_str(trace_id)
        && !trace_id.is_empty()
    {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
