//! `init-graph`: loads a social graph the way DeathStarBench's `init_social_graph.py` does, in
//! three phases run one after the other — register every user `i`, make every edge a mutual
//! follow by username, then (optionally) compose posts — with at most `concurrency` requests in
//! flight (a semaphore), a progress bar per phase, and per phase the count of successes and of
//! failures by HTTP status or transport error. Failures are never hidden: each kind is counted,
//! the first reply of each kind is shown, and the command exits non-zero if any request failed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use reqwest::RequestBuilder;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::args::InitArgs;
use crate::client::ApiClient;
use crate::dataset::{self, Graph};
use crate::report::api_name;
use crate::workload::Generator;

/// The outcome of one phase.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PhaseTally {
    pub phase: String,
    pub requests: u64,
    pub ok: u64,
    /// Failures by kind: `HTTP 409`, `timeout`, `connect`…
    pub failures: BTreeMap<String, u64>,
    /// The first reply (or error) of each failure kind, shortened.
    pub samples: BTreeMap<String, String>,
}

impl PhaseTally {
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    fn add(&mut self, outcome: Result<(u16, bytes::Bytes), String>) {
        self.requests += 1;
        let (kind, sample) = match outcome {
            Ok((status, _)) if (200..300).contains(&status) => {
                self.ok += 1;
                return;
            }
            Ok((status, body)) => (
                format!("HTTP {status}"),
                String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            ),
            Err(class) => (class.clone(), format!("transport error: {class}")),
        };
        *self.failures.entry(kind.clone()).or_default() += 1;
        self.samples.entry(kind).or_insert(sample);
    }
}

/// Runs `requests` with at most `concurrency` in flight, counting outcomes.
async fn phase(
    client: &Arc<ApiClient>,
    name: &str,
    total: u64,
    concurrency: usize,
    requests: impl Iterator<Item = RequestBuilder>,
) -> PhaseTally {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>8} [{wide_bar}] {pos}/{len} {rate} eta {eta} {msg}")
            .expect("valid template")
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", s.per_sec());
            })
            .progress_chars("=> "),
    );
    pb.set_prefix(name.to_string());
    let tally = Arc::new(Mutex::new(PhaseTally {
        phase: name.to_string(),
        ..Default::default()
    }));
    let permits = Arc::new(Semaphore::new(concurrency));
    for request in requests {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let tally = tally.clone();
        let pb = pb.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let outcome = client.execute(request).await;
            let failed = {
                let mut t = tally.lock().expect("tally lock");
                t.add(outcome);
                t.failed()
            };
            if failed > 0 {
                pb.set_message(format!("{failed} failed"));
            }
            pb.inc(1);
            // Released only once counted: getting every permit back means every outcome is in.
            drop(permit);
        });
    }
    // Every request holds a permit until it is done: all permits back = all done.
    let _all = permits
        .acquire_many(concurrency as u32)
        .await
        .expect("the semaphore is never closed");
    pb.finish();
    let mut t = tally.lock().expect("tally lock").clone();
    if t.requests < total {
        // A task that panicked never reported; count it rather than lose it.
        *t.failures.entry("lost (task panicked)".into()).or_default() += total - t.requests;
        t.requests = total;
    }
    t
}

/// The result table: one line per phase, then the first reply of each failure kind.
pub fn render(tallies: &[PhaseTally]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<9} {:>9} {:>9} {:>9}  failures",
        "phase", "requests", "ok", "failed"
    );
    for t in tallies {
        let failures = if t.failures.is_empty() {
            "-".to_string()
        } else {
            t.failures
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            o,
            "{:<9} {:>9} {:>9} {:>9}  {}",
            t.phase,
            t.requests,
            t.ok,
            t.failed(),
            failures
        );
    }
    for t in tallies {
        for (kind, sample) in &t.samples {
            let _ = writeln!(o, "first {} failure ({kind}): {}", t.phase, sample.trim());
        }
    }
    o
}

/// Loads the graph at `args.dataset` into `args.target`. Returns each phase's tally.
pub async fn init_graph(args: &InitArgs) -> Result<(Graph, Vec<PhaseTally>)> {
    let graph = dataset::load(&args.dataset)?;
    let client = Arc::new(ApiClient::new(
        &args.target,
        args.api,
        args.concurrency,
        args.timeout,
    )?);
    let shown = std::fs::canonicalize(&args.dataset).unwrap_or_else(|_| args.dataset.clone());
    eprintln!(
        "{}: {} users, {} edges ({} follows), {} posts per user; {} API at {}, {} in flight",
        shown.display(),
        graph.nodes,
        graph.edges.len(),
        2 * graph.edges.len(),
        args.posts_per_user,
        api_name(args.api),
        args.target,
        args.concurrency
    );
    let mut tallies = Vec::new();
    if !args.posts_only {
        load_graph(&client, &graph, args, &mut tallies).await;
    }
    if args.posts_per_user > 0 {
        if graph.nodes < 2 {
            anyhow::bail!("composing posts needs at least 2 users (posts mention other users)");
        }
        let mut generator = Generator::new(graph.nodes, args.seed);
        let per_user = args.posts_per_user;
        let posts = (0..graph.nodes).flat_map(|i| (0..per_user).map(move |_| i));
        tallies.push(
            phase(
                &client,
                "compose",
                graph.nodes * per_user,
                args.concurrency,
                posts.map(|i| client.compose(&generator.compose_by(i))),
            )
            .await,
        );
    }
    Ok((graph, tallies))
}

/// Registers every user, then adds every edge both ways.
async fn load_graph(
    client: &Arc<ApiClient>,
    graph: &Graph,
    args: &InitArgs,
    tallies: &mut Vec<PhaseTally>,
) {
    tallies.push(
        phase(
            client,
            "register",
            graph.nodes,
            args.concurrency,
            (0..graph.nodes).map(|i| client.register(i)),
        )
        .await,
    );
    // Every edge both ways, as init_social_graph.py does (the graph becomes symmetric).
    tallies.push(
        phase(
            client,
            "follow",
            2 * graph.edges.len() as u64,
            args.concurrency,
            graph
                .edges
                .iter()
                .flat_map(|&(a, b)| [client.follow(a, b), client.follow(b, a)]),
        )
        .await,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_and_samples_failures() {
        let mut t = PhaseTally {
            phase: "register".into(),
            ..Default::default()
        };
        t.add(Ok((200, bytes::Bytes::from_static(b"{}"))));
        t.add(Ok((409, bytes::Bytes::from_static(b"first duplicate"))));
        t.add(Ok((409, bytes::Bytes::from_static(b"second duplicate"))));
        t.add(Err("timeout".into()));
        assert_eq!((t.requests, t.ok, t.failed()), (4, 1, 3));
        assert_eq!(t.failures["HTTP 409"], 2);
        assert_eq!(t.samples["HTTP 409"], "first duplicate");
        let text = render(&[t]);
        assert!(text.contains("HTTP 409: 2, timeout: 1"), "{text}");
        assert!(
            text.contains("first register failure (HTTP 409): first duplicate"),
            "{text}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn loads_a_graph_in_three_phases_and_reports_failures() {
        use crate::client::Api;
        use crate::testserver::TestServer;
        let server = TestServer::start(std::time::Duration::ZERO).await;
        let dir = std::env::temp_dir().join(format!("bench-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("g.edges"), "1 0\n3 1\n").unwrap();
        std::fs::write(dir.join("g.nodes"), "4").unwrap();
        let args = InitArgs {
            target: format!("http://{}", server.addr),
            dataset: dir.join("g.edges"),
            posts_per_user: 2,
            concurrency: 3,
            api: Api::Dsb,
            seed: 1,
            timeout: std::time::Duration::from_secs(5),
            posts_only: false,
        };
        let (graph, tallies) = init_graph(&args).await.unwrap();
        // With the graph there already: the posts alone.
        let other = TestServer::start(std::time::Duration::ZERO).await;
        let posts_only = InitArgs {
            target: format!("http://{}", other.addr),
            posts_only: true,
            ..args.clone()
        };
        let (_, again) = init_graph(&posts_only).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].phase.as_str(), again[0].requests), ("compose", 8));
        assert!(
            other
                .received()
                .iter()
                .all(|r| r.target == "/wrk2-api/post/compose")
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(graph.nodes, 4);
        let summary: Vec<(&str, u64, u64)> = tallies
            .iter()
            .map(|t| (t.phase.as_str(), t.requests, t.ok))
            .collect();
        assert_eq!(
            summary,
            [("register", 4, 4), ("follow", 4, 4), ("compose", 8, 0)]
        );
        // The test server refuses composes: every one is counted, with the reply shown.
        assert_eq!(tallies[2].failures["HTTP 500"], 8);
        assert_eq!(tallies[2].samples["HTTP 500"], "compose off");

        let received = server.received();
        let bodies = |path: &str| -> Vec<String> {
            let mut v: Vec<String> = received
                .iter()
                .filter(|r| r.target == path)
                .map(|r| r.body.clone())
                .collect();
            v.sort();
            v
        };
        assert!(
            received
                .iter()
                .all(|r| r.method == "POST"
                    && r.content_type.as_deref() == Some(crate::client::FORM))
        );
        assert_eq!(
            bodies("/wrk2-api/user/register")[0],
            "first_name=first_name_0&last_name=last_name_0&username=username_0&password=password_0&user_id=0"
        );
        assert_eq!(bodies("/wrk2-api/user/register").len(), 4);
        assert_eq!(
            bodies("/wrk2-api/user/follow"),
            [
                "user_name=username_0&followee_name=username_1",
                "user_name=username_1&followee_name=username_0",
                "user_name=username_1&followee_name=username_3",
                "user_name=username_3&followee_name=username_1",
            ]
        );
        let composes = bodies("/wrk2-api/post/compose");
        assert_eq!(composes.len(), 8);
        for u in 0..4 {
            let prefix = format!("username=username_{u}&user_id={u}&text=");
            assert_eq!(
                composes.iter().filter(|b| b.starts_with(&prefix)).count(),
                2
            );
        }
        // Phases run strictly in order.
        let order: Vec<&str> = received.iter().map(|r| r.target.as_str()).collect();
        let last_register = order.iter().rposition(|t| t.ends_with("register")).unwrap();
        let first_follow = order.iter().position(|t| t.ends_with("follow")).unwrap();
        let last_follow = order.iter().rposition(|t| t.ends_with("follow")).unwrap();
        let first_compose = order.iter().position(|t| t.ends_with("compose")).unwrap();
        assert!(last_register < first_follow && last_follow < first_compose);
    }
}
