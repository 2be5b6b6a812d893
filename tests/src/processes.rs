//! Multi-process deployments, as on OpenFaaS: each group of functions in its own
//! `deathstar-openfaas` process on its own loopback port, and a stand-in for the OpenFaaS
//! gateway that routes `/function/<name>` to the process hosting it (to `/` when the process
//! hosts only that function, as the watchdog does). Functions reach each other through the
//! gateway with the gateway invoker. Processes share MongoDB + Redis, so these need them.
//!
//! The gateway streams each request and reply through (no body held whole) over pooled
//! keep-alive connections, as a reverse proxy does: it is on the path of every call, and its
//! cost is part of what a per-function deployment measures (GATEWAY_PATH.md).

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use deathstar_backends::BackendConfig;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::{AuthMode, Registry};
use deathstar_http::client::{FunctionUrls, GatewayInvoker, POOL_IDLE_PER_HOST, pooled_client};
use deathstar_http::dsb;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{Backend, Net, TEST_SECRET};

/// The call tree of compose: fused into one process by [`fused`].
pub const COMPOSE_CALL_TREE: &[&str] = &[
    "compose-post-frontend",
    "unique-id-service-upload-unique-id",
    "text-service-upload-text",
    "url-shorten-service-upload-urls",
    "user-mention-service-upload-user-mentions",
    "user-service-upload-creator-with-user-id",
    "media-service-upload-media",
    "compose-post-service-compose-and-upload",
    "post-storage-service-store-post",
    "user-timeline-service-write-user-timeline",
    "home-timeline-service-write-home-timeline",
];

/// Every function in a process of its own, in `DS_AUTH=open` (bodies name users, as the
/// behaviour tests do).
pub async fn one_per_function(bin: &str) -> Option<Net> {
    start(bin, layout(false), AuthMode::Open).await
}

/// Compose's call tree in one process, every other function in a process of its own, in
/// `DS_AUTH=open`.
pub async fn fused(bin: &str) -> Option<Net> {
    start(bin, layout(true), AuthMode::Open).await
}

/// Every function in a process of its own, checking callers as `mode` says.
pub async fn one_per_function_in(bin: &str, mode: AuthMode) -> Option<Net> {
    start_with(bin, layout(false), mode, &[]).await
}

/// Every function in a process of its own, in `DS_AUTH=open`, each process with `env` too
/// (e.g. where to export spans: [`crate::jaeger::Jaeger::exporting`]).
pub async fn one_per_function_with(bin: &str, env: &[(&'static str, String)]) -> Option<Net> {
    start_with(bin, layout(false), AuthMode::Open, env).await
}

/// A child process, killed with its deployment.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Gateway {
    /// Does not follow redirects: the pages' 303s go back to the browser, as through the real
    /// gateway.
    client: Client<HttpConnector, Body>,
    routes: HashMap<String, Route>,
}

/// Where the gateway sends `/function/<name>`.
struct Route {
    url: String,
    /// `url` parsed once, for the usual call (no further path, no query).
    uri: Uri,
}

/// Held from choosing ports until every process has bound its own: deployments started in
/// parallel would otherwise be handed the same free ports.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start(bin: &str, groups: Vec<Vec<&'static str>>, mode: AuthMode) -> Option<Net> {
    start_with(bin, groups, mode, &[]).await
}

async fn start_with(
    bin: &str,
    groups: Vec<Vec<&'static str>>,
    mode: AuthMode,
    env: &[(&'static str, String)],
) -> Option<Net> {
    let config = Backend::MongoRedis.config()?;
    let _starting = STARTING.lock().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let deployment = launch(bin, groups, &config, TEST_SECRET, mode, env, listener).await;
    Some(Net::http(deployment.gateway_url, deployment.processes))
}

/// A running deployment: its gateway's URL and its processes (killed when dropped).
pub struct Deployment {
    pub gateway_url: String,
    pub processes: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// The groups of functions a deployment layout puts in one process each: every function
/// alone, or compose's call tree together and every other function alone; the web pages
/// (`ds-net`) alone either way.
pub fn layout(fused_compose: bool) -> Vec<Vec<&'static str>> {
    let group: &[&'static str] = if fused_compose {
        COMPOSE_CALL_TREE
    } else {
        &[]
    };
    let mut groups: Vec<Vec<&'static str>> = Vec::new();
    if !group.is_empty() {
        groups.push(group.to_vec());
    }
    groups.extend(
        Registry::deployed_names()
            .into_iter()
            .filter(|n| !group.contains(n))
            .map(|n| vec![n]),
    );
    groups
}

/// Starts each group of functions in a `bin` (deathstar-openfaas) process of its own on a free
/// loopback port, on the stores of `config`, signing with `secret` and checking callers as
/// `mode` says, each with `env` added to its environment, and the stand-in gateway on
/// `listener`; returns once every process answers its health check.
pub async fn launch(
    bin: &str,
    groups: Vec<Vec<&'static str>>,
    config: &BackendConfig,
    secret: &str,
    mode: AuthMode,
    env: &[(&'static str, String)],
    listener: tokio::net::TcpListener,
) -> Deployment {
    let gateway_url = format!("http://{}", listener.local_addr().unwrap());

    // All ports are reserved at once (held open together, so they differ), then released
    // for the processes to bind.
    let reserved: Vec<std::net::TcpListener> = groups
        .iter()
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = reserved
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(reserved);

    let mut routes = HashMap::new();
    let mut processes: Vec<Box<dyn std::any::Any + Send + Sync>> = Vec::new();
    let mut health = Vec::new();
    for (group, port) in groups.iter().zip(ports) {
        let base = format!("http://127.0.0.1:{port}");
        for name in group {
            let url = match group.len() {
                1 => format!("{base}/"),
                _ => format!("{base}/function/{name}"),
            };
            let uri = url.parse().expect("a loopback URL parses");
            routes.insert(name.to_string(), Route { url, uri });
        }
        let mut command = Command::new(bin);
        command
            .env("DS_FUNCTIONS", group.join(","))
            .env("DS_LISTEN", format!("127.0.0.1:{port}"))
            .env("OPENFAAS_GATEWAY", &gateway_url)
            .env("DS_AUTH_SECRET", secret)
            .env("DS_AUTH", mode.as_str())
            .env("DS_PASSWORD_COST", "minimal")
            .env("DS_NAMESPACE", &config.namespace)
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null());
        for (key, value) in [
            ("MONGO_URI", config.mongo_uri.clone()),
            ("REDIS_SERVER", config.redis_server.clone()),
            ("REDIS_PORT", config.redis_port.map(|p| p.to_string())),
        ] {
            match value {
                Some(v) => command.env(key, v),
                None => command.env_remove(key),
            };
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        processes.push(Box::new(Process(child)));
        health.push(format!("{base}/healthz"));
    }

    let gateway = Arc::new(Gateway {
        client: pooled_client(POOL_IDLE_PER_HOST),
        routes,
    });
    // DeathStarBench's routes too, calling through the gateway as its nginx would.
    let invoker = GatewayInvoker::new(
        FunctionUrls::Gateway(gateway_url.clone()),
        Duration::from_secs(20),
        AuthKey::new(secret),
    );
    // A registry that hosts no function, so every call goes through the gateway; its store
    // (required of every registry) is never touched.
    let unused = tempfile::tempdir().expect("a temporary directory");
    let stores = deathstar_handlers::store::Stores::embedded(unused.path()).expect("a store");
    let registry = deathstar_handlers::Registry::fused(
        stores,
        AuthKey::new(secret),
        Arc::new(invoker),
        |_| false,
    )
    .with_auth_mode(mode);
    processes.push(Box::new(unused));
    let dsb = dsb::router(registry, Duration::from_secs(20));
    let app = axum::Router::new()
        .route("/function/{name}", any(forward))
        .route("/function/{name}/", any(forward))
        .route("/function/{name}/{*rest}", any(forward_path))
        .with_state(gateway)
        .merge(dsb);
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // TCP_NODELAY, as the function processes have it.
    let listener = deathstar_startup::send_at_once(listener);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let started = Instant::now();
    for url in health {
        while reqwest::get(&url).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{url} never came up"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    Deployment {
        gateway_url,
        processes,
    }
}

/// What the OpenFaaS gateway does for `/function/<name>`: forward the call, headers and all,
/// appending the caller's address to `X-Forwarded-For` and saying the host it was asked for in
/// `X-Forwarded-Host`.
async fn forward(
    gateway: State<Arc<Gateway>>,
    Path(name): Path<String>,
    peer: ConnectInfo<std::net::SocketAddr>,
    call: Request,
) -> Response {
    forward_to(gateway, name, String::new(), peer, call).await
}

/// `/function/<name>/<rest>`: the gateway forwards the rest of the path (and the query) to
/// the function's own path, as it does for ds-net's pages.
async fn forward_path(
    gateway: State<Arc<Gateway>>,
    Path((name, rest)): Path<(String, String)>,
    peer: ConnectInfo<std::net::SocketAddr>,
    call: Request,
) -> Response {
    forward_to(gateway, name, rest, peer, call).await
}

/// Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1).
/// `content-length` too: the body is streamed, and hyper frames it anew from its size.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

fn drop_hop_by_hop(headers: &mut axum::http::HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

async fn forward_to(
    gateway: State<Arc<Gateway>>,
    name: String,
    rest: String,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    call: Request,
) -> Response {
    let Some(route) = gateway.routes.get(&name) else {
        return (StatusCode::NOT_FOUND, "error finding function").into_response();
    };
    let query = call.uri().query();
    let uri = if rest.is_empty() && query.is_none() {
        route.uri.clone()
    } else {
        let url = &route.url;
        let mut url = match (url.ends_with('/'), rest.is_empty()) {
            (_, true) => url.clone(),
            (true, false) => format!("{url}{rest}"),
            (false, false) => format!("{url}/{rest}"),
        };
        if let Some(query) = query {
            url = format!("{url}?{query}");
        }
        match url.parse() {
            Ok(uri) => uri,
            Err(_) => return (StatusCode::BAD_REQUEST, "bad path").into_response(),
        }
    };
    let (mut parts, body) = call.into_parts();
    let host = parts.headers.remove(header::HOST);
    let earlier = parts.headers.remove("x-forwarded-for");
    drop_hop_by_hop(&mut parts.headers);
    if let Some(host) = host {
        parts.headers.insert("x-forwarded-host", host);
    }
    let forwarded = match earlier.as_ref().and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&forwarded) {
        parts.headers.insert("x-forwarded-for", value);
    }
    parts.uri = uri;
    let request = Request::from_parts(parts, body);
    match gateway.client.request(request).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            drop_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("gateway: {e}")).into_response(),
    }
}
