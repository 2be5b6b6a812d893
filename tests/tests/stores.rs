//! The store conformance suite: what every implementation of the traits in
//! `deathstar_handlers::store` promises, written once as contract tests on a [`Stores`] and run
//! on every store configuration `open_stores` can pick:
//!
//! - `embedded`: memory + log (no post cache: posts are in memory);
//! - `mongo`: MongoDB alone, with the in-process post cache;
//! - `mongo_redis`: MongoDB behind the Redis post and timeline caches (the seed's deployment).
//!
//! The handlers rely on these promises (ordering, paging, alignment with the ids asked,
//! idempotence, atomic uniqueness) and each backend re-implements them, so they are checked
//! here against the traits, not through the functions. MongoDB configurations are skipped
//! like `Backend::MongoRedis` (and fail under `DS_REQUIRE_BACKENDS=1`); each test gets a
//! namespace of its own, so tests share the servers without seeing each other's data.

use std::sync::Arc;

use deathstar_backends::BackendConfig;
use deathstar_handlers::UserId;
use deathstar_handlers::model::{
    Creator, FollowEdge, Media, MediaFile, Post, TimelineEntry, UrlDoc, User, UserMention,
};
use deathstar_handlers::store::{Follow, InsertUser, Stores, Taken, TimelineStore, Unfollow};
use deathstar_tests::Backend;
use futures::future::join_all;

/// One store configuration of `open_stores`.
#[derive(Debug, Clone, Copy)]
enum StoreConfig {
    Embedded,
    Mongo,
    MongoRedis,
}

impl StoreConfig {
    /// A fresh, empty configuration; `None` (skip) when its servers are not configured.
    fn config(self) -> Option<BackendConfig> {
        match self {
            StoreConfig::Embedded => Backend::Embedded.config(),
            StoreConfig::MongoRedis => Backend::MongoRedis.config(),
            // The same servers and skip logic, without Redis: the in-process post cache.
            StoreConfig::Mongo => Some(BackendConfig {
                redis_server: None,
                redis_port: None,
                ..Backend::MongoRedis.config()?
            }),
        }
    }
}

/// Runs each contract (an `async fn(Stores)`) on every store configuration:
/// `embedded::name`, `mongo::name`, `mongo_redis::name`.
macro_rules! store_configs {
    ($($test:ident),* $(,)?) => {
        store_configs!(@config embedded, Embedded, $($test),*);
        store_configs!(@config mongo, Mongo, $($test),*);
        store_configs!(@config mongo_redis, MongoRedis, $($test),*);
    };
    (@config $module:ident, $config:ident, $($test:ident),*) => {
        mod $module {
            $(
                // Two workers: the concurrency contracts need tasks that really run at once.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(config) = super::StoreConfig::$config.config() else {
                        return;
                    };
                    let dir = tempfile::tempdir().expect("temp dir");
                    let stores = deathstar_backends::open_stores(&config, dir.path())
                        .await
                        .unwrap_or_else(|e| panic!("stores ({}) open: {e}", config.describe()));
                    super::$test(stores).await;
                    drop(dir);
                }
            )*
        }
    };
}

store_configs!(
    a_user_reads_back_by_username_and_by_id_byte_for_byte,
    a_taken_username_or_user_id_is_told_the_username_first,
    a_password_is_replaced_for_its_user_only,
    a_seed_format_password_logs_in_and_is_upgraded_to_argon2id,
    a_taken_username_or_user_id_is_refused_and_the_first_user_stays,
    unknown_users_read_as_none,
    users_by_usernames_are_the_known_ones_in_the_order_asked_each_once,
    concurrent_inserts_of_distinct_users_all_land,
    concurrent_inserts_of_one_username_let_exactly_one_in,
    concurrent_inserts_of_one_user_id_let_exactly_one_in,
    a_graph_node_is_created_once_and_an_unknown_one_has_no_edges,
    which_nodes_exist_is_answered_in_the_order_asked,
    a_follow_shows_on_both_ends_and_an_unfollow_removes_both,
    following_again_is_a_no_op_and_keeps_the_first_timestamp,
    follows_with_an_unknown_end_change_nothing,
    followers_and_followees_are_listed_oldest_first,
    concurrent_follows_all_land_and_one_edge_is_made_once,
    concurrent_follows_and_unfollows_leave_both_ends_agreeing,
    a_post_reads_back_byte_for_byte,
    a_taken_post_id_is_refused_and_the_first_post_stays,
    posts_get_many_aligns_with_the_ids_asked,
    concurrent_inserts_of_distinct_posts_all_land,
    concurrent_inserts_of_one_post_id_let_exactly_one_in,
    the_post_cache_returns_what_was_put_or_nothing,
    user_timelines_keep_the_timeline_contract,
    home_timelines_keep_the_timeline_contract,
    user_and_home_timelines_are_separate,
    concurrent_appends_to_one_timeline_all_land,
    short_urls_expand_in_the_order_asked,
    a_taken_short_url_refuses_the_whole_batch,
    media_reads_back_byte_for_byte_and_an_id_is_stored_once,
    concurrent_puts_of_one_media_id_let_exactly_one_in,
);

// ---------------------------------------------------------------------------------------------
// Fixtures

/// Names in several scripts, with emoji and combining marks: stores must not normalise them.
const NAMES: [&str; 4] = ["Zoë", "Łukasz 🚀", "東京", "e\u{301}"];

fn user(n: u64, username: &str) -> User {
    User {
        user_id: format!("{}", 100_000 + n),
        username: username.to_owned(),
        first_name: NAMES[n as usize % NAMES.len()].to_owned(),
        last_name: format!("O’Brien-{n} مرحبا"),
        password: format!("{n:064x}"),
        salt: format!("salt-{n}"),
    }
}

/// A realistic Unix-milliseconds timestamp; `ms` apart from the base.
fn at(ms: u64) -> u64 {
    1_700_000_000_000 + ms
}

fn post(post_id: &str, timestamp: u64) -> Post {
    Post {
        post_id: post_id.to_owned(),
        req_id: format!("req-{post_id}"),
        creator: Creator {
            user_id: UserId::from_integer(100_001),
            username: "zoë".to_owned(),
        },
        text: format!("post {post_id}: héllo 世界 👋🏽 \u{202e}rtl\u{202c} @東京 http://sh.rt/x"),
        user_mentions: vec![UserMention {
            user_id: UserId::from_integer(100_002),
            username: "東京".to_owned(),
        }],
        media: vec![
            Media {
                media_id: "m1".to_owned(),
                media_type: "png".to_owned(),
            },
            Media {
                media_id: "m2".to_owned(),
                media_type: "jpg".to_owned(),
            },
        ],
        urls: vec![UrlDoc {
            expanded_url: "https://example.com/ünïcode?q=✓".to_owned(),
            shortened_url: "http://sh.rt/x".to_owned(),
        }],
        timestamp,
        post_type: 2,
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn edge(user_id: &str, timestamp: u64) -> FollowEdge {
    FollowEdge {
        user_id: user_id.to_owned(),
        timestamp,
    }
}

fn url(short: &str, expanded: &str) -> UrlDoc {
    UrlDoc {
        expanded_url: expanded.to_owned(),
        shortened_url: short.to_owned(),
    }
}

/// How many concurrent writers the concurrency contracts start.
const WRITERS: u64 = 16;

// ---------------------------------------------------------------------------------------------
// UserStore

async fn a_user_reads_back_by_username_and_by_id_byte_for_byte(stores: Stores) {
    let zoe = user(1, "zoë_🚀");
    assert_eq!(
        stores.users.insert(&zoe).await.unwrap(),
        InsertUser::Inserted
    );

    let by_name = stores.users.by_username("zoë_🚀").await.unwrap();
    assert_eq!(by_name.as_ref(), Some(&zoe));
    let by_id = stores.users.by_user_id(&zoe.user_id).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&zoe));
}

async fn a_taken_username_or_user_id_is_refused_and_the_first_user_stays(stores: Stores) {
    let first = user(1, "alice");
    assert_eq!(
        stores.users.insert(&first).await.unwrap(),
        InsertUser::Inserted
    );

    // Same username, another id.
    let same_name = user(2, "alice");
    assert_eq!(
        stores.users.insert(&same_name).await.unwrap(),
        InsertUser::UsernameTaken
    );
    // Same id, another username.
    let same_id = User {
        username: "bob".to_owned(),
        ..user(1, "")
    };
    assert_eq!(
        stores.users.insert(&same_id).await.unwrap(),
        InsertUser::UserIdTaken
    );

    assert_eq!(
        stores.users.by_username("alice").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        stores.users.by_user_id(&first.user_id).await.unwrap(),
        Some(first)
    );
    assert_eq!(stores.users.by_username("bob").await.unwrap(), None);
    assert_eq!(
        stores.users.by_user_id(&same_name.user_id).await.unwrap(),
        None
    );
}

async fn a_taken_username_or_user_id_is_told_the_username_first(stores: Stores) {
    let alice = user(1, "alice");
    let bob = user(2, "bob");
    for user in [&alice, &bob] {
        assert_eq!(
            stores.users.insert(user).await.unwrap(),
            InsertUser::Inserted
        );
    }
    let users = &stores.users;
    let free = user(3, "carol");
    assert_eq!(users.taken("carol", &free.user_id).await.unwrap(), None);
    let taken = users.taken("alice", &free.user_id).await.unwrap();
    assert_eq!(taken, Some(Taken::Username));
    let taken = users.taken("carol", &alice.user_id).await.unwrap();
    assert_eq!(taken, Some(Taken::UserId));
    // Both taken, by two users or by one: the username is named.
    let taken = users.taken("alice", &bob.user_id).await.unwrap();
    assert_eq!(taken, Some(Taken::Username));
    let taken = users.taken("alice", &alice.user_id).await.unwrap();
    assert_eq!(taken, Some(Taken::Username));
}

async fn a_password_is_replaced_for_its_user_only(stores: Stores) {
    let (zoe, yan) = (user(1, "zoë"), user(2, "yan"));
    for u in [&zoe, &yan] {
        stores.users.insert(u).await.unwrap();
    }
    let phc = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
    assert!(
        stores
            .users
            .set_password(&zoe.user_id, phc, "")
            .await
            .unwrap()
    );
    let read = stores
        .users
        .by_user_id(&zoe.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((read.password.as_str(), read.salt.as_str()), (phc, ""));
    let by_name = stores.users.by_username("zoë").await.unwrap().unwrap();
    assert_eq!(by_name.password, phc);
    assert_eq!(
        stores.users.by_username("yan").await.unwrap().as_ref(),
        Some(&yan)
    );
    let nobody = UserId::random();
    assert!(!stores.users.set_password(&nobody, phc, "").await.unwrap());
}

/// A user of the seed's format (DeathStarBench's data sets) logs in with its password; the
/// store then holds an Argon2id hash of it, which logs in too.
async fn a_seed_format_password_logs_in_and_is_upgraded_to_argon2id(stores: Stores) {
    use deathstar_handlers::auth::{AuthKey, hash_password};
    use deathstar_handlers::functions::user::{Login, LoginInput};
    use deathstar_handlers::{CallMeta, Registry};

    let salt = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".to_owned();
    let alice = User {
        password: hash_password("wonderland", &salt),
        salt,
        ..user(1, "alice")
    };
    stores.users.insert(&alice).await.unwrap();
    let registry = Registry::in_process(stores.clone(), AuthKey::new("k"))
        .with_passwords(deathstar_tests::cheap_passwords());
    let login = |password: &str| {
        let input = LoginInput {
            username: "alice".into(),
            password: password.into(),
        };
        let registry = registry.clone();
        async move { registry.call::<Login>(&CallMeta::root(), input).await }
    };
    assert_eq!(login("Wonderland").await.unwrap_err().http_status, 401);
    let unchanged = stores.users.by_username("alice").await.unwrap().unwrap();
    assert_eq!(unchanged, alice, "a failed login changes nothing");

    assert_eq!(login("wonderland").await.unwrap().user_id, alice.user_id);
    let upgraded = stores.users.by_username("alice").await.unwrap().unwrap();
    assert!(upgraded.password.starts_with("$argon2id$"), "{upgraded:?}");
    assert_eq!(upgraded.salt, "");
    assert_eq!(login("wonderland").await.unwrap().user_id, alice.user_id);
    assert_eq!(login("Wonderland").await.unwrap_err().http_status, 401);
}

async fn unknown_users_read_as_none(stores: Stores) {
    stores.users.insert(&user(1, "alice")).await.unwrap();
    assert_eq!(stores.users.by_username("Alice").await.unwrap(), None);
    assert_eq!(stores.users.by_username("").await.unwrap(), None);
    assert_eq!(stores.users.by_user_id("999999").await.unwrap(), None);
    assert_eq!(stores.users.by_usernames(&[]).await.unwrap(), Vec::new());
}

async fn users_by_usernames_are_the_known_ones_in_the_order_asked_each_once(stores: Stores) {
    let names = ["ann", "東京", "bob", "zoë"];
    for (n, name) in names.iter().enumerate() {
        stores.users.insert(&user(n as u64, name)).await.unwrap();
    }

    let asked = ids(&["zoë", "ghost", "ann", "東京", "zoë", "nobody", "bob"]);
    let found = stores.users.by_usernames(&asked).await.unwrap();
    let found: Vec<&str> = found.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(found, ["zoë", "ann", "東京", "bob"]);
}

async fn concurrent_inserts_of_distinct_users_all_land(stores: Stores) {
    let inserts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move { stores.users.insert(&user(n, &format!("user-{n}"))).await })
    });
    for outcome in join_all(inserts).await {
        assert_eq!(outcome.unwrap().unwrap(), InsertUser::Inserted);
    }
    let asked: Vec<String> = (0..WRITERS).map(|n| format!("user-{n}")).collect();
    assert_eq!(
        stores.users.by_usernames(&asked).await.unwrap().len(),
        WRITERS as usize
    );
}

async fn concurrent_inserts_of_one_username_let_exactly_one_in(stores: Stores) {
    let inserts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move { stores.users.insert(&user(n, "the-one")).await })
    });
    let outcomes: Vec<InsertUser> = join_all(inserts)
        .await
        .into_iter()
        .map(|o| o.unwrap().unwrap())
        .collect();
    let winners = outcomes
        .iter()
        .filter(|&&o| o == InsertUser::Inserted)
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|&o| matches!(o, InsertUser::Inserted | InsertUser::UsernameTaken)),
        "{outcomes:?}"
    );
    // The winner is the one stored, under its own id.
    let stored = stores.users.by_username("the-one").await.unwrap().unwrap();
    assert_eq!(
        stores.users.by_user_id(&stored.user_id).await.unwrap(),
        Some(stored)
    );
}

async fn concurrent_inserts_of_one_user_id_let_exactly_one_in(stores: Stores) {
    let inserts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        let same_id = User {
            username: format!("name-{n}"),
            ..user(7, "")
        };
        tokio::spawn(async move { stores.users.insert(&same_id).await })
    });
    let outcomes: Vec<InsertUser> = join_all(inserts)
        .await
        .into_iter()
        .map(|o| o.unwrap().unwrap())
        .collect();
    let winners = outcomes
        .iter()
        .filter(|&&o| o == InsertUser::Inserted)
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|&o| matches!(o, InsertUser::Inserted | InsertUser::UserIdTaken)),
        "{outcomes:?}"
    );
    // Only the winner's username leads to a user.
    let stored = stores
        .users
        .by_user_id(&user(7, "").user_id)
        .await
        .unwrap()
        .unwrap();
    let asked: Vec<String> = (0..WRITERS).map(|n| format!("name-{n}")).collect();
    assert_eq!(
        stores.users.by_usernames(&asked).await.unwrap(),
        vec![stored]
    );
}

// ---------------------------------------------------------------------------------------------
// SocialGraphStore

async fn a_graph_node_is_created_once_and_an_unknown_one_has_no_edges(stores: Stores) {
    let graph = &stores.social_graph;
    assert!(!graph.contains("1").await.unwrap());
    assert_eq!(graph.followers("1").await.unwrap(), None);
    assert_eq!(graph.followees("1").await.unwrap(), None);

    assert!(graph.insert_user("1").await.unwrap());
    assert!(
        !graph.insert_user("1").await.unwrap(),
        "a second insert says so"
    );
    assert!(graph.contains("1").await.unwrap());
    assert_eq!(graph.followers("1").await.unwrap(), Some(Vec::new()));
    assert_eq!(graph.followees("1").await.unwrap(), Some(Vec::new()));
}

async fn which_nodes_exist_is_answered_in_the_order_asked(stores: Stores) {
    let graph = &stores.social_graph;
    assert!(graph.insert_user("1").await.unwrap());
    assert!(graph.insert_user("3").await.unwrap());
    let asked: Vec<String> = ["3", "2", "1", "3", "4"].map(String::from).into();
    assert_eq!(
        graph.contains_many(&asked).await.unwrap(),
        [true, false, true, true, false]
    );
    assert!(graph.contains_many(&[]).await.unwrap().is_empty());
}

async fn a_follow_shows_on_both_ends_and_an_unfollow_removes_both(stores: Stores) {
    let graph = &stores.social_graph;
    for id in ["1", "2"] {
        graph.insert_user(id).await.unwrap();
    }
    assert_eq!(
        graph.follow("1", "2", at(5)).await.unwrap(),
        Follow::Followed
    );
    assert_eq!(
        graph.followees("1").await.unwrap(),
        Some(vec![edge("2", at(5))])
    );
    assert_eq!(
        graph.followers("2").await.unwrap(),
        Some(vec![edge("1", at(5))])
    );
    // Following is one way.
    assert_eq!(graph.followers("1").await.unwrap(), Some(Vec::new()));
    assert_eq!(graph.followees("2").await.unwrap(), Some(Vec::new()));

    assert_eq!(
        graph.unfollow("1", "2").await.unwrap(),
        Unfollow::Unfollowed
    );
    assert_eq!(
        graph.unfollow("1", "2").await.unwrap(),
        Unfollow::NotFollowing
    );
    assert_eq!(graph.followees("1").await.unwrap(), Some(Vec::new()));
    assert_eq!(graph.followers("2").await.unwrap(), Some(Vec::new()));

    // And the edge can be made again, with its new time.
    assert_eq!(
        graph.follow("1", "2", at(9)).await.unwrap(),
        Follow::Followed
    );
    assert_eq!(
        graph.followers("2").await.unwrap(),
        Some(vec![edge("1", at(9))])
    );
}

async fn following_again_is_a_no_op_and_keeps_the_first_timestamp(stores: Stores) {
    let graph = &stores.social_graph;
    for id in ["1", "2"] {
        graph.insert_user(id).await.unwrap();
    }
    assert_eq!(
        graph.follow("1", "2", at(1)).await.unwrap(),
        Follow::Followed
    );
    assert_eq!(
        graph.follow("1", "2", at(2)).await.unwrap(),
        Follow::AlreadyFollowing
    );
    assert_eq!(
        graph.followees("1").await.unwrap(),
        Some(vec![edge("2", at(1))])
    );
    assert_eq!(
        graph.followers("2").await.unwrap(),
        Some(vec![edge("1", at(1))])
    );
}

async fn follows_with_an_unknown_end_change_nothing(stores: Stores) {
    let graph = &stores.social_graph;
    graph.insert_user("1").await.unwrap();
    assert_eq!(
        graph.follow("ghost", "1", at(1)).await.unwrap(),
        Follow::UnknownUser
    );
    assert_eq!(
        graph.follow("1", "ghost", at(1)).await.unwrap(),
        Follow::UnknownFollowee
    );
    assert_eq!(
        graph.unfollow("ghost", "1").await.unwrap(),
        Unfollow::UnknownUser
    );
    assert_eq!(
        graph.unfollow("1", "ghost").await.unwrap(),
        Unfollow::UnknownFollowee
    );
    assert_eq!(graph.followers("1").await.unwrap(), Some(Vec::new()));
    assert_eq!(graph.followees("1").await.unwrap(), Some(Vec::new()));
    assert!(
        !graph.contains("ghost").await.unwrap(),
        "no node appears by a follow"
    );
}

async fn followers_and_followees_are_listed_oldest_first(stores: Stores) {
    let graph = &stores.social_graph;
    for id in ["hub", "a", "b", "c", "d"] {
        graph.insert_user(id).await.unwrap();
    }
    // Ids deliberately out of alphabetical order, so only time can order them.
    for (n, id) in ["c", "a", "d", "b"].iter().enumerate() {
        let t = at(10 * n as u64);
        assert_eq!(graph.follow(id, "hub", t).await.unwrap(), Follow::Followed);
        assert_eq!(
            graph.follow("hub", id, t + 1).await.unwrap(),
            Follow::Followed
        );
    }
    let followers = graph.followers("hub").await.unwrap().unwrap();
    assert_eq!(
        followers,
        vec![
            edge("c", at(0)),
            edge("a", at(10)),
            edge("d", at(20)),
            edge("b", at(30))
        ]
    );
    let followees = graph.followees("hub").await.unwrap().unwrap();
    assert_eq!(
        followees,
        vec![
            edge("c", at(1)),
            edge("a", at(11)),
            edge("d", at(21)),
            edge("b", at(31))
        ]
    );

    // An unfollow in the middle keeps the others' order.
    graph.unfollow("a", "hub").await.unwrap();
    let followers = graph.followers("hub").await.unwrap().unwrap();
    assert_eq!(
        followers,
        vec![edge("c", at(0)), edge("d", at(20)), edge("b", at(30))]
    );
}

async fn concurrent_follows_all_land_and_one_edge_is_made_once(stores: Stores) {
    let graph = &stores.social_graph;
    graph.insert_user("hub").await.unwrap();
    for n in 0..WRITERS {
        graph.insert_user(&format!("f{n}")).await.unwrap();
    }

    // Distinct followers of one node, at once: every edge lands on both ends.
    let follows = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move {
            stores
                .social_graph
                .follow(&format!("f{n}"), "hub", at(n))
                .await
        })
    });
    for outcome in join_all(follows).await {
        assert_eq!(outcome.unwrap().unwrap(), Follow::Followed);
    }
    let followers = graph.followers("hub").await.unwrap().unwrap();
    assert_eq!(followers.len(), WRITERS as usize, "{followers:?}");
    for n in 0..WRITERS {
        let followees = graph.followees(&format!("f{n}")).await.unwrap().unwrap();
        assert_eq!(followees, vec![edge("hub", at(n))]);
    }

    // The same edge, at once: made exactly once.
    let follows = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move { stores.social_graph.follow("hub", "f0", at(100 + n)).await })
    });
    let outcomes: Vec<Follow> = join_all(follows)
        .await
        .into_iter()
        .map(|o| o.unwrap().unwrap())
        .collect();
    let made = outcomes.iter().filter(|&&o| o == Follow::Followed).count();
    assert_eq!(made, 1, "{outcomes:?}");
    assert_eq!(graph.followees("hub").await.unwrap().unwrap().len(), 1);
    let f0_followers = graph.followers("f0").await.unwrap().unwrap();
    assert_eq!(f0_followers.len(), 1, "{f0_followers:?}");
}

/// Many edges made and unmade at once (each by its own task, in its own order): afterwards each
/// edge is on both of its ends or on neither, and the ones left are those last followed.
async fn concurrent_follows_and_unfollows_leave_both_ends_agreeing(stores: Stores) {
    const NODES: usize = 6;
    let graph = &stores.social_graph;
    for n in 0..NODES {
        graph.insert_user(&format!("n{n}")).await.unwrap();
    }
    let pairs: Vec<(usize, usize)> = (0..NODES)
        .flat_map(|a| (0..NODES).filter(move |&b| b != a).map(move |b| (a, b)))
        .collect();
    // Every edge: follow, unfollow, follow again; odd ones then unfollow once more.
    let tasks = pairs.iter().map(|&(a, b)| {
        let stores = stores.clone();
        tokio::spawn(async move {
            let (a_id, b_id) = (format!("n{a}"), format!("n{b}"));
            let graph = &stores.social_graph;
            let t = at((a * NODES + b) as u64);
            assert_eq!(
                graph.follow(&a_id, &b_id, t).await.unwrap(),
                Follow::Followed
            );
            assert_eq!(
                graph.unfollow(&a_id, &b_id).await.unwrap(),
                Unfollow::Unfollowed
            );
            assert_eq!(
                graph.follow(&a_id, &b_id, t).await.unwrap(),
                Follow::Followed
            );
            if (a + b) % 2 == 1 {
                assert_eq!(
                    graph.unfollow(&a_id, &b_id).await.unwrap(),
                    Unfollow::Unfollowed
                );
            }
        })
    });
    for task in join_all(tasks).await {
        task.unwrap();
    }

    for a in 0..NODES {
        let a_id = format!("n{a}");
        let followees = graph.followees(&a_id).await.unwrap().unwrap();
        let followers = graph.followers(&a_id).await.unwrap().unwrap();
        let expected = |edges: &[FollowEdge]| -> Vec<String> {
            let mut ids: Vec<String> = edges.iter().map(|e| e.user_id.clone()).collect();
            ids.sort();
            ids
        };
        let kept: Vec<String> = (0..NODES)
            .filter(|&b| b != a && (a + b) % 2 == 0)
            .map(|b| format!("n{b}"))
            .collect();
        assert_eq!(expected(&followees), kept, "followees of {a_id}");
        assert_eq!(expected(&followers), kept, "followers of {a_id}");
        // Both ends carry the same time.
        for edge in &followees {
            let theirs = graph.followers(&edge.user_id).await.unwrap().unwrap();
            assert!(theirs.contains(&FollowEdge {
                user_id: a_id.clone(),
                timestamp: edge.timestamp,
            }));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostStore

async fn a_post_reads_back_byte_for_byte(stores: Stores) {
    let original = post("p1", at(123));
    assert!(stores.posts.insert(&original).await.unwrap());
    let read = stores.posts.get_many(&ids(&["p1"])).await.unwrap();
    assert_eq!(read, vec![Some(Arc::new(original))]);

    // No mentions, media or URLs reads back as empty lists (not missing, not the seed's `{}`).
    let bare = Post {
        user_mentions: Vec::new(),
        media: Vec::new(),
        urls: Vec::new(),
        post_type: 0,
        ..post("p2", at(124))
    };
    assert!(stores.posts.insert(&bare).await.unwrap());
    let read = stores.posts.get_many(&ids(&["p2"])).await.unwrap();
    assert_eq!(read, vec![Some(Arc::new(bare))]);
}

async fn a_taken_post_id_is_refused_and_the_first_post_stays(stores: Stores) {
    let first = post("p1", at(1));
    assert!(stores.posts.insert(&first).await.unwrap());
    let imposter = Post {
        text: "another text".to_owned(),
        ..post("p1", at(2))
    };
    assert!(!stores.posts.insert(&imposter).await.unwrap());
    let read = stores.posts.get_many(&ids(&["p1"])).await.unwrap();
    assert_eq!(read, vec![Some(Arc::new(first))]);
}

async fn posts_get_many_aligns_with_the_ids_asked(stores: Stores) {
    for (n, id) in ["a", "b", "c"].iter().enumerate() {
        stores.posts.insert(&post(id, at(n as u64))).await.unwrap();
    }
    let asked = ids(&["c", "ghost", "a", "c", "", "b"]);
    let read = stores.posts.get_many(&asked).await.unwrap();
    let read: Vec<Option<&str>> = read
        .iter()
        .map(|p| p.as_ref().map(|p| p.post_id.as_str()))
        .collect();
    assert_eq!(
        read,
        [Some("c"), None, Some("a"), Some("c"), None, Some("b")]
    );
    assert!(stores.posts.get_many(&[]).await.unwrap().is_empty());
}

async fn concurrent_inserts_of_distinct_posts_all_land(stores: Stores) {
    let inserts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move { stores.posts.insert(&post(&format!("p{n}"), at(n))).await })
    });
    for outcome in join_all(inserts).await {
        assert!(outcome.unwrap().unwrap());
    }
    let asked: Vec<String> = (0..WRITERS).map(|n| format!("p{n}")).collect();
    let read = stores.posts.get_many(&asked).await.unwrap();
    assert!(read.iter().all(Option::is_some), "{read:?}");
}

async fn concurrent_inserts_of_one_post_id_let_exactly_one_in(stores: Stores) {
    let inserts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move { stores.posts.insert(&post("same", at(n))).await })
    });
    let winners: Vec<u64> = join_all(inserts)
        .await
        .into_iter()
        .zip(0..)
        .filter_map(|(won, n)| won.unwrap().unwrap().then_some(n))
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let read = stores.posts.get_many(&ids(&["same"])).await.unwrap();
    assert_eq!(read[0].as_ref().unwrap().timestamp, at(winners[0]));
}

// ---------------------------------------------------------------------------------------------
// PostCache

/// A cache may forget (the embedded store's holds nothing at all: its posts are in memory), so
/// the contract is: answers align with the ids asked, and a hit is exactly the post put.
async fn the_post_cache_returns_what_was_put_or_nothing(stores: Stores) {
    let cache = &stores.post_cache;
    let posts: Vec<Arc<Post>> = ["a", "b", "東京"]
        .iter()
        .zip(0..)
        .map(|(id, n)| Arc::new(post(id, at(n))))
        .collect();
    cache.put_many(&posts).await.unwrap();
    cache.put_many(&[]).await.unwrap();

    let asked = ids(&["東京", "ghost", "a", "b", "a"]);
    let read = cache.get_many(&asked).await.unwrap();
    assert_eq!(read.len(), asked.len());
    for (hit, id) in read.iter().zip(&asked) {
        if let Some(hit) = hit {
            let put = posts.iter().find(|p| &p.post_id == id);
            assert_eq!(Some(hit), put, "asked {id}");
        }
    }
    assert!(read[1].is_none(), "never put, never a hit");
    assert!(cache.get_many(&[]).await.unwrap().is_empty());

    // Putting a post again (a refill after a miss) leaves it as it is.
    cache.put_many(&posts[..1]).await.unwrap();
    let again = cache.get_many(&ids(&["a"])).await.unwrap();
    assert!(again[0].as_ref().is_none_or(|p| *p == posts[0]));
}

// ---------------------------------------------------------------------------------------------
// TimelineStore (user and home timelines keep the same contract)

async fn user_timelines_keep_the_timeline_contract(stores: Stores) {
    timeline_contract(stores.user_timelines.as_ref()).await;
}

async fn home_timelines_keep_the_timeline_contract(stores: Stores) {
    timeline_contract(stores.home_timelines.as_ref()).await;
}

async fn timeline_contract(timelines: &dyn TimelineStore) {
    let everyone = ids(&["ann", "bob", "東京"]);
    let range = |owner: &'static str, start, stop| async move {
        timelines.range(owner, start, stop).await.unwrap()
    };

    // An owner never written to has an empty timeline.
    assert!(range("ann", 0, 10).await.is_empty());
    assert!(timelines.entries("ann").await.unwrap().is_empty());

    // One append reaches every owner named, and only them.
    timelines.append(&everyone, "p1", at(10)).await.unwrap();
    timelines
        .append(&ids(&["ann"]), "p2", at(20))
        .await
        .unwrap();
    timelines.append(&[], "nobody's", at(25)).await.unwrap();
    assert_eq!(range("ann", 0, 10).await, ["p2", "p1"]);
    assert_eq!(range("bob", 0, 10).await, ["p1"]);
    assert_eq!(range("東京", 0, 10).await, ["p1"]);
    assert!(range("carl", 0, 10).await.is_empty());

    // Appends after a read (with Redis: once the cached copy is whole) still land in order,
    // including one older than what is there (a delayed fan-out) and ties on the timestamp,
    // which are ordered by post id, descending (Redis's ZREVRANGE order).
    timelines.append(&everyone, "p4", at(40)).await.unwrap();
    timelines.append(&ids(&["ann"]), "p0", at(5)).await.unwrap();
    timelines
        .append(&ids(&["ann"]), "p3a", at(30))
        .await
        .unwrap();
    timelines
        .append(&ids(&["ann"]), "p3b", at(30))
        .await
        .unwrap();
    let whole = ["p4", "p3b", "p3a", "p2", "p1", "p0"];
    assert_eq!(range("ann", 0, 100).await, whole);
    assert_eq!(range("bob", 0, 100).await, ["p4", "p1"]);

    // Re-appending a post (a retried fan-out) adds nothing and moves nothing.
    timelines.append(&everyone, "p1", at(10)).await.unwrap();
    timelines
        .append(&ids(&["ann"]), "p4", at(40))
        .await
        .unwrap();
    assert_eq!(range("ann", 0, 100).await, whole);
    assert_eq!(range("bob", 0, 100).await, ["p4", "p1"]);

    // Pages are positions start..stop of that order.
    assert_eq!(range("ann", 0, 2).await, whole[0..2]);
    assert_eq!(range("ann", 2, 5).await, whole[2..5]);
    assert_eq!(range("ann", 5, 6).await, whole[5..6]);
    assert_eq!(range("ann", 4, 100).await, whole[4..]);
    // "To the end" asked with the largest stop there is (no wrap to a negative index).
    assert_eq!(range("ann", 0, usize::MAX).await, whole);
    assert_eq!(range("ann", 2, usize::MAX - 1).await, whole[2..]);
    // Past the end, and empty or reversed pages, are empty.
    assert!(range("ann", 6, 10).await.is_empty());
    assert!(range("ann", 1000, 2000).await.is_empty());
    assert!(range("ann", 3, 3).await.is_empty(), "an empty page");
    assert!(range("ann", 0, 0).await.is_empty(), "an empty first page");
    assert!(range("ann", 4, 2).await.is_empty(), "a reversed page");

    // The whole timeline with times, newest first: what a cache is rebuilt from.
    let entries = timelines.entries("ann").await.unwrap();
    let expected: Vec<TimelineEntry> = [
        ("p4", 40),
        ("p3b", 30),
        ("p3a", 30),
        ("p2", 20),
        ("p1", 10),
        ("p0", 5),
    ]
    .iter()
    .map(|&(post_id, ms)| TimelineEntry {
        post_id: post_id.to_owned(),
        timestamp: at(ms),
    })
    .collect();
    assert_eq!(entries, expected);
}

async fn user_and_home_timelines_are_separate(stores: Stores) {
    let ann = ids(&["ann"]);
    stores
        .user_timelines
        .append(&ann, "mine", at(1))
        .await
        .unwrap();
    stores
        .home_timelines
        .append(&ann, "theirs", at(2))
        .await
        .unwrap();
    assert_eq!(
        stores.user_timelines.range("ann", 0, 10).await.unwrap(),
        ["mine"]
    );
    assert_eq!(
        stores.home_timelines.range("ann", 0, 10).await.unwrap(),
        ["theirs"]
    );
}

async fn concurrent_appends_to_one_timeline_all_land(stores: Stores) {
    let owners = ids(&["ann", "bob"]);
    let appends = (0..WRITERS).map(|n| {
        let (stores, owners) = (stores.clone(), owners.clone());
        tokio::spawn(async move {
            stores
                .home_timelines
                .append(&owners, &format!("p{n:02}"), at(n))
                .await
        })
    });
    for outcome in join_all(appends).await {
        outcome.unwrap().unwrap();
    }
    let expected: Vec<String> = (0..WRITERS).rev().map(|n| format!("p{n:02}")).collect();
    for owner in &owners {
        let read = stores.home_timelines.range(owner, 0, 100).await.unwrap();
        assert_eq!(read, expected, "{owner}");
    }
}

// ---------------------------------------------------------------------------------------------
// ShortUrlStore

async fn short_urls_expand_in_the_order_asked(stores: Stores) {
    let urls = &stores.short_urls;
    let batch = [
        url("http://sh.rt/a", "https://example.com/ä?x=1"),
        url("http://sh.rt/b", "https://例え.jp/パス"),
    ];
    assert_eq!(urls.insert_many(&batch).await.unwrap(), None);
    assert_eq!(urls.insert_many(&[]).await.unwrap(), None);

    let asked = ids(&[
        "http://sh.rt/b",
        "http://sh.rt/nope",
        "http://sh.rt/a",
        "http://sh.rt/b",
    ]);
    let expanded = urls.expand_many(&asked).await.unwrap();
    assert_eq!(
        expanded,
        [
            Some(batch[1].expanded_url.clone()),
            None,
            Some(batch[0].expanded_url.clone()),
            Some(batch[1].expanded_url.clone()),
        ]
    );
    assert!(urls.expand_many(&[]).await.unwrap().is_empty());
}

async fn a_taken_short_url_refuses_the_whole_batch(stores: Stores) {
    let urls = &stores.short_urls;
    let taken = url("http://sh.rt/taken", "https://first.example/");
    assert_eq!(
        urls.insert_many(std::slice::from_ref(&taken))
            .await
            .unwrap(),
        None
    );

    // The clash is not first in the batch: the answer must name the short URL that clashed.
    let batch = [
        url("http://sh.rt/new1", "https://new.example/1"),
        url("http://sh.rt/taken", "https://second.example/"),
        url("http://sh.rt/new2", "https://new.example/2"),
    ];
    assert_eq!(
        urls.insert_many(&batch).await.unwrap(),
        Some("http://sh.rt/taken".to_owned())
    );
    let asked = ids(&[
        "http://sh.rt/new1",
        "http://sh.rt/taken",
        "http://sh.rt/new2",
    ]);
    assert_eq!(
        urls.expand_many(&asked).await.unwrap(),
        [None, Some(taken.expanded_url.clone()), None],
        "none of the batch is stored, and the first mapping stays"
    );

    // A short URL twice in one batch clashes with itself.
    let repeated = [
        url("http://sh.rt/twice", "https://one.example/"),
        url("http://sh.rt/twice", "https://two.example/"),
    ];
    assert_eq!(
        urls.insert_many(&repeated).await.unwrap(),
        Some("http://sh.rt/twice".to_owned())
    );
    assert_eq!(
        urls.expand_many(&ids(&["http://sh.rt/twice"]))
            .await
            .unwrap(),
        [None]
    );

    // Concurrent batches claiming one short URL: exactly one wins.
    let claims = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move {
            let claim = url("http://sh.rt/race", &format!("https://{n}.example/"));
            stores.short_urls.insert_many(&[claim]).await
        })
    });
    let outcomes: Vec<Option<String>> = join_all(claims)
        .await
        .into_iter()
        .map(|o| o.unwrap().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.is_none()).count(),
        1,
        "{outcomes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// MediaStore

async fn media_reads_back_byte_for_byte_and_an_id_is_stored_once(stores: Stores) {
    let file = MediaFile {
        media_id: "m-1".to_owned(),
        media_type: "png".to_owned(),
        content_type: "image/png".to_owned(),
        // Not UTF-8, with NULs: stored as bytes, not text.
        bytes: [0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, 0, 0x80]
            .into_iter()
            .chain((0..=255u8).cycle().take(70_000))
            .collect(),
    };
    assert!(stores.media.put(&file).await.unwrap());
    assert_eq!(stores.media.get("m-1").await.unwrap(), Some(file.clone()));

    let other = MediaFile {
        bytes: b"other".to_vec(),
        ..file.clone()
    };
    assert!(
        !stores.media.put(&other).await.unwrap(),
        "a second put says so"
    );
    assert_eq!(stores.media.get("m-1").await.unwrap(), Some(file));
    assert_eq!(stores.media.get("m-2").await.unwrap(), None);

    let empty = MediaFile {
        media_id: "m-empty".to_owned(),
        media_type: "gif".to_owned(),
        content_type: "image/gif".to_owned(),
        bytes: Vec::new(),
    };
    assert!(stores.media.put(&empty).await.unwrap());
    assert_eq!(stores.media.get("m-empty").await.unwrap(), Some(empty));
}

async fn concurrent_puts_of_one_media_id_let_exactly_one_in(stores: Stores) {
    let puts = (0..WRITERS).map(|n| {
        let stores = stores.clone();
        tokio::spawn(async move {
            let file = MediaFile {
                media_id: "contested".to_owned(),
                media_type: "png".to_owned(),
                content_type: "image/png".to_owned(),
                bytes: vec![n as u8; 64],
            };
            stores.media.put(&file).await
        })
    });
    let winners: Vec<u8> = join_all(puts)
        .await
        .into_iter()
        .zip(0..)
        .filter_map(|(won, n)| won.unwrap().unwrap().then_some(n))
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = stores.media.get("contested").await.unwrap().unwrap();
    assert_eq!(
        stored.bytes,
        vec![winners[0]; 64],
        "the winner's bytes are the ones kept"
    );
}
