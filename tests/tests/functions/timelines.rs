//! The timelines: the writes of the user and the home timeline, one section each, then their
//! reads — the two services and the two frontends, which behave alike — checked once for both
//! timelines through the `Timeline` table.

use deathstar_tests::{Net, deployments, texts};
use serde_json::{Value, json};

use crate::support::{
    BAD_PAGES, NOBODY, alice_posts_three_times, assert_callee, page, post, publish, refused,
    refused_each,
};

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
    refused_each(
        &net,
        "user-timeline-service-write-user-timeline",
        [
            (
                json!({"user_id": "alice", "post_id": "1", "timestamp": 1}),
                "InvalidFieldError",
                "user_id",
            ),
            (
                json!({"user_id": NOBODY, "post_id": "", "timestamp": 1}),
                "InvalidFieldError",
                "post_id",
            ),
            (
                json!({"user_id": NOBODY, "post_id": "1", "timestamp": -1}),
                "InvalidFieldError",
                "timestamp",
            ),
            (
                json!({"user_id": NOBODY, "post_id": "1"}),
                "MissingFieldError",
                "timestamp",
            ),
        ],
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
    refused_each(
        &net,
        "home-timeline-service-write-home-timeline",
        [
            (json!({"user_id": "alice", "post_id": "1", "timestamp": 1}), "InvalidFieldError", "user_id"),
            (json!({"user_id": alice, "post_id": "", "timestamp": 1}), "InvalidFieldError", "post_id"),
            (
                json!({"user_id": alice, "post_id": "1", "timestamp": 1, "user_mentions_id": ["bob"]}),
                "InvalidFieldError",
                "user_mentions_id[0]",
            ),
            (json!({"user_id": alice, "timestamp": 1}), "MissingFieldError", "post_id"),
        ],
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
        // A malformed id is refused where it is decoded: by the frontend itself, naming the
        // field, before any call.
        for malformed in ["alice".to_owned(), NOBODY.to_uppercase()] {
            for function in [timeline.read, timeline.frontend] {
                let refused = net
                    .fails(function, page(&malformed, 0, 10), 400, "InvalidFieldError")
                    .await;
                assert_eq!(refused["errors"][0]["field"], "user_id", "{refused}");
            }
        }
    }
}

deployments!(
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
