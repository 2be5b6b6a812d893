//! Multi-process deployments, as on OpenFaaS: each group of functions in its own
//! `deathstar-openfaas` process on its own loopback port, and a stand-in for the OpenFaaS
//! gateway that routes `/function/<name>` to the process hosting it (to `/` when the process
//! hosts only that function, as the watchdog does). Functions reach each other through the
//! gateway with the gateway invoker. Processes share MongoDB + Redis, so these need them.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use deathstar_handlers::Registry;

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

/// Every function in a process of its own.
pub async fn one_per_function(bin: &str) -> Option<Net> {
    let groups = Registry::names().into_iter().map(|n| vec![n]).collect();
    start(bin, groups).await
}

/// `group` in one process, every other function in a process of its own.
pub async fn fused(bin: &str, group: &[&'static str]) -> Option<Net> {
    let mut groups = vec![group.to_vec()];
    groups.extend(
        Registry::names()
            .into_iter()
            .filter(|n| !group.contains(n))
            .map(|n| vec![n]),
    );
    start(bin, groups).await
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
    client: reqwest::Client,
    routes: HashMap<String, String>,
}

/// Held from choosing ports until every process has bound its own: deployments started in
/// parallel would otherwise be handed the same free ports.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start(bin: &str, groups: Vec<Vec<&'static str>>) -> Option<Net> {
    let config = Backend::MongoRedis.config()?;
    let _starting = STARTING.lock().await;
    let gateway_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = format!("http://{}", gateway_listener.local_addr().unwrap());

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
    let mut guards: Vec<Box<dyn std::any::Any + Send + Sync>> = Vec::new();
    let mut health = Vec::new();
    for (group, port) in groups.iter().zip(ports) {
        let base = format!("http://127.0.0.1:{port}");
        for name in group {
            let url = match group.len() {
                1 => format!("{base}/"),
                _ => format!("{base}/function/{name}"),
            };
            routes.insert(name.to_string(), url);
        }
        let mut command = Command::new(bin);
        command
            .env("DS_FUNCTIONS", group.join(","))
            .env("DS_LISTEN", format!("127.0.0.1:{port}"))
            .env("OPENFAAS_GATEWAY", &gateway_url)
            .env("DS_AUTH_SECRET", TEST_SECRET)
            .env("DS_NAMESPACE", &config.namespace)
            .env("RUST_LOG", "warn")
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
        guards.push(Box::new(Process(child)));
        health.push(format!("{base}/healthz"));
    }

    let gateway = Arc::new(Gateway {
        client: reqwest::Client::new(),
        routes,
    });
    let app = axum::Router::new()
        .route("/function/{name}", any(forward))
        .with_state(gateway);
    tokio::spawn(async move { axum::serve(gateway_listener, app).await });

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
    Some(Net::http(gateway_url, guards))
}

/// What the OpenFaaS gateway does for `/function/<name>`: forward the call, headers and all.
async fn forward(
    State(gateway): State<Arc<Gateway>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(url) = gateway.routes.get(&name) else {
        return (StatusCode::NOT_FOUND, "error finding function").into_response();
    };
    let mut request = gateway.client.post(url).body(body);
    for (key, value) in &headers {
        if key != "host" && key != "content-length" {
            request = request.header(key, value);
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            let bytes = response.bytes().await.unwrap_or_default();
            (status, [("content-type", "application/json")], bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("gateway: {e}")).into_response(),
    }
}
