//! Post storage: `post-storage-service-store-post` and `post-storage-service-read-posts`
//! (request order, unknown and repeated ids).

use deathstar_tests::{Net, deployments, texts};
use serde_json::json;

use crate::support::{NOBODY, post, refused};

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

deployments!(
    // post-storage-service-store-post / -read-posts
    store_post_stores_a_post_readable_by_id,
    store_post_refuses_a_taken_post_id,
    store_post_refuses_invalid_or_missing_fields,
    read_posts_returns_posts_in_request_order,
    read_posts_reports_an_unknown_post_id,
    read_posts_skips_unknown_ids_when_asked_to,
    read_posts_refuses_a_repeated_or_missing_id_list,
);
