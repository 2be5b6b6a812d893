//! `DS_AUTH=required` on the all-in-one server: the authorization matrix
//! ([`deathstar_tests::access`]) on both backends, and each attack of the security review
//! (issue 11) by name. The multi-process deployment runs the same matrix
//! (`adapters/openfaas/tests/deployments.rs`).

use std::time::Duration;

use deathstar_backends::open_stores;
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_tests::access::{Target, run_matrix};
use deathstar_tests::{Backend, TEST_SECRET, cheap_passwords, serve};
use serde_json::json;

/// The local server's routes in the default mode, on a fresh store of `backend`.
async fn server(backend: Backend) -> Option<(Target, tempfile::TempDir)> {
    let config = backend.config()?;
    let dir = tempfile::tempdir().unwrap();
    let stores = open_stores(&config, dir.path()).await.unwrap();
    let registry =
        Registry::in_process(stores, AuthKey::new(TEST_SECRET)).with_passwords(cheap_passwords());
    let dsb = deathstar_http::dsb::router(registry.clone(), Duration::from_secs(20));
    let app = deathstar_http::router_with(registry, Default::default(), dsb);
    Some((Target::new(serve(app).await, TEST_SECRET), dir))
}

#[tokio::test]
async fn the_matrix_holds_on_the_embedded_store() {
    let (target, _dir) = server(Backend::Embedded).await.unwrap();
    run_matrix(&target).await;
}

#[tokio::test]
async fn the_matrix_holds_on_mongodb_and_redis() {
    if let Some((target, _dir)) = server(Backend::MongoRedis).await {
        run_matrix(&target).await;
    }
}

/// The review's attacks, as it made them (no token, or a token of someone else), refused.
#[tokio::test]
async fn the_reviews_attacks_are_refused() {
    let (target, _dir) = server(Backend::Embedded).await.unwrap();
    let alice = target.user("alice").await;
    let bob = target.user("bob").await;
    let mallory = target.user("mallory").await;
    let post = json!({
        "post_id": "1", "req_id": "1", "timestamp": 1, "post_type": 0,
        "creator": {"user_id": alice.user_id, "username": "alice"},
        "text": "<script>alert(1)</script>", "user_mentions": [], "media": [],
        "urls": [{"shortened_url": "javascript:alert(1)", "expanded_url": "javascript:alert(1)"}],
    });
    let attacks = [
        // Posting as alice, with no token.
        (
            "compose-post-frontend",
            json!({"user_id": alice.user_id, "username": "alice", "post_type": 0, "text": "not alice"}),
            None,
            401,
        ),
        // Making bob follow mallory, as mallory.
        (
            "social-graph-follow",
            json!({"user_id": bob.user_id, "followee_id": mallory.user_id}),
            Some(&mallory),
            403,
        ),
        (
            "social-graph-follow-with-username",
            json!({"username": "bob", "followee_name": "mallory"}),
            Some(&mallory),
            403,
        ),
        // Reading bob's home timeline, as alice and as nobody.
        (
            "home-timeline-read-frontend",
            json!({"user_id": bob.user_id, "start": 0, "stop": 10}),
            Some(&alice),
            403,
        ),
        (
            "home-timeline-read-frontend",
            json!({"user_id": bob.user_id, "start": 0, "stop": 10}),
            None,
            401,
        ),
        // Internal functions from outside, even with a valid token.
        (
            "post-storage-service-store-post",
            json!({"post": post}),
            Some(&alice),
            403,
        ),
        (
            "user-timeline-service-write-user-timeline",
            json!({"user_id": alice.user_id, "post_id": "1", "timestamp": u64::MAX}),
            None,
            403,
        ),
        (
            "compose-post-service-compose-and-upload",
            json!({}),
            Some(&alice),
            403,
        ),
        (
            "register-user-with-id",
            json!({"user_id": "0123456789abcdef0123456789abcdef", "username": "squatter", "first_name": "S", "last_name": "Q", "password": "p"}),
            None,
            403,
        ),
    ];
    let client = reqwest::Client::new();
    for (function, body, user, status) in attacks {
        let mut request = client
            .post(format!("{}/function/{function}", target.base))
            .json(&body);
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        let response = request.send().await.unwrap();
        let answered = response.status().as_u16();
        let reply: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            answered,
            status,
            "{function} as {:?}: {reply}",
            user.map(|u| &u.username)
        );
    }
    // Nothing of it happened: bob follows nobody, alice's timeline is empty.
    let (_, followees) = target
        .call_plain(
            "social-graph-get-followees",
            json!({"user_id": bob.user_id}),
        )
        .await;
    assert_eq!(followees["followees"], json!([]), "{followees}");
    let page = json!({"user_id": alice.user_id, "start": 0, "stop": 10});
    let (_, timeline) = target.call_plain("user-timeline-read-frontend", page).await;
    assert_eq!(timeline["posts"], json!([]), "{timeline}");
}

/// Guessing a password: after `PER_USERNAME` failures the username answers 429 with
/// `Retry-After`, even to its right password, while other users log in; after `PER_CLIENT`
/// failures on any usernames, the client's address does.
#[tokio::test]
async fn failed_logins_are_throttled_per_username_and_per_client() {
    use deathstar_handlers::throttle::{PER_CLIENT, PER_USERNAME};

    let (target, _dir) = server(Backend::Embedded).await.unwrap();
    target.user("alice").await;
    target.user("bob").await;
    let client = reqwest::Client::new();
    let login = |username: &str, password: &str| {
        let request = client
            .post(format!("{}/function/user-service-login", target.base))
            .json(&json!({"username": username, "password": password}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, retry_after, body)
        }
    };
    for _ in 0..PER_USERNAME {
        assert_eq!(login("alice", "guess").await.0, 401);
    }
    let (status, retry_after, body) = login("alice", "pw-alice").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (429, Some("TooManyRequestsError")),
        "{body}"
    );
    let secs: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!(secs > 0 && secs <= 300, "{secs}");
    assert_eq!(body["retry_after"], secs);
    assert_eq!(
        login("bob", "pw-bob").await.0,
        200,
        "another user still logs in"
    );

    // The same client guessing other usernames (unknown ones count too) runs out as well.
    for n in PER_USERNAME..PER_CLIENT {
        assert_eq!(login(&format!("nobody{n}"), "guess").await.0, 401);
    }
    let (status, retry_after, _) = login("bob", "pw-bob").await;
    assert_eq!(status, 429);
    assert!(retry_after.is_some());
}
