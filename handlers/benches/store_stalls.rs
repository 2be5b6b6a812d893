//! How long the embedded store keeps a request waiting as it grows: the longest single writes
//! and reads while POSTS posts are composed into it, and the post count at which each happened.
//!
//! A compose makes four writes (its short URLs, the post, the author's user timeline, the
//! followers' home timelines); one reader thread meanwhile reads what a home-timeline request
//! reads (a page of a timeline, its posts, a short URL). A table that grows by copying itself
//! under its lock shows here as a slow call at the post count where it doubled, and as the
//! reader's wait beside it: the server-side stalls of the open-loop soak (docs/BENCHMARKS.md).
//!
//! `cargo bench -p deathstar-handlers --bench store_stalls [-- POSTS]` (default 1,000,000)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deathstar_handlers::UserId;
use deathstar_handlers::model::{Creator, Post, UrlDoc};
use deathstar_handlers::store::Stores;
use deathstar_handlers::store::embedded::{self, Sync};

/// Users, and the followers each post fans out to: socfb-Reed98 has 962 users with ~39
/// followers each.
const USERS: u64 = 962;
const FOLLOWERS: u64 = 39;
/// DSB's compose: three URLs per post.
const URLS: u64 = 3;
/// The slowest calls kept per operation.
const KEEP: usize = 5;

/// The slowest calls of one operation, with the post count at which each happened.
struct Slowest {
    name: &'static str,
    calls: u64,
    total: Duration,
    worst: Vec<(Duration, u64)>,
}

impl Slowest {
    fn new(name: &'static str) -> Slowest {
        Slowest {
            name,
            calls: 0,
            total: Duration::ZERO,
            worst: Vec::new(),
        }
    }

    fn record(&mut self, took: Duration, at_post: u64) {
        self.calls += 1;
        self.total += took;
        if self.worst.len() < KEEP || took > self.worst[KEEP - 1].0 {
            self.worst.push((took, at_post));
            self.worst.sort_by_key(|w| std::cmp::Reverse(w.0));
            self.worst.truncate(KEEP);
        }
    }

    fn print(&self) {
        let mean = self.total.as_secs_f64() * 1e6 / self.calls.max(1) as f64;
        let worst: Vec<String> = self
            .worst
            .iter()
            .map(|(took, at)| format!("{:.1} ms @ {at}", took.as_secs_f64() * 1e3))
            .collect();
        println!(
            "{:<28} {:>9} calls  mean {mean:>7.1} us  slowest: {}",
            self.name,
            self.calls,
            worst.join(", ")
        );
    }
}

fn user_id(n: u64) -> String {
    format!("{:032x}", n % USERS)
}

fn post(n: u64) -> Post {
    let author = n % USERS;
    Post {
        post_id: format!("{}", 1_700_000_000_000_000_000u64 + n),
        req_id: n.to_string(),
        creator: Creator {
            user_id: UserId::parse(user_id(author)).expect("a 32-digit hex id"),
            username: format!("username_{author}"),
        },
        text: "x".repeat(300),
        user_mentions: vec![],
        media: vec![],
        urls: urls(n),
        timestamp: 1_700_000_000_000 + n,
        post_type: 0,
    }
}

/// A short URL as url-shorten makes them: the prefix and 10 lowercase letters.
fn short_url(n: u64, i: u64) -> String {
    let mut code = n * URLS + i;
    let letters: String = (0..10)
        .map(|_| {
            let c = char::from(b'a' + (code % 26) as u8);
            code /= 26;
            c
        })
        .collect();
    format!("http://short-u.rl/{letters}")
}

fn urls(n: u64) -> Vec<UrlDoc> {
    (0..URLS)
        .map(|i| UrlDoc {
            expanded_url: format!("http://{}", format!("{i}abcdefghij").repeat(6)),
            shortened_url: short_url(n, i),
        })
        .collect()
}

/// Reads what a home-timeline request reads until `stop`, recording each read's time.
fn reader(stores: Stores, posts: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> Vec<Slowest> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut page = Slowest::new("read: home timeline page");
    let mut bodies = Slowest::new("read: its posts");
    let mut expand = Slowest::new("read: expand a short URL");
    let mut n = 0u64;
    runtime.block_on(async {
        while !stop.load(Ordering::Relaxed) {
            let at = posts.load(Ordering::Relaxed);
            n += 1;
            let started = Instant::now();
            let ids = stores
                .home_timelines
                .range(&user_id(n), 0, 10)
                .await
                .expect("a timeline read");
            page.record(started.elapsed(), at);
            let started = Instant::now();
            stores.posts.get_many(&ids).await.expect("a post read");
            bodies.record(started.elapsed(), at);
            let started = Instant::now();
            let short = [short_url(n % at.max(1), 0)];
            stores
                .short_urls
                .expand_many(&short)
                .await
                .expect("a URL read");
            expand.record(started.elapsed(), at);
        }
    });
    vec![page, bodies, expand]
}

fn main() {
    let total: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stores = embedded::open_with(dir.path(), Sync::default()).expect("an empty store");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    let posts = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let reading = {
        let (stores, posts, stop) = (stores.clone(), posts.clone(), stop.clone());
        std::thread::spawn(move || reader(stores, posts, stop))
    };

    let mut short_urls = Slowest::new("write: short URLs");
    let mut post_bodies = Slowest::new("write: post");
    let mut user_timeline = Slowest::new("write: user timeline");
    let mut home_timelines = Slowest::new("write: home timelines");
    let started = Instant::now();
    runtime.block_on(async {
        for n in 0..total {
            let post = post(n);
            let author = n % USERS;
            let followers: Vec<String> = (1..=FOLLOWERS).map(|f| user_id(author + f)).collect();

            let t = Instant::now();
            stores.short_urls.insert_many(&post.urls).await.unwrap();
            short_urls.record(t.elapsed(), n);
            let t = Instant::now();
            stores.posts.insert(&post).await.unwrap();
            post_bodies.record(t.elapsed(), n);
            let t = Instant::now();
            let author = [user_id(author)];
            let (id, at) = (&post.post_id, post.timestamp);
            stores.user_timelines.append(&author, id, at).await.unwrap();
            user_timeline.record(t.elapsed(), n);
            let t = Instant::now();
            stores
                .home_timelines
                .append(&followers, id, at)
                .await
                .unwrap();
            home_timelines.record(t.elapsed(), n);
            posts.store(n + 1, Ordering::Relaxed);
        }
    });
    stop.store(true, Ordering::Relaxed);
    let reads = reading.join().expect("the reader");

    println!(
        "{total} posts ({URLS} URLs, {FOLLOWERS} followers each) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for op in [&short_urls, &post_bodies, &user_timeline, &home_timelines] {
        op.print();
    }
    for op in &reads {
        op.print();
    }
}
