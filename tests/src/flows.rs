//! Whole-network flows: what a user of the social network sees after a series of actions.
//! Written once; [`flows_on!`](crate::flows_on) runs them on a deployment.

use crate::{Net, texts};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

fn ids(edges: &Value) -> Vec<&str> {
    edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect()
}

/// A post in the world's scripts — accents, emoji, CJK, right-to-left text, an IRI — is
/// composed, its mention and ASCII URL found, and read back byte for byte around them.
/// The IRI has nothing ASCII after its scheme, so it stays plain text (text/parse.rs).
pub async fn a_post_in_any_script_is_delivered_as_written(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let text = "café @bob https://example.com/a?q=1 🙂 日本語 http://例え.jp/パス \u{200F}שלום";
    for function in ["text-service-upload-text", "compose-post-frontend"] {
        let reply = net
            .ok(
                function,
                json!({"user_id": alice, "username": "alice", "post_type": 0, "text": text}),
            )
            .await;
        let part = if function == "compose-post-frontend" {
            &reply["post"]
        } else {
            &reply
        };
        assert_eq!(ids(&part["user_mentions"]), [bob.as_str()], "{function}");
        let urls = part["urls"].as_array().unwrap();
        assert_eq!(urls.len(), 1, "{function}: {part}");
        assert_eq!(urls[0]["expanded_url"], "https://example.com/a?q=1");
        let short = urls[0]["shortened_url"].as_str().unwrap();
        assert_eq!(
            part["text"],
            text.replace("https://example.com/a?q=1", short),
            "{function}"
        );
    }
    let home = net.timeline("home", &bob, 0, 10).await;
    assert_eq!(home.len(), 1);
    assert!(texts(&home)[0].ends_with(" 🙂 日本語 http://例え.jp/パス \u{200F}שלום"));
}

/// alice posts; bob and carol follow her; dave is only mentioned; erin follows nobody.
pub async fn a_post_reaches_its_author_followers_and_mentioned_users(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    let carol = net.register("carol").await;
    let dave = net.register("dave").await;
    let erin = net.register("erin").await;
    net.follow(&bob, &alice).await;
    net.follow(&carol, &alice).await;

    // Media first, as the web page does: upload, then compose with the returned id.
    let png = b"\x89PNG\r\n\x1a\n not really a picture".to_vec();
    let upload = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "cat.PNG", "file": format!("data:image/png;base64,{}", STANDARD.encode(&png))}),
        )
        .await;
    let media_id = upload["media_id"].as_str().unwrap();
    assert_eq!(upload["media_type"], "png");

    let text = "Hello @dave and @nobody, read https://example.com/a/b?c=d, and http://x.org/y!";
    let composed = net
        .ok(
            "compose-post-frontend",
            json!({
                "user_id": alice, "username": "alice", "post_type": 0, "text": text,
                "media_ids": [media_id], "media_types": ["png"],
            }),
        )
        .await;
    let post = &composed["post"];
    assert_eq!(composed["post_id"], post["post_id"]);
    assert_eq!(
        post["creator"],
        json!({"user_id": alice, "username": "alice"})
    );
    assert_eq!(
        post["media"],
        json!([{"media_id": media_id, "media_type": "png"}])
    );
    assert_eq!(
        post["user_mentions"],
        json!([{"user_id": dave, "username": "dave"}])
    );
    let urls = post["urls"].as_array().unwrap();
    let expanded: Vec<&str> = urls
        .iter()
        .map(|u| u["expanded_url"].as_str().unwrap())
        .collect();
    assert_eq!(expanded, ["https://example.com/a/b?c=d", "http://x.org/y"]);
    let short: Vec<&str> = urls
        .iter()
        .map(|u| u["shortened_url"].as_str().unwrap())
        .collect();
    assert!(
        short
            .iter()
            .all(|s| s.starts_with("http://short-u.rl/") && s.len() == 28)
    );
    assert_eq!(
        post["text"],
        format!(
            "Hello @dave and @nobody, read {}, and {}!",
            short[0], short[1]
        )
    );
    assert!(
        post["timestamp"].as_u64().unwrap() > 1_600_000_000_000,
        "milliseconds"
    );

    // Where the post shows up.
    assert_eq!(
        net.timeline("user", &alice, 0, 10).await,
        vec![post.clone()]
    );
    assert_eq!(net.timeline("home", &bob, 0, 10).await, vec![post.clone()]);
    assert_eq!(
        net.timeline("home", &carol, 0, 10).await,
        vec![post.clone()]
    );
    assert_eq!(net.timeline("home", &dave, 0, 10).await, vec![post.clone()]);
    assert!(net.timeline("home", &alice, 0, 10).await.is_empty());
    assert!(net.timeline("home", &erin, 0, 10).await.is_empty());
    assert!(net.timeline("user", &bob, 0, 10).await.is_empty());

    // The short URLs expand back; the media bytes come back.
    let back = net
        .ok(
            "url-shorten-service-get-extended-urls",
            json!({"shortened_urls": short}),
        )
        .await;
    assert_eq!(&back["urls"], &post["urls"]);
    let media = net
        .ok("media-front-get-media", json!({"media_id": media_id}))
        .await;
    let data_url = media["file"].as_str().unwrap();
    let payload = data_url.strip_prefix("data:image/png;base64,").unwrap();
    assert_eq!(STANDARD.decode(payload).unwrap(), png);

    // The social graph as both ends see it.
    let followers = net
        .ok("social-graph-get-followers", json!({"user_id": alice}))
        .await;
    assert_eq!(ids(&followers["followers"]), [bob.as_str(), carol.as_str()]);
    let followees = net
        .ok("social-graph-get-followees", json!({"user_id": bob}))
        .await;
    assert_eq!(ids(&followees["followees"]), [alice.as_str()]);
}

pub async fn timelines_are_newest_first_and_paged(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    for i in 0..12 {
        net.compose(&alice, "alice", &format!("post {i}")).await;
    }
    let newest: Vec<String> = (0..12).rev().map(|i| format!("post {i}")).collect();
    for kind in ["user", "home"] {
        let owner = if kind == "user" { &alice } else { &bob };
        assert_eq!(texts(&net.timeline(kind, owner, 0, 5).await), newest[0..5]);
        assert_eq!(
            texts(&net.timeline(kind, owner, 5, 10).await),
            newest[5..10]
        );
        assert_eq!(
            texts(&net.timeline(kind, owner, 10, 100).await),
            newest[10..12]
        );
        assert!(net.timeline(kind, owner, 12, 20).await.is_empty());
    }
    let page = net
        .ok(
            "user-timeline-service-read-user-timeline",
            json!({"user_id": alice, "start": 0, "stop": 3}),
        )
        .await;
    let page_ids: Vec<&Value> = page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["post_id"])
        .collect();
    assert_eq!(
        page["post_ids"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        page_ids
    );
}

pub async fn unfollowing_stops_new_posts_but_keeps_old_ones(net: Net) {
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.ok(
        "social-graph-follow-with-username",
        json!({"username": "bob", "followee_name": "alice"}),
    )
    .await;
    net.compose(&alice, "alice", "before").await;
    net.ok(
        "social-graph-unfollow-with-username",
        json!({"username": "bob", "followee_name": "alice"}),
    )
    .await;
    net.compose(&alice, "alice", "after").await;
    assert_eq!(texts(&net.timeline("home", &bob, 0, 10).await), ["before"]);
    assert_eq!(
        texts(&net.timeline("user", &alice, 0, 10).await),
        ["after", "before"]
    );
    let followers = net
        .ok("social-graph-get-followers", json!({"user_id": alice}))
        .await;
    assert!(ids(&followers["followers"]).is_empty());
    let followees = net
        .ok("social-graph-get-followees", json!({"user_id": bob}))
        .await;
    assert!(ids(&followees["followees"]).is_empty());
}

pub async fn login_returns_a_token_only_for_the_right_password(net: Net) {
    let alice = net.register("alice").await;
    let login = net
        .ok(
            "user-service-login",
            json!({"username": "alice", "password": "pw-alice"}),
        )
        .await;
    assert_eq!(login["user_id"], alice.as_str());
    let claims = deathstar_handlers::auth::AuthKey::new(crate::TEST_SECRET)
        .verify(login["token"].as_str().unwrap())
        .expect("the token verifies under the deployment's key");
    assert_eq!(
        (claims.user_id.as_str(), claims.username.as_str()),
        (alice.as_str(), "alice")
    );
    net.fails(
        "user-service-login",
        json!({"username": "alice", "password": "pw-bob"}),
        401,
        "UnauthorizedError",
    )
    .await;
}

pub async fn a_busy_graph_keeps_followers_and_followees_symmetric(net: Net) {
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(net.register(&format!("user_{i}")).await);
    }
    // Everyone follows everyone, all at once.
    let net = &net;
    let users = &users;
    let calls = users.iter().flat_map(|a| {
        users
            .iter()
            .filter(move |b| *b != a)
            .map(move |b| net.follow(a, b))
    });
    futures::future::join_all(calls).await;
    for user in users {
        let followers = net
            .ok("social-graph-get-followers", json!({"user_id": user}))
            .await;
        let followees = net
            .ok("social-graph-get-followees", json!({"user_id": user}))
            .await;
        assert_eq!(ids(&followers["followers"]).len(), 7);
        assert_eq!(ids(&followees["followees"]).len(), 7);
    }
}
