//! How many storage round trips each request type makes, held exactly: the MongoDB commands
//! (from the driver's command events) and the Redis requests (a command alone or a pipeline,
//! each one round trip) of one request, on the all-in-one deployment (every function in this
//! process) over real servers, MongoDB (FerretDB in the suite) and Redis.
//!
//! The Redis server's own `INFO commandstats` counts the commands it ran over the same
//! request, so a request the backend sent without counting it would show as a mismatch.
//! Skipped without the servers (failed under `DS_REQUIRE_BACKENDS=1`), like the other backend
//! tests. One test, and so one deployment at a time on the servers: the server's command
//! statistics are global.
//!
//! Run: `DS_REQUIRE_BACKENDS=1 scripts/with-services.sh cargo test -p deathstar-tests --test
//! round_trips -- --nocapture` (the table is printed).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use deathstar_backends::{BackendConfig, Counts, RoundTrips};
use deathstar_tests::{Backend, Net};
use serde_json::json;

/// Followers of the author of the measured compose.
const FOLLOWERS: usize = 3;
/// Posts on the timelines read, more than a page.
const POSTS: usize = 12;
/// The page read: positions `0..PAGE`.
const PAGE: usize = 10;
/// Followers, posts and page of the requests that need more than one batch of documents.
const MANY: usize = 120;

/// What one request is expected to send.
struct Expected {
    request: &'static str,
    /// MongoDB commands by name.
    mongodb: &'static [(&'static str, u64)],
    redis_round_trips: u64,
    redis_commands: u64,
}

/// The round trips of each request type, in the order the test makes them.
const EXPECTED: [Expected; 12] = [
    Expected {
        request: "register",
        mongodb: &[("insert", 2)],
        redis_round_trips: 0,
        redis_commands: 0,
    },
    Expected {
        request: "register with id",
        mongodb: &[("find", 1), ("insert", 2)],
        redis_round_trips: 0,
        redis_commands: 0,
    },
    Expected {
        request: "follow",
        mongodb: &[("find", 1), ("insert", 1)],
        redis_round_trips: 0,
        redis_commands: 0,
    },
    Expected {
        request: "compose (3 followers, 1 mention, 1 URL)",
        mongodb: &[("find", 4), ("insert", 4)],
        redis_round_trips: 2,
        // One ZADD on the author's timeline, one per home timeline (followers and mention).
        redis_commands: 1 + FOLLOWERS as u64 + 1,
    },
    Expected {
        request: "compose (3 followers, 2 mentions, 1 URL)",
        mongodb: &[("find", 4), ("insert", 4)],
        redis_round_trips: 2,
        redis_commands: 1 + FOLLOWERS as u64 + 2,
    },
    Expected {
        request: "home timeline, page of 10, cold",
        mongodb: &[("find", 2)],
        redis_round_trips: 4,
        // ZSCORE + ZREVRANGE; ZADD of the entries + ZADD of the mark; HGET per post;
        // HSET + EXPIRE per post.
        redis_commands: 2 + 2 + PAGE as u64 + 2 * PAGE as u64,
    },
    Expected {
        request: "home timeline, page of 10, warm",
        mongodb: &[],
        redis_round_trips: 2,
        redis_commands: 2 + PAGE as u64,
    },
    Expected {
        request: "user timeline, page of 10, cold",
        mongodb: &[("find", 2)],
        redis_round_trips: 4,
        redis_commands: 2 + 2 + PAGE as u64 + 2 * PAGE as u64,
    },
    Expected {
        request: "user timeline, page of 10, warm",
        mongodb: &[],
        redis_round_trips: 2,
        redis_commands: 2 + PAGE as u64,
    },
    // More than the server's first batch (101 documents).
    Expected {
        request: "compose (120 followers, no mention, no URL)",
        mongodb: &[("find", 2), ("insert", 3)],
        redis_round_trips: 2,
        redis_commands: 1 + MANY as u64,
    },
    Expected {
        request: "user timeline, page of 120, cold",
        mongodb: &[("find", 2)],
        redis_round_trips: 4,
        redis_commands: 2 + 2 + MANY as u64 + 2 * MANY as u64,
    },
    // Registration again, last: a request type is checked whatever ran before it.
    Expected {
        request: "register (after everything else)",
        mongodb: &[("insert", 2)],
        redis_round_trips: 0,
        redis_commands: 0,
    },
];

/// What one request sent, as the backends counted it and as the Redis server ran it.
struct Measured {
    request: &'static str,
    counts: Counts,
    /// Commands the Redis server ran, by name (`INFO commandstats`).
    redis_server: BTreeMap<String, u64>,
}

impl Measured {
    fn matches(&self, expected: &Expected) -> bool {
        let mongodb: BTreeMap<String, u64> = expected
            .mongodb
            .iter()
            .map(|(name, count)| (name.to_string(), *count))
            .collect();
        self.counts.mongodb == mongodb
            && self.counts.redis_round_trips == expected.redis_round_trips
            && self.counts.redis_commands == expected.redis_commands
    }

    fn redis_server_commands(&self) -> u64 {
        self.redis_server.values().sum()
    }
}

/// The Redis server the deployment uses, for its statistics and for emptying the caches.
struct RedisServer {
    connection: redis::aio::MultiplexedConnection,
    namespace: String,
}

impl RedisServer {
    async fn connect(config: &BackendConfig) -> RedisServer {
        let host = config.redis_server.as_deref().unwrap_or("127.0.0.1");
        let port = config.redis_port.unwrap_or(6379);
        let client = redis::Client::open(format!("redis://{host}:{port}/")).expect("redis URL");
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .expect("the test reaches Redis");
        RedisServer {
            connection,
            namespace: config.namespace.clone(),
        }
    }

    /// Calls of each command the server has run (`INFO commandstats`), without `INFO` itself:
    /// only the test sends it.
    async fn command_calls(&mut self) -> BTreeMap<String, u64> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.connection)
            .await
            .expect("INFO commandstats");
        info.lines()
            .filter_map(|line| {
                // cmdstat_zadd:calls=4,usec=20,usec_per_call=5.00,...
                let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .filter(|(name, _)| name != "info")
            .collect()
    }

    /// Deletes every key of the deployment: its timelines and posts are then cold.
    async fn empty_the_caches(&mut self) {
        let pattern = format!("{}*", self.namespace);
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.connection)
                .await
                .expect("SCAN");
            if !keys.is_empty() {
                let _: u64 = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut self.connection)
                    .await
                    .expect("DEL");
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
}

struct Meter {
    round_trips: Arc<RoundTrips>,
    redis: RedisServer,
    measured: Vec<Measured>,
}

impl Meter {
    /// Runs `request` and records what it sent.
    async fn measure<T>(&mut self, request: &'static str, run: impl Future<Output = T>) -> T {
        let before = self.round_trips.counts();
        let server_before = self.redis.command_calls().await;
        let result = run.await;
        let counts = self.round_trips.counts().since(&before);
        let server_after = self.redis.command_calls().await;
        let redis_server = server_after
            .into_iter()
            .filter_map(|(name, calls)| {
                let ran = calls.saturating_sub(server_before.get(&name).copied().unwrap_or(0));
                (ran > 0).then_some((name, ran))
            })
            .collect();
        self.measured.push(Measured {
            request,
            counts,
            redis_server,
        });
        result
    }

    fn table(&self) -> String {
        let mut table = String::from(
            "| request | MongoDB commands | by name | Redis round trips | Redis commands |\n\
             |---|---|---|---|---|\n",
        );
        for m in &self.measured {
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                m.request,
                m.counts.mongodb_commands(),
                m.counts.mongodb_by_name(),
                m.counts.redis_round_trips,
                m.counts.redis_commands,
            ));
        }
        table
    }
}

/// Reads the page `0..page` of a timeline and checks it is full.
async fn read_page(net: &Net, kind: &str, user_id: &str, page: usize) {
    let posts = net.timeline(kind, user_id, 0, page as i64).await;
    assert_eq!(posts.len(), page, "{kind} timeline of {user_id}");
}

#[tokio::test]
async fn each_request_type_makes_the_fewest_round_trips() {
    let Some(config) = Backend::MongoRedis.config() else {
        return;
    };
    let round_trips = RoundTrips::new();
    let config = BackendConfig {
        round_trips: Some(round_trips.clone()),
        ..config
    };
    let redis = RedisServer::connect(&config).await;
    let net = Net::in_process_on(config).await;
    let mut meter = Meter {
        round_trips,
        redis,
        measured: Vec::new(),
    };

    // The author, a mentioned user who does not follow them, and followers; one registration
    // and one follow measured.
    let alice = net.register("alice").await;
    net.register("dave").await;
    net.register("frank").await;
    let mut followers = Vec::new();
    for i in 0..FOLLOWERS - 1 {
        followers.push(net.register(&format!("follower{i}")).await);
    }
    let last = format!("follower{}", FOLLOWERS - 1);
    followers.push(
        meter
            .measure(EXPECTED[0].request, net.register(&last))
            .await,
    );
    let with_id = json!({
        "user_id": "0123456789abcdef0123456789abcdef",
        "username": "grace",
        "first_name": "Grace",
        "last_name": "Hopper",
        "password": "pw-grace",
    });
    let register_with_id = net.ok("register-user-with-id", with_id);
    meter.measure(EXPECTED[1].request, register_with_id).await;
    for follower in &followers[..FOLLOWERS - 1] {
        net.follow(follower, &alice).await;
    }
    let last = &followers[FOLLOWERS - 1];
    meter
        .measure(EXPECTED[2].request, net.follow(last, &alice))
        .await;

    // A timeline longer than a page; the last post measured.
    for i in 0..POSTS - 1 {
        let text = format!("post {i} for @dave, see https://example.com/{i}");
        net.compose(&alice, "alice", &text).await;
    }
    let text = "hello @dave, see https://example.com/measured";
    meter
        .measure(EXPECTED[3].request, net.compose(&alice, "alice", text))
        .await;
    let text = "hello @dave and @frank, see https://example.com/measured";
    meter
        .measure(EXPECTED[4].request, net.compose(&alice, "alice", text))
        .await;

    // Cold: nothing of the deployment in Redis. Warm: the same page again, now cached.
    let reader = &followers[0];
    meter.redis.empty_the_caches().await;
    let home = read_page(&net, "home", reader, PAGE);
    meter.measure(EXPECTED[5].request, home).await;
    let home = read_page(&net, "home", reader, PAGE);
    meter.measure(EXPECTED[6].request, home).await;
    meter.redis.empty_the_caches().await;
    let user = read_page(&net, "user", &alice, PAGE);
    meter.measure(EXPECTED[7].request, user).await;
    let user = read_page(&net, "user", &alice, PAGE);
    meter.measure(EXPECTED[8].request, user).await;

    // An author with many followers, and one with a long timeline.
    let bob = net.register("bob").await;
    for i in 0..MANY {
        let fan = net.register(&format!("fan{i}")).await;
        net.follow(&fan, &bob).await;
    }
    let compose = net.compose(&bob, "bob", "to all my fans");
    meter.measure(EXPECTED[9].request, compose).await;
    let carol = net.register("carol").await;
    for i in 0..MANY {
        net.compose(&carol, "carol", &format!("note {i}")).await;
    }
    meter.redis.empty_the_caches().await;
    let user = read_page(&net, "user", &carol, MANY);
    meter.measure(EXPECTED[10].request, user).await;

    meter
        .measure(EXPECTED[11].request, net.register("erin"))
        .await;

    println!("{}", meter.table());
    for (measured, expected) in meter.measured.iter().zip(&EXPECTED) {
        assert_eq!(measured.request, expected.request, "the table's order");
        assert!(
            measured.matches(expected),
            "{}: sent {:?} (expected MongoDB {:?}, Redis {} round trips, {} commands)\n{}",
            measured.request,
            measured.counts,
            expected.mongodb,
            expected.redis_round_trips,
            expected.redis_commands,
            meter.table()
        );
        assert_eq!(
            measured.redis_server_commands(),
            measured.counts.redis_commands,
            "{}: the Redis server ran {:?}, the backend counted {} commands",
            measured.request,
            measured.redis_server,
            measured.counts.redis_commands
        );
    }
    assert_eq!(meter.measured.len(), EXPECTED.len());
}
