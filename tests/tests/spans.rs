//! The spans a compose makes, read back from an in-memory sink: one trace, a server span per
//! function of DeathStarBench's compose tree, a client span per call between them (each the
//! parent of the callee's server span) and per store operation, in-process and through the
//! HTTP edge (whose `traceparent` the tree continues).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::functions::compose::{ComposePostFrontend, ComposePostInput};
use deathstar_handlers::spans::{self, AttributeValue, FinishedSpan, InMemorySpans, SpanKind};
use deathstar_handlers::store::Stores;
use deathstar_handlers::trace::TraceContext;
use deathstar_handlers::{AuthMode, CallMeta, Registry, UserId};
use deathstar_http::{HttpOptions, router};
use deathstar_tests::processes::COMPOSE_CALL_TREE;
use deathstar_tests::{TEST_SECRET, cheap_passwords};
use serde_json::json;
use tower::ServiceExt;

/// The sink of this test process, installed once.
fn sink() -> &'static InMemorySpans {
    static SINK: OnceLock<Arc<InMemorySpans>> = OnceLock::new();
    SINK.get_or_init(|| {
        let sink = Arc::new(InMemorySpans::default());
        assert!(spans::install(sink.clone()), "a sink was installed already");
        sink
    })
}

/// An all-in-one registry on measured embedded stores, with alice (followed by bob) registered.
async fn network() -> (Registry, tempfile::TempDir, UserId) {
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::embedded(dir.path())
        .unwrap()
        .measured("embedded", "embedded");
    let registry = Registry::in_process(stores, AuthKey::new(TEST_SECRET))
        .with_auth_mode(AuthMode::Open)
        .with_passwords(cheap_passwords());
    let mut ids = Vec::new();
    for name in ["alice", "bob"] {
        let body = json!({"username": name, "first_name": "F", "last_name": "L", "password": "pw"});
        let reply = registry
            .call_wire(
                "register-user",
                body.to_string().as_bytes(),
                CallMeta::root(),
            )
            .unwrap()
            .await;
        let reply: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        ids.push(reply["user"]["user_id"].as_str().unwrap().to_owned());
    }
    let follow = json!({"user_id": ids[1], "followee_id": ids[0]}).to_string();
    let followed = registry
        .call_wire("social-graph-follow", follow.as_bytes(), CallMeta::root())
        .unwrap()
        .await;
    assert_eq!(followed.status, 200);
    (registry, dir, UserId::parse(ids[0].clone()).unwrap())
}

fn compose_input(alice: &UserId) -> ComposePostInput {
    ComposePostInput {
        user_id: alice.clone(),
        username: "alice".into(),
        post_type: 0,
        text: "hello @bob https://example.com/x".into(),
        media_ids: None,
        media_types: None,
        media_id: None,
        media_type: None,
    }
}

/// Checks that `spans` are one tree below `root` (the span the test itself stands for) with
/// the compose call tree in it; returns the spans by name.
fn check_tree(
    spans: &[FinishedSpan],
    root: Option<deathstar_handlers::trace::SpanId>,
) -> HashMap<String, Vec<&FinishedSpan>> {
    let by_id: HashMap<_, _> = spans.iter().map(|span| (span.span_id, span)).collect();
    assert_eq!(by_id.len(), spans.len(), "span ids repeat");
    let orphans: Vec<_> = spans
        .iter()
        .filter(|s| !s.parent.is_some_and(|p| by_id.contains_key(&p)))
        .collect();
    assert_eq!(orphans.len(), 1, "not one root: {orphans:#?}");
    assert_eq!(orphans[0].parent, root);
    let mut by_name: HashMap<String, Vec<&FinishedSpan>> = HashMap::new();
    for span in spans {
        by_name.entry(span.name.clone()).or_default().push(span);
    }
    for function in COMPOSE_CALL_TREE {
        let server = by_name
            .get(*function)
            .unwrap_or_else(|| panic!("no server span of {function}"));
        let server = server[0];
        assert_eq!(server.kind, SpanKind::Server);
        // Each invocation is a child of the call that made it; the frontend, called over HTTP,
        // of the client's span.
        let Some(calls) = by_name.get(&format!("call {function}")) else {
            assert_eq!(*function, "compose-post-frontend", "no call of {function}");
            continue;
        };
        let call = calls[0];
        assert_eq!(call.kind, SpanKind::Client);
        assert_eq!(server.parent, Some(call.span_id), "{function}");
        assert!(
            call.start <= server.start && server.end <= call.end,
            "{function} outlives its call"
        );
    }
    // The fan-out's callers, as DeathStarBench draws them.
    let parent_name = |name: &str| {
        let span = by_name[name][0];
        by_id[&span.parent.unwrap()].name.clone()
    };
    assert_eq!(
        parent_name("call text-service-upload-text"),
        "compose-post-frontend"
    );
    assert_eq!(
        parent_name("call url-shorten-service-upload-urls"),
        "text-service-upload-text"
    );
    assert_eq!(
        parent_name("call post-storage-service-store-post"),
        "compose-post-service-compose-and-upload"
    );
    // Store operations are client spans of the invocation that made them.
    let insert = by_name["posts insert"][0];
    assert_eq!(
        by_id[&insert.parent.unwrap()].name,
        "post-storage-service-store-post"
    );
    assert!(
        insert
            .attributes
            .contains(&("db.system.name", AttributeValue::from("embedded")))
    );
    by_name
}

/// Alice's compose sent to the HTTP edge with `header` (a trace header), answered 200.
async fn compose_over_http(
    registry: Registry,
    alice: &UserId,
    header: (&str, String),
) -> axum::response::Response {
    let body = serde_json::to_vec(&compose_input(alice)).unwrap();
    let request = Request::post("/function/compose-post-frontend")
        .header(header.0, header.1)
        .body(Body::from(body))
        .unwrap();
    let response = router(registry, HttpOptions::default())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response
}

#[tokio::test]
async fn an_in_process_compose_is_one_trace_with_the_compose_call_tree() {
    let sink = sink();
    let (registry, _dir, alice) = network().await;
    let meta = CallMeta::root();
    registry
        .call::<ComposePostFrontend>(&meta, compose_input(&alice))
        .await
        .unwrap();
    let spans = sink.of_trace(meta.trace.trace_id);
    let by_name = check_tree(&spans, Some(meta.trace.span_id));
    let frontend = by_name["compose-post-frontend"][0];
    assert!(
        frontend
            .attributes
            .contains(&("faas.trigger", AttributeValue::from("other")))
    );
}

#[tokio::test]
async fn a_compose_over_http_continues_the_callers_traceparent() {
    let sink = sink();
    let (registry, _dir, alice) = network().await;
    let caller = TraceContext::root();
    let response = compose_over_http(registry, &alice, ("traceparent", caller.traceparent())).await;
    assert_eq!(
        response.headers()["x-request-id"],
        caller.trace_id.to_string()
    );
    let spans = sink.of_trace(caller.trace_id);
    let by_name = check_tree(&spans, Some(caller.span_id));
    let frontend = by_name["compose-post-frontend"][0];
    assert_eq!(frontend.parent, Some(caller.span_id));
    assert!(
        frontend
            .attributes
            .contains(&("http.response.status_code", AttributeValue::from(200_i64)))
    );
}

#[tokio::test]
async fn without_a_traceparent_the_xray_header_names_the_trace() {
    let sink = sink();
    let (registry, _dir, alice) = network().await;
    // As API Gateway and the Lambda runtime set it.
    let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let response = compose_over_http(registry, &alice, ("x-amzn-trace-id", xray.into())).await;
    let caller = TraceContext::from_xray(xray).unwrap();
    assert_eq!(
        response.headers()["x-request-id"],
        "5759e988bd862e3fe1be46a994272793"
    );
    check_tree(&sink.of_trace(caller.trace_id), Some(caller.span_id));
}

/// DeathStarBench's `/wrk2-api/` routes record a server span of their own (as DSB's nginx
/// does): the root of the trace, the parent of the frontend's call.
#[tokio::test]
async fn a_wrk2_compose_is_rooted_at_the_routes_own_span() {
    let sink = sink();
    let (registry, _dir, _) = network().await;
    let app = deathstar_http::router_with(
        registry.clone(),
        HttpOptions::default(),
        deathstar_http::dsb::router(registry, std::time::Duration::from_secs(10)),
    );
    let form = |path: &str, body: &str, trace: Option<&TraceContext>| {
        let mut request =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(trace) = trace {
            request = request.header("traceparent", trace.traceparent());
        }
        request.body(Body::from(body.to_owned())).unwrap()
    };
    let register = "first_name=C&last_name=D&username=carol&password=pw&user_id=7";
    let registered = app
        .clone()
        .oneshot(form("/wrk2-api/user/register", register, None))
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);
    let caller = TraceContext::root();
    let compose = "username=carol&user_id=7&text=hello&media_ids=[]&media_types=[]&post_type=0";
    let composed = app
        .oneshot(form("/wrk2-api/post/compose", compose, Some(&caller)))
        .await
        .unwrap();
    assert_eq!(composed.status(), 200);
    let spans = sink.of_trace(caller.trace_id);
    let edge = spans
        .iter()
        .find(|s| s.parent == Some(caller.span_id))
        .expect("a span under the caller's");
    assert_eq!(edge.name, "POST /wrk2-api/post/compose");
    assert_eq!(edge.kind, SpanKind::Server);
    let call = spans
        .iter()
        .find(|s| s.name == "call compose-post-frontend")
        .expect("the frontend's call");
    assert_eq!(call.parent, Some(edge.span_id));
    assert!(spans.iter().any(|s| s.name == "compose-post-frontend"));
}
