//! What the tests of every service share: the refusal and nesting checks, readers of replies
//! (`keys`, `user_ids`, `graph`), request bodies (`registration`, `page`, `post`), and the
//! set-ups several services' tests start from (`publish`, `alice_posts_three_times`).

use deathstar_tests::Net;
use serde_json::{Value, json};

/// A well-formed user id that no test registers.
pub(crate) const NOBODY: &str = "0123456789abcdef0123456789abcdef";

/// Pages every timeline read refuses, with the field it names.
pub(crate) const BAD_PAGES: [(i64, i64, &str); 4] = [
    (-1, 10, "start"),
    (5, 5, "stop"),
    (5, 0, "stop"),
    (0, 1001, "stop"),
];

pub(crate) fn is_hex_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Asserts that `function` refuses `body` with a 400 `status` naming `field`.
pub(crate) async fn refused(net: &Net, function: &str, body: Value, status: &str, field: &str) {
    let reply = net.fails(function, body, 400, status).await;
    assert_eq!(reply["errors"][0]["field"], field, "{reply}");
}

/// Asserts that the first error of `body` is `callee` failing with its own envelope `status`.
pub(crate) fn assert_callee(body: &Value, callee: &str, status: &str) {
    let error = &body["errors"][0];
    assert_eq!(
        (error["callee"].as_str(), error["status"].as_str()),
        (Some(callee), Some(status)),
        "{body}"
    );
}

/// The keys of a JSON object, sorted.
pub(crate) fn keys(object: &Value) -> Vec<&str> {
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
pub(crate) fn user_ids(list: &Value) -> Vec<&str> {
    let list = list.as_array().expect("a list");
    list.iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect()
}

/// The `"followers"` or `"followees"` of `user_id`.
pub(crate) async fn graph(net: &Net, list: &str, user_id: &str) -> Value {
    let reply = net
        .ok(
            &format!("social-graph-get-{list}"),
            json!({"user_id": user_id}),
        )
        .await;
    reply[list].clone()
}

/// A `register-user` body for `username`.
pub(crate) fn registration(username: &str) -> Value {
    json!({
        "username": username,
        "first_name": "First",
        "last_name": "Last",
        "password": "secret",
    })
}

/// A timeline read of `start..stop`.
pub(crate) fn page(user_id: &str, start: i64, stop: i64) -> Value {
    json!({"user_id": user_id, "start": start, "stop": stop})
}

/// A post as `post-storage-service-store-post` takes it, with text `post <post_id>`.
pub(crate) fn post(post_id: &str, author: &str, timestamp: u64) -> Value {
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
pub(crate) async fn publish(net: &Net, author: &str, post_id: &str, timestamp: u64) {
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
pub(crate) async fn alice_posts_three_times(net: &Net) -> (String, String) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    for (post_id, timestamp) in [("101", 1), ("102", 2), ("103", 3)] {
        publish(net, &alice, post_id, timestamp).await;
    }
    (alice, bob)
}

/// Asserts that `function` refuses each body of `cases` with a 400 of its status naming its
/// field: a table of refusals, one row per body.
pub(crate) async fn refused_each<const N: usize>(
    net: &Net,
    function: &str,
    cases: [(Value, &str, &str); N],
) {
    for (body, status, field) in cases {
        refused(net, function, body, status, field).await;
    }
}
