//! How failures travel up a call tree: a callee that cannot be reached is a 502 naming it, a
//! request past its deadline is a 504, and neither is mistaken for the client's fault.

use std::sync::Arc;
use std::time::Duration;

use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::store::Stores;
use deathstar_handlers::{CallMeta, Invocation, Registry, Reply};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A process hosting only the functions `keep` accepts, calling the rest in-process (where
/// they are missing, as if their hosts were down).
fn partial_registry(keep: fn(&str) -> bool) -> (Registry, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::embedded(dir.path()).unwrap();
    // Open: the bodies name the users; what is on trial is how failures are reported.
    let registry = Registry::only(stores, AuthKey::new("k"), keep);
    (
        registry.with_auth_mode(deathstar_handlers::AuthMode::Open),
        dir,
    )
}

async fn call(registry: &Registry, function: &str, body: Value, meta: CallMeta) -> Reply {
    let service = registry.get(function).expect("hosted");
    service.oneshot(Invocation::new(body, meta)).await.unwrap()
}

#[tokio::test]
async fn an_unreachable_callee_is_a_502_that_names_it() {
    let (registry, _dir) = partial_registry(|name| name != "social-graph-insert-user");
    let reply = call(
        &registry,
        "register-user",
        json!({"username": "a", "first_name": "A", "last_name": "B", "password": "p"}),
        CallMeta::root(),
    )
    .await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(reply.body["status"], "RegisterUserError");
    let error = &reply.body["errors"][0];
    assert_eq!(error["callee"], "social-graph-insert-user");
    assert_eq!(error["http_status"], 502);
    assert!(
        error["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no function named")
    );
}

#[tokio::test]
async fn a_failure_deep_in_compose_is_nested_at_every_level() {
    // compose-post-frontend → text-service-upload-text → url-shorten-service-upload-urls (down).
    let (registry, _dir) = partial_registry(|name| name != "url-shorten-service-upload-urls");
    let user = call(
        &registry,
        "register-user",
        json!({"username": "a", "first_name": "A", "last_name": "B", "password": "p"}),
        CallMeta::root(),
    )
    .await;
    let user_id = user.body["user"]["user_id"].clone();
    let reply = call(
        &registry,
        "compose-post-frontend",
        json!({"user_id": user_id, "username": "a", "post_type": 0, "text": "see http://x.org"}),
        CallMeta::root(),
    )
    .await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(reply.body["status"], "ComposePostFrontError");
    let text = &reply.body["errors"][0];
    assert_eq!(text["callee"], "text-service-upload-text");
    assert_eq!(text["status"], "TextServiceUploadTextError");
    assert_eq!(
        text["errors"][0]["callee"],
        "url-shorten-service-upload-urls"
    );
    // Nothing was stored: the user's timeline is still empty.
    let timeline = call(
        &registry,
        "user-timeline-read-frontend",
        json!({"user_id": user_id, "start": 0, "stop": 10}),
        CallMeta::root(),
    )
    .await;
    assert_eq!(timeline.body["posts"], json!([]));
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_504() {
    let (registry, _dir) = partial_registry(|_| true);
    let meta = CallMeta::root().with_timeout(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let reply = call(&registry, "get-user-id", json!({"username": "a"}), meta).await;
    assert_eq!(reply.status, 504, "{}", reply.body);
    assert_eq!(reply.body["status"], "TimeoutError");
}

/// A callee whose host does not answer is a 502 naming the callee and the trace id; the
/// transport's detail (internal host names and ports) goes to the log, not to the caller.
#[tokio::test]
async fn an_unreachable_host_is_not_named_to_the_caller() {
    use deathstar_http::client::{FunctionUrls, GatewayInvoker};

    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::embedded(dir.path()).unwrap();
    // Port 1 on loopback: nothing listens there.
    let nowhere = FunctionUrls::Template("http://127.0.0.1:1/function/{name}".into());
    let key = AuthKey::new("k");
    let remote = Arc::new(GatewayInvoker::new(nowhere, Duration::from_secs(5), key));
    let registry = Registry::fused(stores, AuthKey::new("k"), remote, |name| {
        name != "social-graph-insert-user"
    });
    let meta = CallMeta::root().with_timeout(Duration::from_secs(5));
    let trace_id = meta.trace_id().to_string();
    let body = json!({"username": "a", "first_name": "A", "last_name": "B", "password": "p"});
    let reply = call(&registry, "register-user", body, meta).await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    let text = reply.body.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(":1/"),
        "{text}"
    );
    let callee = &reply.body["errors"][0];
    assert_eq!(callee["callee"], "social-graph-insert-user");
    let message = callee["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&trace_id), "{message}");
}
