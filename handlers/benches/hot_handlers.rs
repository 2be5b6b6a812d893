//! Criterion benches of the hot handlers: finding URLs and mentions in a post's text (every
//! compose), and reading a page of a home timeline with its posts (60 % of the mixed workload),
//! in-process on the embedded store, the way the all-in-one server runs them.
//!
//! `cargo bench -p deathstar-handlers --bench hot_handlers`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::functions::text::parse::{mentions, url_spans};
use deathstar_handlers::model::{Creator, Post};
use deathstar_handlers::store::Stores;
use deathstar_handlers::{CallMeta, Invocation, Registry};
use serde_json::json;
use tower::ServiceExt;

/// A compose text as DSB's mixed workload makes it: 256 alphanumerics, then mentions and URLs.
fn dsb_text() -> String {
    let mut text: String = (0..256)
        .map(|i| {
            char::from(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[i * 7 % 62],
            )
        })
        .collect();
    for i in 0..3 {
        text.push_str(&format!(" @username_{}", 100 + i));
    }
    for i in 0..3 {
        text.push_str(&format!(" http://{}", format!("{i}abcdefghij").repeat(6)));
    }
    text
}

fn text_parsing(c: &mut Criterion) {
    let text = dsb_text();
    c.bench_function("text: url spans + mentions (DSB compose text)", |b| {
        b.iter(|| {
            let urls = url_spans(black_box(&text));
            black_box(mentions(&text, &urls))
        })
    });
}

fn timeline_read(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::embedded(dir.path()).unwrap();
    let owner = format!("{:032x}", 1);
    runtime.block_on(async {
        for n in 0..200u64 {
            let post = Post {
                post_id: (1_000_000 + n).to_string(),
                req_id: n.to_string(),
                creator: Creator {
                    user_id: deathstar_handlers::UserId::from_integer(2),
                    username: "username_2".into(),
                },
                text: dsb_text(),
                user_mentions: vec![],
                media: vec![],
                urls: vec![],
                timestamp: 1_700_000_000_000 + n,
                post_type: 0,
            };
            stores.posts.insert(&post).await.unwrap();
            let owners = [owner.clone()];
            stores
                .home_timelines
                .append(&owners, &post.post_id, post.timestamp)
                .await
                .unwrap();
        }
    });
    let registry = Registry::in_process(stores, AuthKey::new("bench"));
    let read = registry.get("home-timeline-read-frontend").unwrap();
    let input = json!({"user_id": owner, "start": 0, "stop": 10});
    c.bench_function(
        "home-timeline-read-frontend: 10 posts, embedded, JSON in and out",
        |b| {
            b.iter(|| {
                let invocation = Invocation::new(input.clone(), CallMeta::root());
                let reply = runtime.block_on(read.clone().oneshot(invocation)).unwrap();
                assert_eq!(reply.status, 200);
                black_box(reply)
            })
        },
    );
    let body = serde_json::to_vec(&input).unwrap();
    c.bench_function(
        "home-timeline-read-frontend: 10 posts, embedded, bytes in and out (HTTP edge)",
        |b| {
            b.iter(|| {
                let call =
                    registry.call_wire("home-timeline-read-frontend", &body, CallMeta::root());
                let reply = runtime.block_on(call.unwrap());
                assert_eq!(reply.status, 200);
                black_box(reply)
            })
        },
    );
    c.bench_function(
        "home-timeline-read-frontend: 10 posts, embedded, typed in-process",
        |b| {
            use deathstar_handlers::functions::HomeTimelineReadFrontend;
            use deathstar_handlers::functions::timeline::ReadTimelineInput;
            b.iter(|| {
                let input = ReadTimelineInput {
                    user_id: deathstar_handlers::UserId::parse(owner.as_str()).unwrap(),
                    start: 0,
                    stop: 10,
                };
                let meta = CallMeta::root();
                let call = registry.call::<HomeTimelineReadFrontend>(&meta, input);
                black_box(runtime.block_on(call).unwrap())
            })
        },
    );
}

criterion_group!(benches, text_parsing, timeline_read);
criterion_main!(benches);
