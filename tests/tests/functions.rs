//! Every function of the catalogue, called by name as a client calls it: its success reply
//! (the key fields, not just the status), and each error a client's input can cause — 400
//! `MissingFieldError` / `InvalidFieldError`, 401, 404 and 409, with the envelope status that
//! names it. Where a function passes on a refusal of a function it called, the test checks
//! the nesting too (`errors[0].callee` and the callee's own status). Sections follow the order
//! of the catalogue in `handlers/src/registry.rs`, except that the reads of the user and the
//! home timeline, which behave alike, are checked together for both (`Timeline`) after the
//! timeline writes; every test runs in-process and over HTTP.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_tests::{Net, TEST_SECRET, deployments, texts};
use serde_json::{Value, json};

/// A well-formed user id that no test registers.
const NOBODY: &str = "0123456789abcdef0123456789abcdef";

/// Pages every timeline read refuses, with the field it names.
const BAD_PAGES: [(i64, i64, &str); 4] = [
    (-1, 10, "start"),
    (5, 5, "stop"),
    (5, 0, "stop"),
    (0, 1001, "stop"),
];

fn is_hex_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Asserts that `function` refuses `body` with a 400 `status` naming `field`.
async fn refused(net: &Net, function: &str, body: Value, status: &str, field: &str) {
    let reply = net.fails(function, body, 400, status).await;
    assert_eq!(reply["errors"][0]["field"], field, "{reply}");
}

/// Asserts that the first error of `body` is `callee` failing with its own envelope `status`.
fn assert_callee(body: &Value, callee: &str, status: &str) {
    let error = &body["errors"][0];
    assert_eq!(
        (error["callee"].as_str(), error["status"].as_str()),
        (Some(callee), Some(status)),
        "{body}"
    );
}

/// The keys of a JSON object, sorted.
fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    keys
}

/// The `user_id` of each item of a list (followers, followees, mentions...).
fn user_ids(list: &Value) -> Vec<&str> {
    let list = list.as_array().expect("a list");
    list.iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect()
}

/// The `"followers"` or `"followees"` of `user_id`.
async fn graph(net: &Net, list: &str, user_id: &str) -> Value {
    let reply = net
        .ok(
            &format!("social-graph-get-{list}"),
            json!({"user_id": user_id}),
        )
        .await;
    reply[list].clone()
}

/// A `register-user` body for `username`.
fn registration(username: &str) -> Value {
    json!({
        "username": username,
        "first_name": "First",
        "last_name": "Last",
        "password": "secret",
    })
}

/// A timeline read of `start..stop`.
fn page(user_id: &str, start: i64, stop: i64) -> Value {
    json!({"user_id": user_id, "start": start, "stop": stop})
}

/// A post as `post-storage-service-store-post` takes it, with text `post <post_id>`.
fn post(post_id: &str, author: &str, timestamp: u64) -> Value {
    json!({
        "post_id": post_id,
        "req_id": "1",
        "creator": {"user_id": author, "username": "author"},
        "text": format!("post {post_id}"),
        "user_mentions": [],
        "media": [],
        "urls": [],
        "timestamp": timestamp,
        "post_type": 0,
    })
}

/// Stores a post and writes it to its author's user timeline and to the home timelines of the
/// author's followers, at a chosen time (what compose-and-upload does with the clock's).
async fn publish(net: &Net, author: &str, post_id: &str, timestamp: u64) {
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post(post_id, author, timestamp)}),
    )
    .await;
    let entry = json!({"user_id": author, "post_id": post_id, "timestamp": timestamp});
    net.ok("user-timeline-service-write-user-timeline", entry.clone())
        .await;
    net.ok("home-timeline-service-write-home-timeline", entry)
        .await;
}

/// Registers alice and bob, makes bob follow alice, and publishes alice's posts "101", "102"
/// and "103" at times 1, 2 and 3. Returns (alice, bob).
async fn alice_posts_three_times(net: &Net) -> (String, String) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    for (post_id, timestamp) in [("101", 1), ("102", 2), ("103", 3)] {
        publish(net, &alice, post_id, timestamp).await;
    }
    (alice, bob)
}

// The catalogue.

const COVERED: [&str; 31] = [
    "register-user",
    "register-user-with-id",
    "get-user-id",
    "user-service-login",
    "user-service-upload-creator-with-user-id",
    "user-service-upload-creator-with-username",
    "social-graph-insert-user",
    "social-graph-follow",
    "social-graph-unfollow",
    "social-graph-follow-with-username",
    "social-graph-unfollow-with-username",
    "social-graph-get-followers",
    "social-graph-get-followees",
    "media-front-upload-media",
    "media-front-get-media",
    "media-service-upload-media",
    "compose-post-frontend",
    "unique-id-service-upload-unique-id",
    "text-service-upload-text",
    "url-shorten-service-upload-urls",
    "url-shorten-service-get-extended-urls",
    "user-mention-service-upload-user-mentions",
    "compose-post-service-compose-and-upload",
    "post-storage-service-store-post",
    "post-storage-service-read-posts",
    "user-timeline-service-write-user-timeline",
    "user-timeline-service-read-user-timeline",
    "user-timeline-read-frontend",
    "home-timeline-service-write-home-timeline",
    "home-timeline-service-read-home-timeline",
    "home-timeline-read-frontend",
];

async fn every_catalogue_function_is_covered_here_and_deployed(net: Net) {
    assert_eq!(
        Registry::names(),
        COVERED,
        "a function was added or renamed"
    );
    for name in COVERED {
        let reply = net.call(name, json!({})).await;
        assert_ne!(
            reply.body["status"], "FunctionNotFoundError",
            "{name} is not deployed"
        );
    }
}

// register-user

async fn register_user_returns_the_public_user_with_a_fresh_id(net: Net) {
    let reply = net
        .ok(
            "register-user",
            json!({
                "username": "alice",
                "first_name": "Alice",
                "last_name": "Liddell",
                "password": "secret",
            }),
        )
        .await;
    assert_eq!(keys(&reply), ["status", "user"]);
    let user = &reply["user"];
    assert_eq!(
        keys(user),
        ["first_name", "last_name", "user_id", "username"],
        "no password or salt: {reply}"
    );
    let user_id = user["user_id"].as_str().unwrap();
    assert!(is_hex_id(user_id), "{user_id}");
    assert_eq!(
        (&user["username"], &user["first_name"], &user["last_name"]),
        (&json!("alice"), &json!("Alice"), &json!("Liddell"))
    );
    let found = net.ok("get-user-id", json!({"username": "alice"})).await;
    assert_eq!(found["user_id"], user_id);
    assert_ne!(net.register("bob").await, user_id);
}

async fn register_user_refuses_a_missing_field(net: Net) {
    let mut body = registration("alice");
    body.as_object_mut().unwrap().remove("password");
    refused(&net, "register-user", body, "MissingFieldError", "password").await;
}

async fn register_user_refuses_invalid_fields(net: Net) {
    let cases = [
        ("username", json!("a b")),
        ("username", json!("")),
        ("username", json!("a".repeat(65))),
        ("username", json!(42)),
        ("first_name", json!("x".repeat(257))),
        ("last_name", json!("x".repeat(257))),
        ("password", json!("")),
    ];
    for (name, value) in cases {
        let mut body = registration("alice");
        body[name] = value;
        refused(&net, "register-user", body, "InvalidFieldError", name).await;
    }
    // None of them registered anyone.
    net.fails(
        "get-user-id",
        json!({"username": "alice"}),
        404,
        "UsernameNotFoundError",
    )
    .await;
}

async fn register_user_refuses_a_taken_username(net: Net) {
    let alice = net.register("alice").await;
    let mut again = registration("alice");
    again["password"] = json!("another");
    net.fails("register-user", again, 409, "UsernameAlreadyExistError")
        .await;
    // The first account is untouched.
    let login = net
        .ok(
            "user-service-login",
            json!({"username": "alice", "password": "pw-alice"}),
        )
        .await;
    assert_eq!(login["user_id"], alice);
}

// register-user-with-id

const ALICE_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn registration_with_id(user_id: &str, username: &str) -> Value {
    let mut body = registration(username);
    body["user_id"] = json!(user_id);
    body
}

async fn register_user_with_id_keeps_the_given_id(net: Net) {
    let reply = net
        .ok(
            "register-user-with-id",
            registration_with_id(ALICE_ID, "alice"),
        )
        .await;
    assert_eq!(
        reply["user"],
        json!({"user_id": ALICE_ID, "username": "alice", "first_name": "First", "last_name": "Last"})
    );
    let found = net.ok("get-user-id", json!({"username": "alice"})).await;
    assert_eq!(found["user_id"], ALICE_ID);
    // The user has a node in the social graph.
    assert_eq!(graph(&net, "followers", ALICE_ID).await, json!([]));
}

async fn register_user_with_id_refuses_a_malformed_or_missing_id(net: Net) {
    for bad in ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1234", ""] {
        refused(
            &net,
            "register-user-with-id",
            registration_with_id(bad, "alice"),
            "InvalidFieldError",
            "user_id",
        )
        .await;
    }
    refused(
        &net,
        "register-user-with-id",
        registration("alice"),
        "MissingFieldError",
        "user_id",
    )
    .await;
}

async fn register_user_with_id_refuses_a_taken_id_or_username(net: Net) {
    net.ok(
        "register-user-with-id",
        registration_with_id(ALICE_ID, "alice"),
    )
    .await;
    net.fails(
        "register-user-with-id",
        registration_with_id(ALICE_ID, "bob"),
        409,
        "UserAlreadyExistError",
    )
    .await;
    net.fails(
        "register-user-with-id",
        registration_with_id(NOBODY, "alice"),
        409,
        "UsernameAlreadyExistError",
    )
    .await;
    net.fails(
        "get-user-id",
        json!({"username": "bob"}),
        404,
        "UsernameNotFoundError",
    )
    .await;
}

// get-user-id

async fn get_user_id_finds_each_registered_username(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let found = net.ok("get-user-id", json!({"username": "alice"})).await;
    assert_eq!(found["user_id"], alice);
    let found = net.ok("get-user-id", json!({"username": "bob"})).await;
    assert_eq!(found["user_id"], bob);
}

async fn get_user_id_reports_an_unknown_username(net: Net) {
    net.register("alice").await;
    net.fails(
        "get-user-id",
        json!({"username": "Alice"}),
        404,
        "UsernameNotFoundError",
    )
    .await;
}

async fn get_user_id_refuses_a_missing_or_mistyped_username(net: Net) {
    refused(
        &net,
        "get-user-id",
        json!({}),
        "MissingFieldError",
        "username",
    )
    .await;
    refused(
        &net,
        "get-user-id",
        json!({"username": 7}),
        "InvalidFieldError",
        "username",
    )
    .await;
}

// user-service-login

async fn login_returns_a_token_signed_for_the_user(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "user-service-login",
            json!({"username": "alice", "password": "pw-alice"}),
        )
        .await;
    assert_eq!(
        (&reply["user_id"], &reply["username"]),
        (&json!(alice), &json!("alice"))
    );
    let token = reply["token"].as_str().unwrap();
    let claims = AuthKey::new(TEST_SECRET)
        .verify(token)
        .expect("the token verifies under the deployment's key");
    assert_eq!(
        (claims.user_id.as_str(), claims.username.as_str()),
        (alice.as_str(), "alice")
    );
    assert!(AuthKey::new("another-secret").verify(token).is_err());
}

async fn login_refuses_a_wrong_password_and_an_unknown_username_alike(net: Net) {
    net.register("alice").await;
    let wrong_password = net
        .fails(
            "user-service-login",
            json!({"username": "alice", "password": "pw-bob"}),
            401,
            "UnauthorizedError",
        )
        .await;
    let unknown_user = net
        .fails(
            "user-service-login",
            json!({"username": "bob", "password": "pw-bob"}),
            401,
            "UnauthorizedError",
        )
        .await;
    assert_eq!(wrong_password["errors"], unknown_user["errors"]);
}

async fn login_refuses_a_missing_password(net: Net) {
    net.register("alice").await;
    refused(
        &net,
        "user-service-login",
        json!({"username": "alice"}),
        "MissingFieldError",
        "password",
    )
    .await;
}

// user-service-upload-creator-with-user-id

async fn upload_creator_with_user_id_returns_the_checked_creator(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "user-service-upload-creator-with-user-id",
            json!({"user_id": alice, "username": "alice"}),
        )
        .await;
    assert_eq!(
        reply["creator"],
        json!({"user_id": alice, "username": "alice"})
    );
}

async fn upload_creator_with_user_id_refuses_a_username_that_is_not_the_users(net: Net) {
    let alice = net.register("alice").await;
    net.register("bob").await;
    refused(
        &net,
        "user-service-upload-creator-with-user-id",
        json!({"user_id": alice, "username": "bob"}),
        "InvalidFieldError",
        "username",
    )
    .await;
}

async fn upload_creator_with_user_id_refuses_a_malformed_id_or_missing_username(net: Net) {
    refused(
        &net,
        "user-service-upload-creator-with-user-id",
        json!({"user_id": "alice", "username": "alice"}),
        "InvalidFieldError",
        "user_id",
    )
    .await;
    refused(
        &net,
        "user-service-upload-creator-with-user-id",
        json!({"user_id": NOBODY}),
        "MissingFieldError",
        "username",
    )
    .await;
}

async fn upload_creator_with_user_id_reports_an_unknown_user(net: Net) {
    net.fails(
        "user-service-upload-creator-with-user-id",
        json!({"user_id": NOBODY, "username": "nobody"}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

// user-service-upload-creator-with-username

async fn upload_creator_with_username_resolves_the_user(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "user-service-upload-creator-with-username",
            json!({"username": "alice"}),
        )
        .await;
    assert_eq!(
        reply["creator"],
        json!({"user_id": alice, "username": "alice"})
    );
}

async fn upload_creator_with_username_reports_an_unknown_username(net: Net) {
    net.fails(
        "user-service-upload-creator-with-username",
        json!({"username": "ghost"}),
        404,
        "UsernameNotFoundError",
    )
    .await;
}

async fn upload_creator_with_username_refuses_a_missing_username(net: Net) {
    refused(
        &net,
        "user-service-upload-creator-with-username",
        json!({}),
        "MissingFieldError",
        "username",
    )
    .await;
}

// social-graph-insert-user

async fn insert_user_creates_an_empty_graph_node(net: Net) {
    let reply = net
        .ok("social-graph-insert-user", json!({"user_id": NOBODY}))
        .await;
    assert_eq!(reply["user_id"], NOBODY);
    assert_eq!(graph(&net, "followers", NOBODY).await, json!([]));
    assert_eq!(graph(&net, "followees", NOBODY).await, json!([]));
}

async fn insert_user_refuses_an_existing_node(net: Net) {
    net.ok("social-graph-insert-user", json!({"user_id": NOBODY}))
        .await;
    net.fails(
        "social-graph-insert-user",
        json!({"user_id": NOBODY}),
        409,
        "UserIDAlreadyExistError",
    )
    .await;
    let alice = net.register("alice").await;
    net.fails(
        "social-graph-insert-user",
        json!({"user_id": alice}),
        409,
        "UserIDAlreadyExistError",
    )
    .await;
}

async fn insert_user_refuses_a_malformed_or_missing_id(net: Net) {
    refused(
        &net,
        "social-graph-insert-user",
        json!({"user_id": "not-an-id"}),
        "InvalidFieldError",
        "user_id",
    )
    .await;
    refused(
        &net,
        "social-graph-insert-user",
        json!({}),
        "MissingFieldError",
        "user_id",
    )
    .await;
}

// social-graph-follow

async fn follow_adds_the_edge_on_both_ends(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let reply = net
        .ok(
            "social-graph-follow",
            json!({"user_id": alice, "followee_id": bob}),
        )
        .await;
    assert_eq!(
        (&reply["user_id"], &reply["followee_id"], &reply["followed"]),
        (&json!(alice), &json!(bob), &json!(true))
    );
    assert_eq!(
        user_ids(&graph(&net, "followees", &alice).await),
        [bob.as_str()]
    );
    assert_eq!(
        user_ids(&graph(&net, "followers", &bob).await),
        [alice.as_str()]
    );
    assert_eq!(graph(&net, "followers", &alice).await, json!([]));
    assert_eq!(graph(&net, "followees", &bob).await, json!([]));
}

async fn follow_twice_is_a_no_op_that_says_so(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&alice, &bob).await;
    let reply = net
        .ok(
            "social-graph-follow",
            json!({"user_id": alice, "followee_id": bob}),
        )
        .await;
    assert_eq!(reply["followed"], false);
    assert_eq!(
        user_ids(&graph(&net, "followers", &bob).await),
        [alice.as_str()]
    );
}

async fn follow_refuses_following_oneself(net: Net) {
    let alice = net.register("alice").await;
    refused(
        &net,
        "social-graph-follow",
        json!({"user_id": alice, "followee_id": alice}),
        "InvalidFieldError",
        "followee_id",
    )
    .await;
}

async fn follow_refuses_malformed_or_missing_ids(net: Net) {
    let alice = net.register("alice").await;
    for (body, bad) in [
        (json!({"user_id": "alice", "followee_id": alice}), "user_id"),
        (json!({"user_id": alice, "followee_id": "x"}), "followee_id"),
    ] {
        refused(&net, "social-graph-follow", body, "InvalidFieldError", bad).await;
    }
    refused(
        &net,
        "social-graph-follow",
        json!({"user_id": alice}),
        "MissingFieldError",
        "followee_id",
    )
    .await;
}

async fn follow_reports_users_not_in_the_graph(net: Net) {
    let alice = net.register("alice").await;
    net.fails(
        "social-graph-follow",
        json!({"user_id": alice, "followee_id": NOBODY}),
        404,
        "UserIDNotExistError",
    )
    .await;
    net.fails(
        "social-graph-follow",
        json!({"user_id": NOBODY, "followee_id": alice}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

// social-graph-unfollow

async fn unfollow_removes_the_edge_on_both_ends_once(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&alice, &bob).await;
    let edge = json!({"user_id": alice, "followee_id": bob});
    let reply = net.ok("social-graph-unfollow", edge.clone()).await;
    assert_eq!(
        (
            &reply["user_id"],
            &reply["followee_id"],
            &reply["unfollowed"]
        ),
        (&json!(alice), &json!(bob), &json!(true))
    );
    assert_eq!(graph(&net, "followees", &alice).await, json!([]));
    assert_eq!(graph(&net, "followers", &bob).await, json!([]));
    let again = net.ok("social-graph-unfollow", edge).await;
    assert_eq!(again["unfollowed"], false);
}

async fn unfollow_refuses_oneself_and_malformed_or_missing_ids(net: Net) {
    let alice = net.register("alice").await;
    for (body, bad) in [
        (
            json!({"user_id": alice, "followee_id": alice}),
            "followee_id",
        ),
        (
            json!({"user_id": "alice", "followee_id": NOBODY}),
            "user_id",
        ),
    ] {
        refused(
            &net,
            "social-graph-unfollow",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
    refused(
        &net,
        "social-graph-unfollow",
        json!({"followee_id": alice}),
        "MissingFieldError",
        "user_id",
    )
    .await;
}

async fn unfollow_reports_users_not_in_the_graph(net: Net) {
    let alice = net.register("alice").await;
    net.fails(
        "social-graph-unfollow",
        json!({"user_id": alice, "followee_id": NOBODY}),
        404,
        "UserIDNotExistError",
    )
    .await;
    net.fails(
        "social-graph-unfollow",
        json!({"user_id": NOBODY, "followee_id": alice}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

// social-graph-follow-with-username

async fn follow_with_username_follows_by_id(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let reply = net
        .ok(
            "social-graph-follow-with-username",
            json!({"username": "alice", "followee_name": "bob"}),
        )
        .await;
    assert_eq!(
        (&reply["user_id"], &reply["followee_id"], &reply["followed"]),
        (&json!(alice), &json!(bob), &json!(true))
    );
    assert_eq!(
        user_ids(&graph(&net, "followees", &alice).await),
        [bob.as_str()]
    );
}

async fn follow_with_username_reports_an_unknown_username_from_get_user_id(net: Net) {
    net.register("alice").await;
    let reply = net
        .fails(
            "social-graph-follow-with-username",
            json!({"username": "alice", "followee_name": "ghost"}),
            404,
            "FollowError",
        )
        .await;
    assert_callee(&reply, "get-user-id", "UsernameNotFoundError");
    assert_eq!(reply["errors"][0]["http_status"], 404);
    assert_eq!(reply["errors"].as_array().unwrap().len(), 1, "{reply}");
    // Both names unknown: both lookups are reported.
    let reply = net
        .fails(
            "social-graph-follow-with-username",
            json!({"username": "ghost", "followee_name": "phantom"}),
            404,
            "FollowError",
        )
        .await;
    let errors = reply["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{reply}");
    assert!(
        errors.iter().all(|e| e["callee"] == "get-user-id"),
        "{reply}"
    );
}

async fn follow_with_username_passes_on_a_refused_self_follow(net: Net) {
    net.register("alice").await;
    let reply = net
        .fails(
            "social-graph-follow-with-username",
            json!({"username": "alice", "followee_name": "alice"}),
            400,
            "FollowError",
        )
        .await;
    assert_callee(&reply, "social-graph-follow", "InvalidFieldError");
}

async fn follow_with_username_refuses_a_missing_followee_name(net: Net) {
    refused(
        &net,
        "social-graph-follow-with-username",
        json!({"username": "alice"}),
        "MissingFieldError",
        "followee_name",
    )
    .await;
}

// social-graph-unfollow-with-username

async fn unfollow_with_username_unfollows_by_id(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&alice, &bob).await;
    let names = json!({"username": "alice", "followee_name": "bob"});
    let reply = net
        .ok("social-graph-unfollow-with-username", names.clone())
        .await;
    assert_eq!(
        (
            &reply["user_id"],
            &reply["followee_id"],
            &reply["unfollowed"]
        ),
        (&json!(alice), &json!(bob), &json!(true))
    );
    assert_eq!(graph(&net, "followees", &alice).await, json!([]));
    let again = net.ok("social-graph-unfollow-with-username", names).await;
    assert_eq!(again["unfollowed"], false);
}

async fn unfollow_with_username_reports_an_unknown_username_from_get_user_id(net: Net) {
    net.register("bob").await;
    let reply = net
        .fails(
            "social-graph-unfollow-with-username",
            json!({"username": "ghost", "followee_name": "bob"}),
            404,
            "UnfollowError",
        )
        .await;
    assert_callee(&reply, "get-user-id", "UsernameNotFoundError");
}

async fn unfollow_with_username_refuses_a_missing_username(net: Net) {
    refused(
        &net,
        "social-graph-unfollow-with-username",
        json!({"followee_name": "bob"}),
        "MissingFieldError",
        "username",
    )
    .await;
}

// social-graph-get-followers and social-graph-get-followees

/// Asserts that `edges` holds exactly `expected` (in any order), oldest follow first.
fn assert_edges(edges: &Value, expected: &[&str]) {
    let mut ids = user_ids(edges);
    ids.sort_unstable();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected, "{edges}");
    let times: Vec<u64> = edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["timestamp"].as_u64().expect("a timestamp in ms"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{edges}");
    // Unix milliseconds: after 2020.
    assert!(times.iter().all(|&t| t > 1_577_836_800_000), "{edges}");
}

async fn get_followers_lists_each_follower_with_its_follow_time(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    net.follow(&bob, &alice).await;
    net.follow(&carol, &alice).await;
    let reply = net
        .ok("social-graph-get-followers", json!({"user_id": alice}))
        .await;
    assert_edges(&reply["followers"], &[bob.as_str(), carol.as_str()]);
}

async fn get_followers_refuses_malformed_and_unknown_ids(net: Net) {
    refused(
        &net,
        "social-graph-get-followers",
        json!({"user_id": "bob"}),
        "InvalidFieldError",
        "user_id",
    )
    .await;
    net.fails(
        "social-graph-get-followers",
        json!({"user_id": NOBODY}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

async fn get_followees_lists_each_followee_with_its_follow_time(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    net.follow(&alice, &bob).await;
    net.follow(&alice, &carol).await;
    let reply = net
        .ok("social-graph-get-followees", json!({"user_id": alice}))
        .await;
    assert_edges(&reply["followees"], &[bob.as_str(), carol.as_str()]);
}

async fn get_followees_refuses_malformed_and_unknown_ids(net: Net) {
    refused(
        &net,
        "social-graph-get-followees",
        json!({"user_id": 12}),
        "InvalidFieldError",
        "user_id",
    )
    .await;
    net.fails(
        "social-graph-get-followees",
        json!({"user_id": NOBODY}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

// media-front-upload-media and media-front-get-media

/// Bytes that are not text: a PNG signature with a NUL and a 0xFF.
const IMAGE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff];

async fn upload_media_file_round_trips_the_bytes_through_a_data_url(net: Net) {
    let data_url = format!("data:image/png;base64,{}", STANDARD.encode(IMAGE));
    let uploaded = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "cat.PNG", "file": data_url}),
        )
        .await;
    let media_id = uploaded["media_id"].as_str().unwrap();
    assert!(is_hex_id(media_id), "{uploaded}");
    assert_eq!(uploaded["media_type"], "png");

    let got = net
        .ok("media-front-get-media", json!({"media_id": media_id}))
        .await;
    assert_eq!(
        (&got["media_id"], &got["media_type"], &got["content_type"]),
        (&json!(media_id), &json!("png"), &json!("image/png"))
    );
    assert_eq!(got["file"], data_url);
    let payload = got["file"].as_str().unwrap();
    let payload = payload.strip_prefix("data:image/png;base64,").unwrap();
    assert_eq!(STANDARD.decode(payload).unwrap(), IMAGE);

    // The original's way of asking: `<media_id>.<media_type>`.
    let by_name = net
        .ok(
            "media-front-get-media",
            json!({"filename": format!("{media_id}.png")}),
        )
        .await;
    assert_eq!(by_name["file"], data_url);
}

async fn upload_media_file_takes_a_bare_base64_payload(net: Net) {
    let uploaded = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "holiday.photo.jpeg", "file": STANDARD.encode(IMAGE)}),
        )
        .await;
    assert_eq!(uploaded["media_type"], "jpeg");
    let got = net
        .ok(
            "media-front-get-media",
            json!({"media_id": uploaded["media_id"]}),
        )
        .await;
    assert_eq!(got["content_type"], "image/jpeg");
    assert_eq!(
        got["file"],
        format!("data:image/jpeg;base64,{}", STANDARD.encode(IMAGE))
    );
}

async fn upload_media_file_refuses_a_payload_that_is_not_base64(net: Net) {
    for file in [
        "data:image/png;base64,@@not base64@@",
        "%%%%",
        "data:image/png,AAAA",
    ] {
        refused(
            &net,
            "media-front-upload-media",
            json!({"filename": "cat.png", "file": file}),
            "InvalidFieldError",
            "file",
        )
        .await;
    }
}

async fn upload_media_file_refuses_a_filename_without_extension(net: Net) {
    for filename in ["cat", "cat.", "cat.p g"] {
        refused(
            &net,
            "media-front-upload-media",
            json!({"filename": filename, "file": STANDARD.encode(IMAGE)}),
            "InvalidFieldError",
            "filename",
        )
        .await;
    }
}

async fn upload_media_file_refuses_a_missing_file(net: Net) {
    refused(
        &net,
        "media-front-upload-media",
        json!({"filename": "cat.png"}),
        "MissingFieldError",
        "file",
    )
    .await;
}

async fn get_media_reports_unknown_media(net: Net) {
    net.fails(
        "media-front-get-media",
        json!({"media_id": NOBODY}),
        404,
        "MediaNotFoundError",
    )
    .await;
    net.fails(
        "media-front-get-media",
        json!({"filename": format!("{NOBODY}.png")}),
        404,
        "MediaNotFoundError",
    )
    .await;
}

async fn get_media_needs_a_media_id_or_a_filename(net: Net) {
    refused(
        &net,
        "media-front-get-media",
        json!({}),
        "MissingFieldError",
        "media_id",
    )
    .await;
}

// media-service-upload-media

async fn upload_media_pairs_ids_with_types(net: Net) {
    let reply = net
        .ok(
            "media-service-upload-media",
            json!({"media_ids": ["m1", "m2"], "media_types": ["png", "jpg"]}),
        )
        .await;
    assert_eq!(
        reply["media"],
        json!([
            {"media_id": "m1", "media_type": "png"},
            {"media_id": "m2", "media_type": "jpg"},
        ])
    );
    let none = net.ok("media-service-upload-media", json!({})).await;
    assert_eq!(none["media"], json!([]));
}

async fn upload_media_refuses_lists_of_different_lengths(net: Net) {
    refused(
        &net,
        "media-service-upload-media",
        json!({"media_ids": ["m1", "m2"], "media_types": ["png"]}),
        "InvalidFieldError",
        "media_types",
    )
    .await;
}

async fn upload_media_refuses_an_invalid_type_or_an_empty_id(net: Net) {
    let cases = [
        (
            json!({"media_ids": ["m1", "m2"], "media_types": ["png", "PNG"]}),
            "media_types[1]",
        ),
        (
            json!({"media_ids": ["m1"], "media_types": [""]}),
            "media_types[0]",
        ),
        (
            json!({"media_ids": [""], "media_types": ["png"]}),
            "media_ids[0]",
        ),
    ];
    for (body, bad) in cases {
        refused(
            &net,
            "media-service-upload-media",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
}

// compose-post-frontend

async fn compose_post_frontend_composes_and_delivers_a_post(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    net.follow(&bob, &alice).await;
    let reply = net
        .ok(
            "compose-post-frontend",
            json!({
                "user_id": alice,
                "username": "alice",
                "post_type": 0,
                "text": "hi @carol, see https://example.com/a?b=1.",
                "media_ids": ["m1"],
                "media_types": ["png"],
            }),
        )
        .await;
    let post = &reply["post"];
    assert_eq!(reply["post_id"], post["post_id"]);
    assert_eq!(reply["req_id"], post["req_id"]);
    assert!(
        post["post_id"].as_str().unwrap().parse::<u64>().is_ok(),
        "{post}"
    );
    assert!(
        reply["req_id"].as_str().unwrap().parse::<u64>().is_ok(),
        "{reply}"
    );
    assert_eq!(
        post["creator"],
        json!({"user_id": alice, "username": "alice"})
    );
    let short = post["urls"][0]["shortened_url"].as_str().unwrap();
    assert!(short.starts_with("http://short-u.rl/"), "{short}");
    assert_eq!(
        post["urls"],
        json!([{"expanded_url": "https://example.com/a?b=1", "shortened_url": short}])
    );
    assert_eq!(post["text"], format!("hi @carol, see {short}."));
    assert_eq!(
        post["user_mentions"],
        json!([{"user_id": carol, "username": "carol"}])
    );
    assert_eq!(
        post["media"],
        json!([{"media_id": "m1", "media_type": "png"}])
    );
    assert_eq!(post["post_type"], 0);

    // Stored, and on the timelines of its author, her follower and the user it mentions.
    let stored = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": [post["post_id"]]}),
        )
        .await;
    assert_eq!(&stored["posts"][0], post);
    assert_eq!(
        net.timeline("user", &alice, 0, 10).await,
        std::slice::from_ref(post)
    );
    assert_eq!(
        net.timeline("home", &bob, 0, 10).await,
        std::slice::from_ref(post)
    );
    assert_eq!(
        net.timeline("home", &carol, 0, 10).await,
        std::slice::from_ref(post)
    );
    assert!(net.timeline("home", &alice, 0, 10).await.is_empty());
}

async fn compose_post_frontend_accepts_one_media_item_in_the_2020_form(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "compose-post-frontend",
            json!({
                "user_id": alice,
                "username": "alice",
                "post_type": 0,
                "text": "look",
                "media_id": "m9",
                "media_type": "gif",
            }),
        )
        .await;
    assert_eq!(
        reply["post"]["media"],
        json!([{"media_id": "m9", "media_type": "gif"}])
    );
}

async fn compose_post_frontend_reports_an_unknown_author_from_the_creator_check(net: Net) {
    let reply = net
        .fails(
            "compose-post-frontend",
            json!({"user_id": NOBODY, "username": "nobody", "post_type": 0, "text": "hi"}),
            404,
            "ComposePostFrontError",
        )
        .await;
    assert_callee(
        &reply,
        "user-service-upload-creator-with-user-id",
        "UserIDNotExistError",
    );
}

async fn compose_post_frontend_passes_on_parts_its_callees_refuse(net: Net) {
    let alice = net.register("alice").await;
    net.register("bob").await;
    let good = json!({"user_id": alice, "username": "alice", "post_type": 0, "text": "hi"});
    let cases = [
        ("post_type", json!(4), "unique-id-service-upload-unique-id"),
        (
            "text",
            json!("x".repeat(16 * 1024 + 1)),
            "text-service-upload-text",
        ),
        (
            "username",
            json!("bob"),
            "user-service-upload-creator-with-user-id",
        ),
        ("media_ids", json!(["m1"]), "media-service-upload-media"),
    ];
    for (name, value, callee) in cases {
        let mut body = good.clone();
        body[name] = value;
        let reply = net
            .fails("compose-post-frontend", body, 400, "ComposePostFrontError")
            .await;
        assert_callee(&reply, callee, "InvalidFieldError");
    }
    // Nothing was posted.
    assert!(net.timeline("user", &alice, 0, 10).await.is_empty());
}

async fn compose_post_frontend_refuses_a_missing_or_mistyped_field(net: Net) {
    let alice = net.register("alice").await;
    refused(
        &net,
        "compose-post-frontend",
        json!({"user_id": alice, "username": "alice", "post_type": 0}),
        "MissingFieldError",
        "text",
    )
    .await;
    refused(
        &net,
        "compose-post-frontend",
        json!({"user_id": alice, "username": "alice", "post_type": 300, "text": "hi"}),
        "InvalidFieldError",
        "post_type",
    )
    .await;
}

// unique-id-service-upload-unique-id

async fn upload_unique_id_gives_fresh_increasing_post_ids(net: Net) {
    let mut ids = Vec::new();
    for post_type in 0..=3 {
        let reply = net
            .ok(
                "unique-id-service-upload-unique-id",
                json!({"post_type": post_type}),
            )
            .await;
        let id: u64 = reply["post_id"].as_str().unwrap().parse().expect("decimal");
        assert!(id < 1 << 63, "{id}");
        ids.push(id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

async fn upload_unique_id_refuses_an_unknown_or_missing_post_type(net: Net) {
    for post_type in [json!(4), json!(-1), json!("0")] {
        refused(
            &net,
            "unique-id-service-upload-unique-id",
            json!({"post_type": post_type}),
            "InvalidFieldError",
            "post_type",
        )
        .await;
    }
    refused(
        &net,
        "unique-id-service-upload-unique-id",
        json!({}),
        "MissingFieldError",
        "post_type",
    )
    .await;
}

// text-service-upload-text

async fn upload_text_shortens_urls_and_resolves_known_mentions(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "text-service-upload-text",
            json!({"text": "hi @alice and @ghost, see https://example.com/a?b=1."}),
        )
        .await;
    let urls = reply["urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "{reply}");
    assert_eq!(urls[0]["expanded_url"], "https://example.com/a?b=1");
    let short = urls[0]["shortened_url"].as_str().unwrap();
    assert_eq!(reply["text"], format!("hi @alice and @ghost, see {short}."));
    assert_eq!(
        reply["user_mentions"],
        json!([{"user_id": alice, "username": "alice"}])
    );
    // The short form is stored.
    let expanded = net
        .ok(
            "url-shorten-service-get-extended-urls",
            json!({"shortened_urls": [short]}),
        )
        .await;
    assert_eq!(
        expanded["urls"][0]["expanded_url"],
        "https://example.com/a?b=1"
    );
}

/// The text of the issue that found the parser slicing inside characters: Latin, emoji, CJK,
/// an IRI. Only the ASCII URL is shortened; the IRI has nothing ASCII after its scheme, so
/// it stays text as written (handlers/src/functions/text/parse.rs).
const WORLD_TEXT: &str = "café @bob https://example.com/a?q=1 🙂 日本語 http://例え.jp/パス";

async fn upload_text_handles_text_in_any_script(net: Net) {
    let bob = net.register("bob").await;
    let reply = net
        .ok("text-service-upload-text", json!({"text": WORLD_TEXT}))
        .await;
    let urls = reply["urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "{reply}");
    assert_eq!(urls[0]["expanded_url"], "https://example.com/a?q=1");
    let short = urls[0]["shortened_url"].as_str().unwrap();
    assert_eq!(
        reply["text"],
        WORLD_TEXT.replace("https://example.com/a?q=1", short)
    );
    assert_eq!(
        reply["user_mentions"],
        json!([{"user_id": bob, "username": "bob"}])
    );
    // Right-to-left text, marks and combining characters pass through untouched.
    let rtl = "\u{200F}שלום @bob مرحبا\u{202E} e\u{0301}";
    let reply = net
        .ok("text-service-upload-text", json!({"text": rtl}))
        .await;
    assert_eq!(reply["text"], rtl);
    assert_eq!(user_ids(&reply["user_mentions"]), [bob.as_str()]);
}

async fn compose_post_frontend_takes_text_in_any_script(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let post = net.compose(&alice, "alice", WORLD_TEXT).await;
    assert_eq!(post["urls"][0]["expanded_url"], "https://example.com/a?q=1");
    assert_eq!(user_ids(&post["user_mentions"]), [bob.as_str()]);
    let home = net.timeline("home", &bob, 0, 10).await;
    assert_eq!(
        home[0]["text"], post["text"],
        "mentioned, so on bob's home timeline"
    );
    assert!(
        home[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("café @bob http://short-u.rl/")
    );
}

async fn upload_text_leaves_plain_text_alone(net: Net) {
    let text = "no links, no mentions: mail me at a@b.com";
    let reply = net
        .ok("text-service-upload-text", json!({"text": text}))
        .await;
    assert_eq!(
        (&reply["text"], &reply["urls"], &reply["user_mentions"]),
        (&json!(text), &json!([]), &json!([]))
    );
}

async fn upload_text_refuses_an_oversized_or_missing_text(net: Net) {
    refused(
        &net,
        "text-service-upload-text",
        json!({"text": "x".repeat(16 * 1024 + 1)}),
        "InvalidFieldError",
        "text",
    )
    .await;
    refused(
        &net,
        "text-service-upload-text",
        json!({}),
        "MissingFieldError",
        "text",
    )
    .await;
}

// url-shorten-service-upload-urls

async fn upload_urls_gives_each_url_a_distinct_short_form_in_order(net: Net) {
    let long = [
        "https://example.com/a",
        "http://example.org/b?c=d",
        "https://example.com/a",
    ];
    let reply = net
        .ok("url-shorten-service-upload-urls", json!({"urls": long}))
        .await;
    let urls = reply["urls"].as_array().unwrap();
    let expanded: Vec<&str> = urls
        .iter()
        .map(|u| u["expanded_url"].as_str().unwrap())
        .collect();
    assert_eq!(expanded, long);
    let short: Vec<&str> = urls
        .iter()
        .map(|u| u["shortened_url"].as_str().unwrap())
        .collect();
    for s in &short {
        let code = s
            .strip_prefix("http://short-u.rl/")
            .expect("the short prefix");
        assert!(
            code.len() == 10 && code.bytes().all(|b| b.is_ascii_lowercase()),
            "{s}"
        );
    }
    assert!(short[0] != short[1] && short[1] != short[2] && short[0] != short[2]);
    let none = net
        .ok("url-shorten-service-upload-urls", json!({"urls": []}))
        .await;
    assert_eq!(none["urls"], json!([]));
}

async fn upload_urls_refuses_a_url_that_is_not_http(net: Net) {
    for (urls, bad) in [
        (json!(["http://ok.com", "ftp://example.com"]), "urls[1]"),
        (json!(["example.com"]), "urls[0]"),
        (json!([""]), "urls[0]"),
    ] {
        refused(
            &net,
            "url-shorten-service-upload-urls",
            json!({"urls": urls}),
            "InvalidFieldError",
            bad,
        )
        .await;
    }
    refused(
        &net,
        "url-shorten-service-upload-urls",
        json!({}),
        "MissingFieldError",
        "urls",
    )
    .await;
}

// url-shorten-service-get-extended-urls

async fn get_extended_urls_expands_short_urls_in_request_order(net: Net) {
    let reply = net
        .ok(
            "url-shorten-service-upload-urls",
            json!({"urls": ["https://a.example", "https://b.example"]}),
        )
        .await;
    let (a, b) = (&reply["urls"][0], &reply["urls"][1]);
    let expanded = net
        .ok(
            "url-shorten-service-get-extended-urls",
            json!({"shortened_urls": [b["shortened_url"], a["shortened_url"]]}),
        )
        .await;
    assert_eq!(expanded["urls"], json!([b, a]));
}

async fn get_extended_urls_reports_an_unknown_short_url(net: Net) {
    let reply = net
        .ok(
            "url-shorten-service-upload-urls",
            json!({"urls": ["https://a.example"]}),
        )
        .await;
    let known = &reply["urls"][0]["shortened_url"];
    net.fails(
        "url-shorten-service-get-extended-urls",
        json!({"shortened_urls": [known, "http://short-u.rl/zzzzzzzzzz"]}),
        404,
        "UrlNotFoundError",
    )
    .await;
    refused(
        &net,
        "url-shorten-service-get-extended-urls",
        json!({}),
        "MissingFieldError",
        "shortened_urls",
    )
    .await;
}

// user-mention-service-upload-user-mentions

async fn upload_user_mentions_resolves_known_usernames_once_each(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let reply = net
        .ok(
            "user-mention-service-upload-user-mentions",
            json!({"usernames": ["bob", "ghost", "alice", "bob"]}),
        )
        .await;
    assert_eq!(
        reply["user_mentions"],
        json!([
            {"user_id": bob, "username": "bob"},
            {"user_id": alice, "username": "alice"},
        ])
    );
}

async fn upload_user_mentions_refuses_too_many_or_missing_usernames(net: Net) {
    let names: Vec<String> = (0..1001).map(|i| format!("user_{i}")).collect();
    refused(
        &net,
        "user-mention-service-upload-user-mentions",
        json!({"usernames": names}),
        "InvalidFieldError",
        "usernames",
    )
    .await;
    refused(
        &net,
        "user-mention-service-upload-user-mentions",
        json!({}),
        "MissingFieldError",
        "usernames",
    )
    .await;
}

// compose-post-service-compose-and-upload

fn composed(post_id: &str, author: &str, username: &str) -> Value {
    json!({
        "req_id": "7",
        "post_id": post_id,
        "post_type": 2,
        "creator": {"user_id": author, "username": username},
        "text": "hello",
    })
}

async fn compose_and_upload_stores_the_post_and_writes_the_timelines(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    net.follow(&bob, &alice).await;
    let mut body = composed("42", &alice, "alice");
    body["user_mentions"] = json!([{"user_id": carol, "username": "carol"}]);
    let reply = net
        .ok("compose-post-service-compose-and-upload", body)
        .await;
    let post = &reply["post"];
    assert_eq!(
        (
            &post["post_id"],
            &post["req_id"],
            &post["text"],
            &post["post_type"]
        ),
        (&json!("42"), &json!("7"), &json!("hello"), &json!(2))
    );
    assert_eq!((&post["urls"], &post["media"]), (&json!([]), &json!([])));
    assert!(
        post["timestamp"].as_u64().unwrap() > 1_577_836_800_000,
        "{post}"
    );

    let stored = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["42"]}),
        )
        .await;
    assert_eq!(&stored["posts"][0], post);
    assert_eq!(
        net.timeline("user", &alice, 0, 10).await,
        std::slice::from_ref(post)
    );
    assert_eq!(
        net.timeline("home", &bob, 0, 10).await,
        std::slice::from_ref(post)
    );
    assert_eq!(
        net.timeline("home", &carol, 0, 10).await,
        std::slice::from_ref(post)
    );
}

async fn compose_and_upload_refuses_a_taken_post_id(net: Net) {
    let alice = net.register("alice").await;
    net.ok(
        "compose-post-service-compose-and-upload",
        composed("42", &alice, "alice"),
    )
    .await;
    let reply = net
        .fails(
            "compose-post-service-compose-and-upload",
            composed("42", &alice, "alice"),
            409,
            "ComposePostServiceComposeAndUploadError",
        )
        .await;
    assert_callee(
        &reply,
        "post-storage-service-store-post",
        "PostAlreadyExistError",
    );
    assert_eq!(net.timeline("user", &alice, 0, 10).await.len(), 1);
}

async fn compose_and_upload_refuses_invalid_or_missing_fields(net: Net) {
    let alice = net.register("alice").await;
    let cases = [
        ("post_id", json!(""), "post_id"),
        ("post_type", json!(4), "post_type"),
        (
            "creator",
            json!({"user_id": "alice", "username": "alice"}),
            "creator.user_id",
        ),
    ];
    for (name, value, bad) in cases {
        let mut body = composed("42", &alice, "alice");
        body[name] = value;
        refused(
            &net,
            "compose-post-service-compose-and-upload",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
    let mut body = composed("42", &alice, "alice");
    body["creator"].as_object_mut().unwrap().remove("username");
    refused(
        &net,
        "compose-post-service-compose-and-upload",
        body,
        "MissingFieldError",
        "creator.username",
    )
    .await;
}

async fn compose_and_upload_reports_an_author_not_in_the_graph(net: Net) {
    let reply = net
        .fails(
            "compose-post-service-compose-and-upload",
            composed("42", NOBODY, "nobody"),
            404,
            "ComposePostServiceComposeAndUploadError",
        )
        .await;
    assert_callee(
        &reply,
        "home-timeline-service-write-home-timeline",
        "HomeTimelineServiceWriteHomeTimelineError",
    );
}

// post-storage-service-store-post

async fn store_post_stores_a_post_readable_by_id(net: Net) {
    let alice = net.register("alice").await;
    let reply = net
        .ok(
            "post-storage-service-store-post",
            json!({"post": post("7", &alice, 1000)}),
        )
        .await;
    assert_eq!(reply["post"], post("7", &alice, 1000));
    let read = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["7"]}),
        )
        .await;
    assert_eq!(read["posts"], json!([post("7", &alice, 1000)]));
}

async fn store_post_refuses_a_taken_post_id(net: Net) {
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post("7", NOBODY, 1000)}),
    )
    .await;
    let mut other = post("7", NOBODY, 2000);
    other["text"] = json!("a different post");
    net.fails(
        "post-storage-service-store-post",
        json!({"post": other}),
        409,
        "PostAlreadyExistError",
    )
    .await;
    let read = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["7"]}),
        )
        .await;
    assert_eq!(read["posts"][0]["text"], "post 7");
}

async fn store_post_refuses_invalid_or_missing_fields(net: Net) {
    let mut empty_id = post("7", NOBODY, 1000);
    empty_id["post_id"] = json!("");
    refused(
        &net,
        "post-storage-service-store-post",
        json!({"post": empty_id}),
        "InvalidFieldError",
        "post.post_id",
    )
    .await;
    refused(
        &net,
        "post-storage-service-store-post",
        json!({"post": post("7", "alice", 1000)}),
        "InvalidFieldError",
        "post.creator.user_id",
    )
    .await;
    let mut no_text = post("7", NOBODY, 1000);
    no_text.as_object_mut().unwrap().remove("text");
    refused(
        &net,
        "post-storage-service-store-post",
        json!({"post": no_text}),
        "MissingFieldError",
        "post.text",
    )
    .await;
}

// post-storage-service-read-posts

async fn read_posts_returns_posts_in_request_order(net: Net) {
    for id in ["1", "2", "3"] {
        net.ok(
            "post-storage-service-store-post",
            json!({"post": post(id, NOBODY, 1000)}),
        )
        .await;
    }
    let reply = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["3", "1", "2"]}),
        )
        .await;
    let posts = reply["posts"].as_array().unwrap();
    assert_eq!(texts(posts), ["post 3", "post 1", "post 2"]);
    // A second read is served by the cache, with the same answer.
    let again = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["2", "3"]}),
        )
        .await;
    assert_eq!(
        texts(again["posts"].as_array().unwrap()),
        ["post 2", "post 3"]
    );
    let none = net
        .ok("post-storage-service-read-posts", json!({"post_ids": []}))
        .await;
    assert_eq!(none["posts"], json!([]));
}

async fn read_posts_reports_an_unknown_post_id(net: Net) {
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post("1", NOBODY, 1000)}),
    )
    .await;
    net.fails(
        "post-storage-service-read-posts",
        json!({"post_ids": ["1", "999"]}),
        404,
        "PostNotFoundError",
    )
    .await;
}

async fn read_posts_skips_unknown_ids_when_asked_to(net: Net) {
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post("1", NOBODY, 1000)}),
    )
    .await;
    let reply = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": ["999", "1", "998"], "skip_unknown": true}),
        )
        .await;
    assert_eq!(texts(reply["posts"].as_array().unwrap()), ["post 1"]);
    assert_eq!(reply["skipped"], json!(["999", "998"]));
}

async fn read_posts_refuses_a_repeated_or_missing_id_list(net: Net) {
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post("1", NOBODY, 1000)}),
    )
    .await;
    refused(
        &net,
        "post-storage-service-read-posts",
        json!({"post_ids": ["1", "1"]}),
        "InvalidFieldError",
        "post_ids",
    )
    .await;
    refused(
        &net,
        "post-storage-service-read-posts",
        json!({}),
        "MissingFieldError",
        "post_ids",
    )
    .await;
}

// user-timeline-service-write-user-timeline

async fn write_user_timeline_adds_a_post_to_its_authors_timeline(net: Net) {
    let alice = net.register("alice").await;
    for (id, timestamp) in [("1", 1), ("2", 2)] {
        net.ok(
            "post-storage-service-store-post",
            json!({"post": post(id, &alice, timestamp)}),
        )
        .await;
    }
    let reply = net
        .ok(
            "user-timeline-service-write-user-timeline",
            json!({"user_id": alice, "post_id": "1", "timestamp": 1}),
        )
        .await;
    assert_eq!(
        (&reply["user_id"], &reply["post_id"]),
        (&json!(alice), &json!("1"))
    );
    // The 2020 port's name for the author.
    net.ok(
        "user-timeline-service-write-user-timeline",
        json!({"creator_id": alice, "post_id": "2", "timestamp": 2}),
    )
    .await;
    let page = net
        .ok(
            "user-timeline-service-read-user-timeline",
            page(&alice, 0, 10),
        )
        .await;
    assert_eq!(page["post_ids"], json!(["2", "1"]));
}

async fn write_user_timeline_refuses_invalid_or_missing_fields(net: Net) {
    for (body, bad) in [
        (
            json!({"user_id": "alice", "post_id": "1", "timestamp": 1}),
            "user_id",
        ),
        (
            json!({"user_id": NOBODY, "post_id": "", "timestamp": 1}),
            "post_id",
        ),
        (
            json!({"user_id": NOBODY, "post_id": "1", "timestamp": -1}),
            "timestamp",
        ),
    ] {
        refused(
            &net,
            "user-timeline-service-write-user-timeline",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
    refused(
        &net,
        "user-timeline-service-write-user-timeline",
        json!({"user_id": NOBODY, "post_id": "1"}),
        "MissingFieldError",
        "timestamp",
    )
    .await;
}

// user-timeline-service-read-user-timeline

async fn read_user_timeline_puts_the_newer_of_two_same_millisecond_posts_first(net: Net) {
    let alice = net.register("alice").await;
    // Post ids grow with creation time: the second id is the newer post.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let reply = net
            .ok(
                "unique-id-service-upload-unique-id",
                json!({"post_type": 0}),
            )
            .await;
        ids.push(reply["post_id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        publish(&net, &alice, id, 5).await;
    }
    let reply = net
        .ok(
            "user-timeline-service-read-user-timeline",
            page(&alice, 0, 10),
        )
        .await;
    assert_eq!(reply["post_ids"], json!([ids[1], ids[0]]));
}

// home-timeline-service-write-home-timeline

async fn write_home_timeline_delivers_to_followers_and_mentioned_users(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    let dave = net.register("dave").await;
    net.follow(&bob, &alice).await;
    net.follow(&carol, &alice).await;
    net.ok(
        "post-storage-service-store-post",
        json!({"post": post("1", &alice, 1)}),
    )
    .await;
    let reply = net
        .ok(
            "home-timeline-service-write-home-timeline",
            json!({"user_id": alice, "post_id": "1", "timestamp": 1, "user_mentions_id": [dave, bob]}),
        )
        .await;
    assert_eq!(
        (&reply["post_id"], &reply["home_timelines"]),
        (&json!("1"), &json!(3))
    );
    for reader in [&bob, &carol, &dave] {
        let home = net
            .ok(
                "home-timeline-service-read-home-timeline",
                page(reader, 0, 10),
            )
            .await;
        assert_eq!(home["post_ids"], json!(["1"]));
    }
    assert!(net.timeline("home", &alice, 0, 10).await.is_empty());
}

async fn write_home_timeline_refuses_invalid_or_missing_fields(net: Net) {
    let alice = net.register("alice").await;
    for (body, bad) in [
        (
            json!({"user_id": "alice", "post_id": "1", "timestamp": 1}),
            "user_id",
        ),
        (
            json!({"user_id": alice, "post_id": "", "timestamp": 1}),
            "post_id",
        ),
        (
            json!({"user_id": alice, "post_id": "1", "timestamp": 1, "user_mentions_id": ["bob"]}),
            "user_mentions_id[0]",
        ),
    ] {
        refused(
            &net,
            "home-timeline-service-write-home-timeline",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
    refused(
        &net,
        "home-timeline-service-write-home-timeline",
        json!({"user_id": alice, "timestamp": 1}),
        "MissingFieldError",
        "post_id",
    )
    .await;
}

async fn write_home_timeline_refuses_mentioned_users_who_do_not_exist(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let reply = net
        .fails(
            "home-timeline-service-write-home-timeline",
            json!({"user_id": alice, "post_id": "1", "timestamp": 1, "user_mentions_id": [bob, NOBODY]}),
            404,
            "UserIDNotExistError",
        )
        .await;
    assert!(
        reply["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(NOBODY),
        "{reply}"
    );
    // Nothing was delivered, not even to the one who exists.
    assert!(net.timeline("home", &bob, 0, 10).await.is_empty());
}

async fn write_home_timeline_reports_an_author_not_in_the_graph(net: Net) {
    let reply = net
        .fails(
            "home-timeline-service-write-home-timeline",
            json!({"user_id": NOBODY, "post_id": "1", "timestamp": 1}),
            404,
            "HomeTimelineServiceWriteHomeTimelineError",
        )
        .await;
    assert_callee(&reply, "social-graph-get-followers", "UserIDNotExistError");
}

// Reading either timeline: user-timeline-service-read-user-timeline, user-timeline-read-frontend,
// home-timeline-service-read-home-timeline and home-timeline-read-frontend behave alike, so
// each behaviour is checked once for both timelines.

/// One of the two timelines, with the two functions that read it.
struct Timeline {
    /// The kind as [`Net::timeline`] takes it, `"user"` or `"home"`.
    kind: &'static str,
    /// The service read, which returns `post_ids` and `posts`.
    read: &'static str,
    /// The frontend read, which returns the `posts` only.
    frontend: &'static str,
    /// The envelope status of the frontend's refusals.
    frontend_error: &'static str,
    /// Whether a post lands on its author's timeline of this kind (user) or on her followers'
    /// (home).
    of_the_author: bool,
}

const TIMELINES: [Timeline; 2] = [
    Timeline {
        kind: "user",
        read: "user-timeline-service-read-user-timeline",
        frontend: "user-timeline-read-frontend",
        frontend_error: "UserTimelineReadFrontendError",
        of_the_author: true,
    },
    Timeline {
        kind: "home",
        read: "home-timeline-service-read-home-timeline",
        frontend: "home-timeline-read-frontend",
        frontend_error: "HomeTimelineReadFrontendError",
        of_the_author: false,
    },
];

impl Timeline {
    /// After [`alice_posts_three_times`]: whose timeline of this kind holds alice's posts (hers
    /// as their author, bob's as her follower), and whose stays empty.
    fn holder_and_other<'a>(&self, alice: &'a str, bob: &'a str) -> (&'a str, &'a str) {
        if self.of_the_author {
            (alice, bob)
        } else {
            (bob, alice)
        }
    }
}

/// Asserts that both reads of `timeline` refuse `body` with the HTTP `code`: the service with
/// envelope `status` (naming `field`, if given), and the frontend by passing that refusal on.
async fn both_reads_refuse(
    net: &Net,
    timeline: &Timeline,
    body: Value,
    code: u16,
    status: &str,
    field: Option<&str>,
) {
    let own = net.fails(timeline.read, body.clone(), code, status).await;
    let passed_on = net
        .fails(timeline.frontend, body, code, timeline.frontend_error)
        .await;
    assert_callee(&passed_on, timeline.read, status);
    if let Some(field) = field {
        assert_eq!(own["errors"][0]["field"], field, "{own}");
        assert_eq!(
            passed_on["errors"][0]["errors"][0]["field"], field,
            "{passed_on}"
        );
    }
}

async fn timeline_reads_page_newest_first(net: Net) {
    let (alice, bob) = alice_posts_three_times(&net).await;
    for timeline in &TIMELINES {
        let kind = timeline.kind;
        let (holder, other) = timeline.holder_and_other(&alice, &bob);
        let read = |user_id, start, stop| net.ok(timeline.read, page(user_id, start, stop));
        let first = read(holder, 0, 2).await;
        assert_eq!(first["post_ids"], json!(["103", "102"]), "{kind}");
        assert_eq!(
            texts(first["posts"].as_array().unwrap()),
            ["post 103", "post 102"],
            "{kind}"
        );
        assert_eq!(
            read(holder, 2, 10).await["post_ids"],
            json!(["101"]),
            "{kind}"
        );
        let past_the_end = read(holder, 5, 10).await;
        assert_eq!(
            (&past_the_end["post_ids"], &past_the_end["posts"]),
            (&json!([]), &json!([])),
            "{kind}"
        );
        // bob wrote nothing; the author's own posts are not on her home timeline.
        assert_eq!(read(other, 0, 10).await["post_ids"], json!([]), "{kind}");
    }
}

async fn timeline_read_frontends_return_the_posts_only(net: Net) {
    let (alice, bob) = alice_posts_three_times(&net).await;
    for timeline in &TIMELINES {
        let kind = timeline.kind;
        let (holder, _) = timeline.holder_and_other(&alice, &bob);
        for (start, stop, expected) in [
            (0, 2, ["post 103", "post 102"]),
            (1, 3, ["post 102", "post 101"]),
        ] {
            let reply = net.ok(timeline.frontend, page(holder, start, stop)).await;
            assert!(reply.get("post_ids").is_none(), "{reply}");
            assert_eq!(
                texts(reply["posts"].as_array().unwrap()),
                expected,
                "{kind}"
            );
        }
    }
}

/// An entry whose post does not exist (written by anyone who could call a timeline writer, or
/// left by a lost write) is left out of the page, which says how many it left out; the posts
/// around it still show.
async fn timeline_reads_skip_entries_whose_post_is_gone(net: Net) {
    let (alice, bob) = alice_posts_three_times(&net).await;
    let dangling = json!({"user_id": alice, "post_id": "999", "timestamp": 4});
    net.ok(
        "user-timeline-service-write-user-timeline",
        dangling.clone(),
    )
    .await;
    net.ok("home-timeline-service-write-home-timeline", dangling)
        .await;
    for timeline in &TIMELINES {
        let kind = timeline.kind;
        let (holder, _) = timeline.holder_and_other(&alice, &bob);
        let read = net.ok(timeline.read, page(holder, 0, 10)).await;
        assert_eq!(read["post_ids"], json!(["103", "102", "101"]), "{kind}");
        assert_eq!(read["skipped"], 1, "{kind}");
        let front = net.ok(timeline.frontend, page(holder, 0, 10)).await;
        assert_eq!(
            texts(front["posts"].as_array().unwrap()),
            ["post 103", "post 102", "post 101"],
            "{kind}"
        );
        assert_eq!(front["skipped"], 1, "{kind}");
        // A page of only the dangling entry (the newest) is empty, not a 404.
        let only = net.ok(timeline.read, page(holder, 0, 1)).await;
        assert_eq!(
            (&only["post_ids"], &only["posts"], &only["skipped"]),
            (&json!([]), &json!([]), &json!(1)),
            "{kind}"
        );
    }
}

async fn timeline_reads_are_empty_for_a_user_without_posts(net: Net) {
    let alice = net.register("alice").await;
    for timeline in &TIMELINES {
        let kind = timeline.kind;
        let reply = net.ok(timeline.read, page(&alice, 0, 1000)).await;
        assert_eq!(
            (&reply["post_ids"], &reply["posts"]),
            (&json!([]), &json!([])),
            "{kind}"
        );
        assert!(net.timeline(kind, &alice, 0, 10).await.is_empty(), "{kind}");
    }
}

async fn timeline_reads_refuse_bad_pages(net: Net) {
    let alice = net.register("alice").await;
    for timeline in &TIMELINES {
        for (start, stop, bad) in BAD_PAGES {
            both_reads_refuse(
                &net,
                timeline,
                page(&alice, start, stop),
                400,
                "InvalidFieldError",
                Some(bad),
            )
            .await;
        }
    }
}

async fn timeline_read_frontends_refuse_a_missing_field(net: Net) {
    let alice = net.register("alice").await;
    for timeline in &TIMELINES {
        for (body, missing) in [
            (json!({"user_id": alice, "start": 0}), "stop"),
            (json!({"start": 0, "stop": 10}), "user_id"),
        ] {
            refused(&net, timeline.frontend, body, "MissingFieldError", missing).await;
        }
    }
}

async fn timeline_reads_report_an_unknown_or_malformed_user(net: Net) {
    for timeline in &TIMELINES {
        both_reads_refuse(
            &net,
            timeline,
            page(NOBODY, 0, 10),
            404,
            "UserIDNotExistError",
            None,
        )
        .await;
        for malformed in ["alice".to_owned(), NOBODY.to_uppercase()] {
            both_reads_refuse(
                &net,
                timeline,
                page(&malformed, 0, 10),
                400,
                "InvalidFieldError",
                Some("user_id"),
            )
            .await;
        }
    }
}

deployments!(
    every_catalogue_function_is_covered_here_and_deployed,
    // register-user
    register_user_returns_the_public_user_with_a_fresh_id,
    register_user_refuses_a_missing_field,
    register_user_refuses_invalid_fields,
    register_user_refuses_a_taken_username,
    // register-user-with-id
    register_user_with_id_keeps_the_given_id,
    register_user_with_id_refuses_a_malformed_or_missing_id,
    register_user_with_id_refuses_a_taken_id_or_username,
    // get-user-id
    get_user_id_finds_each_registered_username,
    get_user_id_reports_an_unknown_username,
    get_user_id_refuses_a_missing_or_mistyped_username,
    // user-service-login
    login_returns_a_token_signed_for_the_user,
    login_refuses_a_wrong_password_and_an_unknown_username_alike,
    login_refuses_a_missing_password,
    // user-service-upload-creator-with-user-id
    upload_creator_with_user_id_returns_the_checked_creator,
    upload_creator_with_user_id_refuses_a_username_that_is_not_the_users,
    upload_creator_with_user_id_refuses_a_malformed_id_or_missing_username,
    upload_creator_with_user_id_reports_an_unknown_user,
    // user-service-upload-creator-with-username
    upload_creator_with_username_resolves_the_user,
    upload_creator_with_username_reports_an_unknown_username,
    upload_creator_with_username_refuses_a_missing_username,
    // social-graph-insert-user
    insert_user_creates_an_empty_graph_node,
    insert_user_refuses_an_existing_node,
    insert_user_refuses_a_malformed_or_missing_id,
    // social-graph-follow
    follow_adds_the_edge_on_both_ends,
    follow_twice_is_a_no_op_that_says_so,
    follow_refuses_following_oneself,
    follow_refuses_malformed_or_missing_ids,
    follow_reports_users_not_in_the_graph,
    // social-graph-unfollow
    unfollow_removes_the_edge_on_both_ends_once,
    unfollow_refuses_oneself_and_malformed_or_missing_ids,
    unfollow_reports_users_not_in_the_graph,
    // social-graph-follow-with-username
    follow_with_username_follows_by_id,
    follow_with_username_reports_an_unknown_username_from_get_user_id,
    follow_with_username_passes_on_a_refused_self_follow,
    follow_with_username_refuses_a_missing_followee_name,
    // social-graph-unfollow-with-username
    unfollow_with_username_unfollows_by_id,
    unfollow_with_username_reports_an_unknown_username_from_get_user_id,
    unfollow_with_username_refuses_a_missing_username,
    // social-graph-get-followers / -followees
    get_followers_lists_each_follower_with_its_follow_time,
    get_followers_refuses_malformed_and_unknown_ids,
    get_followees_lists_each_followee_with_its_follow_time,
    get_followees_refuses_malformed_and_unknown_ids,
    // media-front-upload-media / media-front-get-media
    upload_media_file_round_trips_the_bytes_through_a_data_url,
    upload_media_file_takes_a_bare_base64_payload,
    upload_media_file_refuses_a_payload_that_is_not_base64,
    upload_media_file_refuses_a_filename_without_extension,
    upload_media_file_refuses_a_missing_file,
    get_media_reports_unknown_media,
    get_media_needs_a_media_id_or_a_filename,
    // media-service-upload-media
    upload_media_pairs_ids_with_types,
    upload_media_refuses_lists_of_different_lengths,
    upload_media_refuses_an_invalid_type_or_an_empty_id,
    // compose-post-frontend
    compose_post_frontend_composes_and_delivers_a_post,
    compose_post_frontend_accepts_one_media_item_in_the_2020_form,
    compose_post_frontend_reports_an_unknown_author_from_the_creator_check,
    compose_post_frontend_passes_on_parts_its_callees_refuse,
    compose_post_frontend_refuses_a_missing_or_mistyped_field,
    compose_post_frontend_takes_text_in_any_script,
    // unique-id-service-upload-unique-id
    upload_unique_id_gives_fresh_increasing_post_ids,
    upload_unique_id_refuses_an_unknown_or_missing_post_type,
    // text-service-upload-text
    upload_text_shortens_urls_and_resolves_known_mentions,
    upload_text_handles_text_in_any_script,
    upload_text_leaves_plain_text_alone,
    upload_text_refuses_an_oversized_or_missing_text,
    // url-shorten-service-upload-urls / -get-extended-urls
    upload_urls_gives_each_url_a_distinct_short_form_in_order,
    upload_urls_refuses_a_url_that_is_not_http,
    get_extended_urls_expands_short_urls_in_request_order,
    get_extended_urls_reports_an_unknown_short_url,
    // user-mention-service-upload-user-mentions
    upload_user_mentions_resolves_known_usernames_once_each,
    upload_user_mentions_refuses_too_many_or_missing_usernames,
    // compose-post-service-compose-and-upload
    compose_and_upload_stores_the_post_and_writes_the_timelines,
    compose_and_upload_refuses_a_taken_post_id,
    compose_and_upload_refuses_invalid_or_missing_fields,
    compose_and_upload_reports_an_author_not_in_the_graph,
    // post-storage-service-store-post / -read-posts
    store_post_stores_a_post_readable_by_id,
    store_post_refuses_a_taken_post_id,
    store_post_refuses_invalid_or_missing_fields,
    read_posts_returns_posts_in_request_order,
    read_posts_reports_an_unknown_post_id,
    read_posts_skips_unknown_ids_when_asked_to,
    read_posts_refuses_a_repeated_or_missing_id_list,
    // user-timeline-service-write-user-timeline / -read-user-timeline
    write_user_timeline_adds_a_post_to_its_authors_timeline,
    write_user_timeline_refuses_invalid_or_missing_fields,
    read_user_timeline_puts_the_newer_of_two_same_millisecond_posts_first,
    // home-timeline-service-write-home-timeline
    write_home_timeline_delivers_to_followers_and_mentioned_users,
    write_home_timeline_refuses_invalid_or_missing_fields,
    write_home_timeline_refuses_mentioned_users_who_do_not_exist,
    write_home_timeline_reports_an_author_not_in_the_graph,
    // both timelines' reads: the services and the frontends
    timeline_reads_page_newest_first,
    timeline_read_frontends_return_the_posts_only,
    timeline_reads_skip_entries_whose_post_is_gone,
    timeline_reads_are_empty_for_a_user_without_posts,
    timeline_reads_refuse_bad_pages,
    timeline_read_frontends_refuse_a_missing_field,
    timeline_reads_report_an_unknown_or_malformed_user,
);
