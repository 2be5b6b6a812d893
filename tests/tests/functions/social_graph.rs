//! The social graph: `social-graph-insert-user`, follow and unfollow by id and by username,
//! and the followers and followees lists. Follow and unfollow take the same edge and answer
//! alike, so what they share is written once below (`assert_edge_reply`,
//! `refuses_an_edge_with_an_end_not_in_the_graph`) and the two lists are one table (`List`);
//! each behaviour still has its own named test, and each refusal test is a table of the bodies
//! refused with the status and field each names.

use deathstar_tests::{Net, deployments};
use serde_json::{Value, json};

use crate::support::{NOBODY, assert_callee, graph, refused_each, user_ids};

/// Asserts that a follow or unfollow `reply` names the edge from `user_id` to `followee_id`
/// and says in `done` (`"followed"` or `"unfollowed"`) whether the graph `changed`.
fn assert_edge_reply(reply: &Value, user_id: &str, followee_id: &str, done: &str, changed: bool) {
    assert_eq!(
        (&reply["user_id"], &reply["followee_id"], &reply[done]),
        (&json!(user_id), &json!(followee_id), &json!(changed)),
        "{reply}"
    );
}

/// Asserts that `function` (follow or unfollow) answers 404 `UserIDNotExistError` when either
/// end of the edge is a well-formed id that is not in the graph.
async fn refuses_an_edge_with_an_end_not_in_the_graph(net: &Net, function: &str) {
    let alice = net.register("alice").await;
    for body in [
        json!({"user_id": alice, "followee_id": NOBODY}),
        json!({"user_id": NOBODY, "followee_id": alice}),
    ] {
        net.fails(function, body, 404, "UserIDNotExistError").await;
    }
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
    let alice = net.register("alice").await;
    for user_id in [NOBODY, alice.as_str()] {
        net.fails(
            "social-graph-insert-user",
            json!({"user_id": user_id}),
            409,
            "UserIDAlreadyExistError",
        )
        .await;
    }
}

async fn insert_user_refuses_a_malformed_or_missing_id(net: Net) {
    refused_each(
        &net,
        "social-graph-insert-user",
        [
            (
                json!({"user_id": "not-an-id"}),
                "InvalidFieldError",
                "user_id",
            ),
            (json!({}), "MissingFieldError", "user_id"),
        ],
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
    assert_edge_reply(&reply, &alice, &bob, "followed", true);
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
    refused_each(
        &net,
        "social-graph-follow",
        [(
            json!({"user_id": alice, "followee_id": alice}),
            "InvalidFieldError",
            "followee_id",
        )],
    )
    .await;
}

async fn follow_refuses_malformed_or_missing_ids(net: Net) {
    let alice = net.register("alice").await;
    refused_each(
        &net,
        "social-graph-follow",
        [
            (
                json!({"user_id": "alice", "followee_id": alice}),
                "InvalidFieldError",
                "user_id",
            ),
            (
                json!({"user_id": alice, "followee_id": "x"}),
                "InvalidFieldError",
                "followee_id",
            ),
            (
                json!({"user_id": alice}),
                "MissingFieldError",
                "followee_id",
            ),
        ],
    )
    .await;
}

async fn follow_reports_users_not_in_the_graph(net: Net) {
    refuses_an_edge_with_an_end_not_in_the_graph(&net, "social-graph-follow").await;
}

// social-graph-unfollow

async fn unfollow_removes_the_edge_on_both_ends_once(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&alice, &bob).await;
    let edge = json!({"user_id": alice, "followee_id": bob});
    let reply = net.ok("social-graph-unfollow", edge.clone()).await;
    assert_edge_reply(&reply, &alice, &bob, "unfollowed", true);
    assert_eq!(graph(&net, "followees", &alice).await, json!([]));
    assert_eq!(graph(&net, "followers", &bob).await, json!([]));
    let again = net.ok("social-graph-unfollow", edge).await;
    assert_eq!(again["unfollowed"], false);
}

async fn unfollow_refuses_oneself_and_malformed_or_missing_ids(net: Net) {
    let alice = net.register("alice").await;
    refused_each(
        &net,
        "social-graph-unfollow",
        [
            (
                json!({"user_id": alice, "followee_id": alice}),
                "InvalidFieldError",
                "followee_id",
            ),
            (
                json!({"user_id": "alice", "followee_id": NOBODY}),
                "InvalidFieldError",
                "user_id",
            ),
            (
                json!({"followee_id": alice}),
                "MissingFieldError",
                "user_id",
            ),
        ],
    )
    .await;
}

async fn unfollow_reports_users_not_in_the_graph(net: Net) {
    refuses_an_edge_with_an_end_not_in_the_graph(&net, "social-graph-unfollow").await;
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
    assert_edge_reply(&reply, &alice, &bob, "followed", true);
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
    refused_each(
        &net,
        "social-graph-follow-with-username",
        [(
            json!({"username": "alice"}),
            "MissingFieldError",
            "followee_name",
        )],
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
    assert_edge_reply(&reply, &alice, &bob, "unfollowed", true);
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
    refused_each(
        &net,
        "social-graph-unfollow-with-username",
        [(
            json!({"followee_name": "bob"}),
            "MissingFieldError",
            "username",
        )],
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

/// The two lists of the graph, as `social-graph-get-<name>` serves them under `<name>`.
#[derive(Clone, Copy)]
enum List {
    /// Who follows the user.
    Followers,
    /// Whom the user follows.
    Followees,
}

impl List {
    fn name(self) -> &'static str {
        match self {
            List::Followers => "followers",
            List::Followees => "followees",
        }
    }

    fn function(self) -> String {
        format!("social-graph-get-{}", self.name())
    }
}

/// Makes alice's `list` hold bob and carol (they follow her, or she follows them), then
/// asserts that it lists both with their follow times.
async fn lists_each_edge_with_its_follow_time(net: &Net, list: List) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    for other in [&bob, &carol] {
        match list {
            List::Followers => net.follow(other, &alice).await,
            List::Followees => net.follow(&alice, other).await,
        }
    }
    let reply = net.ok(&list.function(), json!({"user_id": alice})).await;
    assert_edges(&reply[list.name()], &[bob.as_str(), carol.as_str()]);
}

/// Asserts that the read of `list` refuses a `malformed` user id with a 400 and a well-formed
/// one not in the graph with a 404.
async fn list_refuses_malformed_and_unknown_ids(net: &Net, list: List, malformed: Value) {
    refused_each(
        net,
        &list.function(),
        [(
            json!({"user_id": malformed}),
            "InvalidFieldError",
            "user_id",
        )],
    )
    .await;
    net.fails(
        &list.function(),
        json!({"user_id": NOBODY}),
        404,
        "UserIDNotExistError",
    )
    .await;
}

async fn get_followers_lists_each_follower_with_its_follow_time(net: Net) {
    lists_each_edge_with_its_follow_time(&net, List::Followers).await;
}

async fn get_followers_refuses_malformed_and_unknown_ids(net: Net) {
    list_refuses_malformed_and_unknown_ids(&net, List::Followers, json!("bob")).await;
}

async fn get_followees_lists_each_followee_with_its_follow_time(net: Net) {
    lists_each_edge_with_its_follow_time(&net, List::Followees).await;
}

async fn get_followees_refuses_malformed_and_unknown_ids(net: Net) {
    list_refuses_malformed_and_unknown_ids(&net, List::Followees, json!(12)).await;
}

deployments!(
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
);
