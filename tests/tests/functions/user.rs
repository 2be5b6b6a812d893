//! The user service: `register-user`, `register-user-with-id`, `get-user-id`,
//! `user-service-login` and the two creator checks compose-post uses
//! (`user-service-upload-creator-with-user-id` and `-with-username`).

use deathstar_handlers::auth::AuthKey;
use deathstar_tests::{Net, TEST_SECRET, deployments};
use serde_json::{Value, json};

use crate::support::{NOBODY, graph, is_hex_id, keys, refused, registration};

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

// user-service-get-users

async fn get_users_returns_the_public_part_of_each_known_id_in_order(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let unknown = "0".repeat(32);
    let found = net
        .ok(
            "user-service-get-users",
            json!({"user_ids": [bob, unknown, alice]}),
        )
        .await;
    let users = found["users"].as_array().unwrap();
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "alice"]);
    assert_eq!(users[0]["user_id"], bob);
    assert_eq!(users[0]["first_name"], "First bob");
    assert!(users[0].get("password").is_none() && users[0].get("salt").is_none());
}

async fn get_users_refuses_too_many_or_malformed_ids(net: Net) {
    let ids: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
    refused(
        &net,
        "user-service-get-users",
        json!({"user_ids": ids}),
        "InvalidFieldError",
        "user_ids",
    )
    .await;
    refused(
        &net,
        "user-service-get-users",
        json!({"user_ids": ["9999"]}),
        "InvalidFieldError",
        "user_ids[0]",
    )
    .await;
    refused(
        &net,
        "user-service-get-users",
        json!({}),
        "MissingFieldError",
        "user_ids",
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

deployments!(
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
    // user-service-get-users
    get_users_returns_the_public_part_of_each_known_id_in_order,
    get_users_refuses_too_many_or_malformed_ids,
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
);
