//! Request parameters, generated exactly as DeathStarBench's wrk2 scripts do (WORKLOAD.md §2–3):
//! users uniform in `[0, users)`, timeline windows `start` uniform in `[0, 100]` with
//! `stop = start + 10`, compose posts of 256 alphanumeric characters plus 1–6 mentions of other
//! users, 1–6 URLs and 1–5 media, and the 60/30/10 mixed workload. Randomness comes from a
//! seeded [`SmallRng`], so a seed reproduces a run's requests.

use clap::ValueEnum;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// The 62-symbol alphabet of the scripts' `stringRandom`.
pub const ALNUM: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Length of a compose post's base text.
pub const TEXT_LEN: usize = 256;
/// Length of the random part of each URL (` http://` + this many characters).
pub const URL_LEN: usize = 64;
/// Digits of a media id.
pub const MEDIA_ID_LEN: usize = 18;
/// Largest timeline `start`; `stop` is always `start + TIMELINE_WINDOW`.
pub const MAX_START: u64 = 100;
pub const TIMELINE_WINDOW: u64 = 10;

/// What `run` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// 60 % home timeline, 30 % user timeline, 10 % compose (`mixed-workload.lua`).
    Mixed,
    /// Compose posts only (`compose-post.lua`).
    Compose,
    /// Home timeline reads only (`read-home-timeline.lua`).
    HomeTimeline,
    /// User timeline reads only (`read-user-timeline.lua`).
    UserTimeline,
    /// `GET /healthz` only: the server's HTTP ceiling, and the driver's own.
    Healthz,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Mixed => "mixed",
            Workload::Compose => "compose",
            Workload::HomeTimeline => "home-timeline",
            Workload::UserTimeline => "user-timeline",
            Workload::Healthz => "healthz",
        }
    }
}

/// The three request types, for per-type statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    HomeTimeline,
    UserTimeline,
    Compose,
    Healthz,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::HomeTimeline,
        Kind::UserTimeline,
        Kind::Compose,
        Kind::Healthz,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::HomeTimeline => "home-timeline",
            Kind::UserTimeline => "user-timeline",
            Kind::Compose => "compose",
            Kind::Healthz => "healthz",
        }
    }
}

/// A timeline read: positions `start` (inclusive) to `stop` (exclusive) of `user`'s timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineParams {
    pub user: u64,
    pub start: u64,
    pub stop: u64,
}

impl TimelineParams {
    /// The query string in the scripts' order: `user_id`, `start`, `stop`.
    pub fn query(&self) -> String {
        format!(
            "user_id={}&start={}&stop={}",
            self.user, self.start, self.stop
        )
    }
}

/// A post: its author `user` (username `username_<user>`), the full text (base text, then
/// mentions, then URLs) and the media; `post_type` is always 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeParams {
    pub user: u64,
    pub text: String,
    pub media_ids: Vec<String>,
    pub media_types: Vec<String>,
}

pub const POST_TYPE: u8 = 0;

/// `username_<i>`: DeathStarBench's username of user `i`.
pub fn username(i: u64) -> String {
    format!("username_{i}")
}

/// A JSON array of strings without escaping (the values are digits and `png`), as the script
/// builds it: `["a","b"]`.
fn json_list(items: &[String]) -> String {
    let mut s = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(item);
        s.push('"');
    }
    s.push(']');
    s
}

impl ComposeParams {
    pub fn username(&self) -> String {
        username(self.user)
    }

    pub fn media_ids_json(&self) -> String {
        json_list(&self.media_ids)
    }

    pub fn media_types_json(&self) -> String {
        json_list(&self.media_types)
    }

    /// The `/wrk2-api/post/compose` form body, byte for byte as `compose-post.lua` builds it:
    /// fields `username, user_id, text, media_ids, media_types, post_type` in that order and
    /// nothing percent-encoded (raw spaces, `@`, `:`, `/`, `"`, `[`, `]`, `,`).
    pub fn form_body(&self) -> String {
        format!(
            "username={}&user_id={}&text={}&media_ids={}&media_types={}&post_type={}",
            self.username(),
            self.user,
            self.text,
            self.media_ids_json(),
            self.media_types_json(),
            POST_TYPE
        )
    }
}

/// One request's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    HomeTimeline(TimelineParams),
    UserTimeline(TimelineParams),
    Compose(ComposeParams),
    Healthz,
}

impl Request {
    pub fn kind(&self) -> Kind {
        match self {
            Request::HomeTimeline(_) => Kind::HomeTimeline,
            Request::UserTimeline(_) => Kind::UserTimeline,
            Request::Compose(_) => Kind::Compose,
            Request::Healthz => Kind::Healthz,
        }
    }
}

/// `n` characters drawn uniformly from [`ALNUM`].
pub fn random_alnum(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
        .collect()
}

/// `n` decimal digits, leading zeros allowed (the scripts' `decRandom`).
pub fn random_digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// The parameter generator of one run.
#[derive(Debug, Clone)]
pub struct Generator {
    users: u64,
    rng: SmallRng,
}

impl Generator {
    /// `users` ≥ 2 (a mention must name someone other than the poster).
    pub fn new(users: u64, seed: u64) -> Self {
        assert!(users >= 2, "the generator needs at least 2 users");
        Generator {
            users,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    pub fn users(&self) -> u64 {
        self.users
    }

    /// The next request of `workload`. Mixed draws one uniform `x` per request: `x < 0.6` home
    /// timeline, `x < 0.9` user timeline, else compose.
    pub fn next(&mut self, workload: Workload) -> Request {
        match workload {
            Workload::HomeTimeline => Request::HomeTimeline(self.timeline()),
            Workload::UserTimeline => Request::UserTimeline(self.timeline()),
            Workload::Compose => Request::Compose(self.compose()),
            Workload::Healthz => Request::Healthz,
            Workload::Mixed => {
                let x: f64 = self.rng.random();
                if x < 0.6 {
                    Request::HomeTimeline(self.timeline())
                } else if x < 0.9 {
                    Request::UserTimeline(self.timeline())
                } else {
                    Request::Compose(self.compose())
                }
            }
        }
    }

    /// A timeline window: user uniform in `[0, users)`, `start` uniform in `[0, 100]`,
    /// `stop = start + 10`.
    pub fn timeline(&mut self) -> TimelineParams {
        let user = self.rng.random_range(0..self.users);
        let start = self.rng.random_range(0..=MAX_START);
        TimelineParams {
            user,
            start,
            stop: start + TIMELINE_WINDOW,
        }
    }

    /// A post by a user uniform in `[0, users)`.
    pub fn compose(&mut self) -> ComposeParams {
        let user = self.rng.random_range(0..self.users);
        self.compose_by(user)
    }

    /// A post by `user`: 256 random alphanumerics; 1–6 mentions ` @username_<j>`, each `j`
    /// uniform and redrawn while it is the poster (repeats allowed); 1–6 URLs ` http://` + 64
    /// alphanumerics; 1–5 media ids of 18 digits, all of type `png`.
    pub fn compose_by(&mut self, user: u64) -> ComposeParams {
        let rng = &mut self.rng;
        let mut text = random_alnum(rng, TEXT_LEN);
        let mentions = rng.random_range(0..=5) + 1;
        for _ in 0..mentions {
            let mut j = rng.random_range(0..self.users);
            while j == user {
                j = rng.random_range(0..self.users);
            }
            text.push_str(" @username_");
            text.push_str(&j.to_string());
        }
        let urls = rng.random_range(0..=5) + 1;
        for _ in 0..urls {
            text.push_str(" http://");
            text.push_str(&random_alnum(rng, URL_LEN));
        }
        let media = rng.random_range(0..=4) + 1;
        let media_ids = (0..media)
            .map(|_| random_digits(rng, MEDIA_ID_LEN))
            .collect();
        ComposeParams {
            user,
            text,
            media_ids,
            media_types: vec!["png".to_string(); media],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAWS: usize = 100_000;

    /// Splits a generated text into its base, mentions and URLs, checking the layout.
    fn parts(text: &str) -> (&str, Vec<u64>, Vec<&str>) {
        let base = &text[..TEXT_LEN];
        let mut mentions = Vec::new();
        let mut urls = Vec::new();
        let rest = &text[TEXT_LEN..];
        assert!(rest.starts_with(' '), "{rest:?}");
        for token in rest[1..].split(' ') {
            if let Some(name) = token.strip_prefix("@username_") {
                assert!(urls.is_empty(), "mentions come before URLs: {text}");
                mentions.push(name.parse().unwrap());
            } else if let Some(url) = token.strip_prefix("http://") {
                urls.push(url);
            } else {
                panic!("unexpected token {token:?}");
            }
        }
        (base, mentions, urls)
    }

    fn assert_share(name: &str, count: usize, total: usize, expected: f64, tolerance: f64) {
        let share = count as f64 / total as f64;
        assert!(
            (share - expected).abs() <= tolerance,
            "{name}: share {share:.4}, expected {expected:.4} ± {tolerance}"
        );
    }

    #[test]
    fn mixed_shares_are_60_30_10() {
        let mut g = Generator::new(962, 7);
        let mut counts = [0usize; 3];
        for _ in 0..DRAWS {
            counts[g.next(Workload::Mixed).kind().index()] += 1;
        }
        assert_share("home", counts[0], DRAWS, 0.6, 0.01);
        assert_share("user", counts[1], DRAWS, 0.3, 0.01);
        assert_share("compose", counts[2], DRAWS, 0.1, 0.01);
    }

    #[test]
    fn single_workloads_send_only_their_kind() {
        let mut g = Generator::new(10, 1);
        for (w, k) in [
            (Workload::Compose, Kind::Compose),
            (Workload::HomeTimeline, Kind::HomeTimeline),
            (Workload::UserTimeline, Kind::UserTimeline),
        ] {
            assert!((0..1000).all(|_| g.next(w).kind() == k));
        }
    }

    #[test]
    fn timeline_windows_and_users() {
        let users = 50;
        let mut g = Generator::new(users, 2);
        let mut starts = [0usize; 101];
        let mut seen_users = vec![0usize; users as usize];
        for _ in 0..DRAWS {
            let t = g.timeline();
            assert!(t.start <= 100, "{t:?}");
            assert_eq!(t.stop, t.start + 10);
            assert!(t.user < users);
            starts[t.start as usize] += 1;
            seen_users[t.user as usize] += 1;
        }
        // Both ends of the inclusive range occur, and every value about 1/101 of the time.
        for (s, &c) in starts.iter().enumerate() {
            assert_share(&format!("start {s}"), c, DRAWS, 1.0 / 101.0, 0.003);
        }
        for (u, &c) in seen_users.iter().enumerate() {
            assert_share(&format!("user {u}"), c, DRAWS, 1.0 / 50.0, 0.004);
        }
        assert_eq!(
            TimelineParams {
                user: 3,
                start: 40,
                stop: 50
            }
            .query(),
            "user_id=3&start=40&stop=50"
        );
    }

    #[test]
    fn compose_counts_text_and_mentions() {
        let users = 5;
        let mut g = Generator::new(users, 3);
        let mut mention_counts = [0usize; 7];
        let mut url_counts = [0usize; 7];
        let mut media_counts = [0usize; 6];
        let mut posters = [0usize; 5];
        for _ in 0..DRAWS {
            let p = g.compose();
            posters[p.user as usize] += 1;
            let (base, mentions, urls) = parts(&p.text);
            assert_eq!(base.len(), 256);
            assert!(base.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(
                mentions.iter().all(|&m| m != p.user && m < users),
                "{mentions:?} by {}",
                p.user
            );
            for url in &urls {
                assert_eq!(url.len(), 64);
                assert!(url.bytes().all(|b| b.is_ascii_alphanumeric()));
            }
            assert_eq!(p.media_ids.len(), p.media_types.len());
            for id in &p.media_ids {
                assert_eq!(id.len(), 18);
                assert!(id.bytes().all(|b| b.is_ascii_digit()));
            }
            assert!(p.media_types.iter().all(|t| t == "png"));
            mention_counts[mentions.len()] += 1;
            url_counts[urls.len()] += 1;
            media_counts[p.media_ids.len()] += 1;
        }
        assert_eq!(mention_counts[0], 0);
        assert_eq!(url_counts[0], 0);
        assert_eq!(media_counts[0], 0);
        for n in 1..=6 {
            assert_share(
                &format!("{n} mentions"),
                mention_counts[n],
                DRAWS,
                1.0 / 6.0,
                0.01,
            );
            assert_share(&format!("{n} urls"), url_counts[n], DRAWS, 1.0 / 6.0, 0.01);
        }
        for (n, &count) in media_counts.iter().enumerate().skip(1) {
            assert_share(&format!("{n} media"), count, DRAWS, 1.0 / 5.0, 0.01);
        }
        for (u, &c) in posters.iter().enumerate() {
            assert_share(&format!("poster {u}"), c, DRAWS, 0.2, 0.01);
        }
    }

    #[test]
    fn alphabet_is_used_uniformly() {
        let mut rng = SmallRng::seed_from_u64(4);
        let s = random_alnum(&mut rng, 620_000);
        let mut counts = std::collections::HashMap::new();
        for c in s.chars() {
            *counts.entry(c).or_insert(0usize) += 1;
        }
        assert_eq!(counts.len(), 62);
        for (c, n) in counts {
            assert!((9_000..11_000).contains(&n), "{c}: {n}");
        }
        let d = random_digits(&mut rng, 100_000);
        assert!(d.starts_with(|c: char| c.is_ascii_digit()));
        for digit in '0'..='9' {
            let n = d.chars().filter(|&c| c == digit).count();
            assert!((9_000..11_000).contains(&n), "{digit}: {n}");
        }
    }

    #[test]
    fn two_users_mention_only_each_other() {
        let mut g = Generator::new(2, 5);
        for _ in 0..1000 {
            let p = g.compose();
            let (_, mentions, _) = parts(&p.text);
            assert!(mentions.iter().all(|&m| m == 1 - p.user));
        }
    }

    #[test]
    fn compose_body_field_order_without_percent_encoding() {
        let p = ComposeParams {
            user: 7,
            text: "abc @username_3 http://xyz".into(),
            media_ids: vec!["012345678901234567".into(), "999999999999999999".into()],
            media_types: vec!["png".into(), "png".into()],
        };
        assert_eq!(
            p.form_body(),
            "username=username_7&user_id=7&text=abc @username_3 http://xyz\
             &media_ids=[\"012345678901234567\",\"999999999999999999\"]\
             &media_types=[\"png\",\"png\"]&post_type=0"
        );
        // Generated bodies: six fields in order, no percent-encoding, no `+`, `=` or `&` inside
        // values (so DSB's split on `&` / `=` is safe).
        let mut g = Generator::new(962, 6);
        for _ in 0..1000 {
            let p = g.compose();
            let body = p.form_body();
            assert!(!body.contains('%') && !body.contains('+'));
            let fields: Vec<(&str, &str)> = body
                .split('&')
                .map(|kv| kv.split_once('=').unwrap())
                .collect();
            let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
            assert_eq!(
                names,
                [
                    "username",
                    "user_id",
                    "text",
                    "media_ids",
                    "media_types",
                    "post_type"
                ]
            );
            assert!(fields.iter().all(|(_, v)| !v.contains('=')));
            assert_eq!(fields[2].1, p.text);
            assert!(fields[2].1.contains(" @username_") && fields[2].1.contains(" http://"));
            let ids: Vec<String> = serde_json::from_str(fields[3].1).unwrap();
            assert_eq!(ids, p.media_ids);
            let types: Vec<String> = serde_json::from_str(fields[4].1).unwrap();
            assert_eq!(types.len(), ids.len());
            assert_eq!(fields[5].1, "0");
        }
    }

    #[test]
    fn a_seed_reproduces_the_requests() {
        let mut a = Generator::new(962, 42);
        let mut b = Generator::new(962, 42);
        let mut c = Generator::new(962, 43);
        let ra: Vec<Request> = (0..100).map(|_| a.next(Workload::Mixed)).collect();
        let rb: Vec<Request> = (0..100).map(|_| b.next(Workload::Mixed)).collect();
        let rc: Vec<Request> = (0..100).map(|_| c.next(Workload::Mixed)).collect();
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
    }
}
