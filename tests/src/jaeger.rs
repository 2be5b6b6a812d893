//! A real Jaeger for the tests that read back what a deployment exported: Jaeger v1.76.0 (built
//! and cached by `scripts/jaeger.sh`, whose path `scripts/test.sh` puts in `DS_JAEGER`), started
//! per test on loopback ports of its own with `deploy/jaeger-loopback.yaml`: OTLP/gRPC in, the
//! query API (`/api/traces/<id>`) out. Without `DS_JAEGER` the tests say they are skipped, or
//! fail under `DS_REQUIRE_BACKENDS=1`.
//!
//! [`Trace`] is a trace as the query API returns it, with the checks the tests make of the
//! compose call tree and the indented rendering the README shows.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::processes::COMPOSE_CALL_TREE;

/// A Jaeger process, stopped when dropped.
pub struct Jaeger {
    child: Child,
    otlp_grpc: String,
    query: String,
}

impl Drop for Jaeger {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl Jaeger {
    /// A fresh Jaeger with no traces; `None` (skip) where `DS_JAEGER` need not be set.
    pub async fn start() -> Option<Jaeger> {
        let Some(bin) = std::env::var_os("DS_JAEGER") else {
            crate::skip_without("Jaeger", "export DS_JAEGER=\"$(scripts/jaeger.sh)\"");
            return None;
        };
        let config =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/jaeger-loopback.yaml");
        let address = |port: u16| format!("127.0.0.1:{port}");
        // Ports chosen together, so they differ; Jaeger binds them a moment later.
        let (otlp_grpc, otlp_http, query, query_grpc, health, metrics) = (
            address(free_port()),
            address(free_port()),
            address(free_port()),
            address(free_port()),
            address(free_port()),
            free_port(),
        );
        let child = Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .env("JAEGER_OTLP_GRPC", &otlp_grpc)
            .env("JAEGER_OTLP_HTTP", &otlp_http)
            .env("JAEGER_QUERY_HTTP", &query)
            .env("JAEGER_QUERY_GRPC", &query_grpc)
            .env("JAEGER_HEALTH_HTTP", &health)
            .env("JAEGER_METRICS_PORT", metrics.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.to_string_lossy()));
        let jaeger = Jaeger {
            child,
            otlp_grpc,
            query: format!("http://{query}"),
        };
        let started = Instant::now();
        while !reqwest::get(format!("http://{health}/status"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Jaeger never came up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(jaeger)
    }

    /// The environment that makes a deployment's processes export every trace here, promptly.
    pub fn exporting(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://{}", self.otlp_grpc),
            ),
            ("OTEL_TRACES_SAMPLER", "parentbased_always_on".into()),
            // The SDK's batch processor sends every 5 s by default.
            ("OTEL_BSP_SCHEDULE_DELAY", "100".into()),
        ]
    }

    /// Composes alice's post mentioning bob at the frontend's `url` (with alice's login `token`
    /// where callers are checked), in a trace of the test's own, sampled; returns the trace as
    /// Jaeger holds it once its spans are in (11 invocations, 10 calls, the store operations)
    /// and the test's span, the root's parent.
    pub async fn traced_compose(
        &self,
        url: &str,
        alice: &str,
        token: Option<&str>,
    ) -> (Trace, String) {
        let caller = deathstar_handlers::trace::TraceContext::root();
        let mut request = reqwest::Client::new()
            .post(url)
            .header(
                "traceparent",
                format!("00-{}-{}-01", caller.trace_id, caller.span_id),
            )
            .json(
                &serde_json::json!({"user_id": alice, "username": "alice", "post_type": 0,
                "text": "hello @bob https://example.com/x"}),
            );
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the compose is answered");
        assert_eq!(response.status(), 200);
        let trace_id = caller.trace_id.to_string();
        assert_eq!(response.headers()["x-request-id"], trace_id.as_str());
        (self.trace(&trace_id, 21).await, caller.span_id.to_string())
    }

    /// The trace `trace_id` once at least `spans` of its spans have arrived and no more come
    /// for a moment (processes export on their own schedules); panics after 30 s.
    pub async fn trace(&self, trace_id: &str, spans: usize) -> Trace {
        let url = format!("{}/api/traces/{trace_id}", self.query);
        let started = Instant::now();
        let mut last: Option<Trace> = None;
        loop {
            let fetched = match reqwest::get(&url).await {
                Ok(response) if response.status().is_success() => {
                    let body: Value = response.json().await.expect("Jaeger's JSON");
                    Some(Trace::from_jaeger(&body))
                }
                _ => None,
            };
            match (fetched, &last) {
                // Two reads a moment apart agree: every process has sent what it had.
                (Some(trace), Some(before))
                    if trace.spans.len() >= spans && trace.spans.len() == before.spans.len() =>
                {
                    return trace;
                }
                (Some(trace), _) => last = Some(trace),
                (None, _) => {}
            }
            let seen = last.as_ref().map_or(0, |t| t.spans.len());
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "trace {trace_id}: {seen} spans after 30 s, expected {spans}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// One span as Jaeger returns it.
#[derive(Debug, Clone)]
pub struct Span {
    pub id: String,
    pub parent: Option<String>,
    pub name: String,
    /// The `service.name` of the process that recorded it.
    pub service: String,
    /// Microseconds since the epoch.
    pub start: u64,
    pub duration: u64,
}

impl Span {
    fn end(&self) -> u64 {
        self.start + self.duration
    }
}

/// The spans of one trace.
#[derive(Debug, Clone)]
pub struct Trace {
    pub spans: Vec<Span>,
}

impl Trace {
    /// Reads the first trace of a `/api/traces/<id>` answer.
    pub fn from_jaeger(body: &Value) -> Trace {
        let trace = &body["data"][0];
        let services: HashMap<&str, &str> = trace["processes"]
            .as_object()
            .map(|processes| {
                processes
                    .iter()
                    .map(|(id, p)| (id.as_str(), p["serviceName"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let spans = trace["spans"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|span| Span {
                id: text(&span["spanID"]),
                parent: span["references"]
                    .as_array()
                    .and_then(|refs| refs.iter().find(|r| r["refType"] == "CHILD_OF"))
                    .map(|r| text(&r["spanID"])),
                name: text(&span["operationName"]),
                service: services
                    .get(span["processID"].as_str().unwrap_or(""))
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
                start: span["startTime"].as_u64().unwrap_or(0),
                duration: span["duration"].as_u64().unwrap_or(0),
            })
            .collect();
        Trace { spans }
    }

    fn named(&self, name: &str) -> &Span {
        self.spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in\n{}", self.render()))
    }

    fn by_id(&self) -> HashMap<&str, &Span> {
        self.spans.iter().map(|s| (s.id.as_str(), s)).collect()
    }

    /// Checks that the trace is one tree below `client_span` (the span id the test sent in its
    /// `traceparent`) holding DeathStarBench's compose call tree: every function's invocation
    /// a child of the call that made it and inside it in time, the fan-out where DSB draws it,
    /// each store operation a child of an invocation. Panics with the rendered tree otherwise.
    pub fn check_compose_tree(&self, client_span: &str) {
        let by_id = self.by_id();
        assert_eq!(by_id.len(), self.spans.len(), "span ids repeat");
        let roots: Vec<&Span> = self
            .spans
            .iter()
            .filter(|s| !s.parent.as_deref().is_some_and(|p| by_id.contains_key(p)))
            .collect();
        assert_eq!(roots.len(), 1, "not one root:\n{}", self.render());
        assert_eq!(roots[0].parent.as_deref(), Some(client_span));
        assert_eq!(roots[0].name, "compose-post-frontend");
        let parent_of = |span: &Span| by_id[span.parent.as_deref().expect("a parent")];
        for function in &COMPOSE_CALL_TREE[1..] {
            let server = self.named(function);
            let call = self.named(&format!("call {function}"));
            assert_eq!(
                server.parent.as_deref(),
                Some(call.id.as_str()),
                "{function}"
            );
            assert!(
                call.start <= server.start && server.end() <= call.end() + 1,
                "{function} outlives its call:\n{}",
                self.render()
            );
        }
        for (call, caller) in [
            (
                "call unique-id-service-upload-unique-id",
                "compose-post-frontend",
            ),
            ("call text-service-upload-text", "compose-post-frontend"),
            (
                "call url-shorten-service-upload-urls",
                "text-service-upload-text",
            ),
            (
                "call user-mention-service-upload-user-mentions",
                "text-service-upload-text",
            ),
            (
                "call compose-post-service-compose-and-upload",
                "compose-post-frontend",
            ),
            (
                "call post-storage-service-store-post",
                "compose-post-service-compose-and-upload",
            ),
            (
                "call home-timeline-service-write-home-timeline",
                "compose-post-service-compose-and-upload",
            ),
            (
                "call social-graph-get-followers",
                "home-timeline-service-write-home-timeline",
            ),
        ] {
            assert_eq!(parent_of(self.named(call)).name, caller, "{call}");
        }
        assert_eq!(
            parent_of(self.named("posts insert")).name,
            "post-storage-service-store-post"
        );
        // An invocation is the root or the child of the call of it; every other span that is
        // no call is a store operation, made by an invocation (or by the cache in front of it).
        let invocation = |span: &Span| {
            span.id == roots[0].id || parent_of(span).name == format!("call {}", span.name)
        };
        for span in &self.spans {
            if !span.name.starts_with("call ") && !invocation(span) {
                let parent = parent_of(span);
                assert!(
                    invocation(parent) || !parent.name.starts_with("call "),
                    "store operation {} is not a child of an invocation:\n{}",
                    span.name,
                    self.render()
                );
            }
        }
    }

    /// The tree, one span a line, indented by depth, children in start order, with durations
    /// and, where a span's process differs from its parent's, the process's service name.
    pub fn render(&self) -> String {
        let by_id = self.by_id();
        let mut children: HashMap<Option<&str>, Vec<&Span>> = HashMap::new();
        for span in &self.spans {
            let parent = span.parent.as_deref().filter(|p| by_id.contains_key(p));
            children.entry(parent).or_default().push(span);
        }
        for list in children.values_mut() {
            list.sort_by_key(|s| (s.start, s.name.clone()));
        }
        let mut out = String::new();
        let mut stack: Vec<(&Span, usize, Option<&str>)> = children
            .get(&None)
            .map(|roots| roots.iter().rev().map(|s| (*s, 0, None)).collect())
            .unwrap_or_default();
        while let Some((span, depth, parent_service)) = stack.pop() {
            let service = match parent_service {
                Some(service) if service == span.service => String::new(),
                _ => format!("  [{}]", span.service),
            };
            let duration = format!("{:.2} ms", span.duration as f64 / 1000.0);
            let indent = "  ".repeat(depth);
            let _ = writeln!(
                out,
                "{indent}{:<w$} {duration:>9}{service}",
                span.name,
                w = 56usize.saturating_sub(indent.len())
            );
            if let Some(kids) = children.get(&Some(span.id.as_str())) {
                for kid in kids.iter().rev() {
                    stack.push((kid, depth + 1, Some(span.service.as_str())));
                }
            }
        }
        out
    }
}
