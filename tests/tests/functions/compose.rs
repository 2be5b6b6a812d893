//! Composing a post: `compose-post-frontend` and each service it calls —
//! `unique-id-service-upload-unique-id`, `text-service-upload-text`, the URL shortener
//! (`url-shorten-service-upload-urls` and `-get-extended-urls`),
//! `user-mention-service-upload-user-mentions` — and `compose-post-service-compose-and-upload`,
//! which stores the post and writes the timelines.

use deathstar_tests::{Net, deployments};
use serde_json::{Value, json};

use crate::support::{NOBODY, assert_callee, refused, user_ids};

/// Asserts that `post` is stored under its id and is the one post on `author`'s user timeline
/// and on the home timelines of her `follower` and of the user it `mentioned`: what both
/// compose-post-frontend and compose-and-upload leave behind.
async fn assert_stored_and_delivered(
    net: &Net,
    post: &Value,
    author: &str,
    follower: &str,
    mentioned: &str,
) {
    let stored = net
        .ok(
            "post-storage-service-read-posts",
            json!({"post_ids": [post["post_id"]]}),
        )
        .await;
    assert_eq!(&stored["posts"][0], post);
    for (kind, user) in [("user", author), ("home", follower), ("home", mentioned)] {
        assert_eq!(
            net.timeline(kind, user, 0, 10).await,
            std::slice::from_ref(post),
            "the {kind} timeline of {user}"
        );
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
    assert_stored_and_delivered(&net, post, &alice, &bob, &carol).await;
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

    assert_stored_and_delivered(&net, post, &alice, &bob, &carol).await;
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
        // A mention's id is checked where the post is decoded: a 400 naming it, not a 500 from
        // the timeline write that would trip over it.
        (
            "user_mentions",
            json!([{"user_id": alice, "username": "alice"}, {"user_id": "ünï", "username": "b"}]),
            "user_mentions[1].user_id",
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

deployments!(
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
);
