//! The open-loop load generator behind `run` (and each step of `sweep`).
//!
//! A dispatcher thread walks the Poisson schedule and, at each scheduled instant, puts one
//! request on a queue whatever the state of earlier ones: the offered load does not depend on
//! responses. `connections` tasks, each owning one keep-alive connection ([`crate::wire`]),
//! take requests off the queue one at a time, write them and read the response to its end.
//! Latency is recorded from the scheduled instant (corrected: waiting in the queue for a free
//! connection and the dispatcher's own lateness count) and from the actual send (uncorrected).
//!
//! No task, timer or allocation per request beyond the request's own bytes: the driver shares
//! the machine with the server under test, and what it spends is taken from the server. Unlike
//! DSB's wrk2 fork, requests are not pipelined on a connection (HTTP/1.1 keep-alive, one
//! request at a time per connection, as servers and proxies expect); the correction makes up
//! for it. After the schedule ends, requests still queued get `timeout` more to be sent; those
//! that never were are reported as "never sent", not dropped.
//!
//! With a trace ratio (`run --traces`), each request also carries a `traceparent` drawn on the
//! dispatcher thread ([`crate::traced`]), and the sampled ones are kept for the breakdown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::LoadArgs;
use crate::client::{Api, ApiClient};
use crate::report::{RunReport, RunSettings, windows};
use crate::schedule::PoissonSchedule;
use crate::stats::{Outcome, Recorder, new_histogram, record};
use crate::traced::{Sampled, TRACEPARENT, TraceSampler, TraceTag};
use crate::wire::{Connection, WireError};
use crate::workload::{Generator, Kind, Request, Workload};

/// One run's settings, validated by the command line.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: String,
    pub api: Api,
    pub workload: Workload,
    pub rate: f64,
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: usize,
    pub users: u64,
    pub seed: u64,
    pub timeout: Duration,
    /// Send a `traceparent` on every request, sampled for this fraction of the measured ones;
    /// `None`: no header at all.
    pub trace_ratio: Option<f64>,
    /// Report the run in windows of this many seconds ([`crate::report::windows`]).
    pub window_s: Option<u64>,
    /// Sample this process's resident memory for the windows.
    pub server_pid: Option<u32>,
}

impl RunConfig {
    pub fn new(load: &LoadArgs, rate: f64, duration: Duration, seed: u64) -> Self {
        RunConfig {
            target: load.target.clone(),
            api: load.api,
            workload: load.workload,
            rate,
            duration,
            warmup: load.warmup,
            connections: load.connections,
            users: load.users,
            seed,
            timeout: load.timeout,
            trace_ratio: None,
            window_s: None,
            server_pid: None,
        }
    }

    fn settings(&self) -> RunSettings {
        RunSettings {
            target: self.target.clone(),
            api: self.api,
            workload: self.workload,
            rate: self.rate,
            duration_s: self.duration.as_secs_f64(),
            warmup_s: self.warmup.as_secs_f64(),
            connections: self.connections,
            users: self.users,
            seed: self.seed,
            timeout_s: self.timeout.as_secs_f64(),
        }
    }
}

/// A seed for stream `stream` of base seed `base` (SplitMix64), so the schedule and the
/// parameters draw from independent generators that one `--seed` reproduces.
pub fn derive_seed(base: u64, stream: u64) -> u64 {
    let mut z = base.wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed from the clock, for runs without `--seed` (printed so the run can be repeated).
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Shared state of one run.
struct Shared {
    client: ApiClient,
    t0: Instant,
    timeout: Duration,
    recorder: Mutex<Recorder>,
    outstanding: AtomicU64,
    sent: AtomicU64,
    sampled: Mutex<Vec<Sampled>>,
    /// Set when the drain is over: requests still queued are counted as never sent.
    closed: AtomicBool,
}

impl Shared {
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.t0)
    }
}

/// One request handed from the dispatcher to a connection.
struct Job {
    request: Request,
    scheduled: Duration,
    tag: Option<TraceTag>,
}

/// One connection's loop: the next queued request, sent and answered, until the queue closes.
async fn connection_task(shared: Arc<Shared>, jobs: async_channel::Receiver<Job>) {
    let mut connection = None;
    let mut bytes = Vec::with_capacity(2048);
    while let Ok(job) = jobs.recv().await {
        let kind = job.request.kind();
        if shared.closed.load(Ordering::Acquire) {
            finish(&shared, kind, job.scheduled, None, Outcome::Unsent, None);
            continue;
        }
        bytes.clear();
        let header = job.tag.map(|tag| tag.header());
        let traceparent = header.as_ref().map(|h| (TRACEPARENT, h.as_bytes()));
        let parts = shared.client.parts(&job.request);
        shared
            .client
            .encode(&parts, traceparent.as_slice(), &mut bytes);
        drop(parts);
        drop(job.request);
        let sent = shared.now();
        shared.sent.fetch_add(1, Ordering::Relaxed);
        let exchange = exchange(&mut connection, &shared.client, &bytes);
        let outcome = match tokio::time::timeout(shared.timeout, exchange).await {
            Ok(Ok(status)) => Outcome::Status(status),
            Ok(Err(class)) => Outcome::Transport(class.to_string()),
            Err(_) => Outcome::Transport("timeout".to_string()),
        };
        if !matches!(outcome, Outcome::Status(_)) {
            // Whatever state it is in, it is not to be trusted with the next request.
            connection = None;
        }
        finish(&shared, kind, job.scheduled, Some(sent), outcome, job.tag);
    }
}

/// Sends `request` on the task's connection (connecting first if it has none) and returns the
/// status as [`ApiClient::status_of`] counts it, or the class of the failure.
async fn exchange(
    slot: &mut Option<Connection>,
    client: &ApiClient,
    request: &[u8],
) -> Result<u16, &'static str> {
    let reused = slot.is_some();
    let connection = match slot {
        Some(connection) => connection,
        None => slot.insert(
            Connection::connect(client.address())
                .await
                .map_err(|_| "connect")?,
        ),
    };
    let status = match connection.exchange(request).await {
        Ok(response) => Ok(client.status_of(response.status, response.body)),
        // A kept-alive connection the server had closed: nothing came back, so the request
        // was not answered; it goes once more on a new connection.
        Err(WireError::Request) if reused => {
            let connection = slot.insert(
                Connection::connect(client.address())
                    .await
                    .map_err(|_| "connect")?,
            );
            match connection.exchange(request).await {
                Ok(response) => Ok(client.status_of(response.status, response.body)),
                Err(e) => Err(e.class()),
            }
        }
        Err(e) => Err(e.class()),
    };
    if slot.as_ref().is_some_and(|c| !c.is_reusable()) {
        *slot = None;
    }
    status
}

/// Records one request's end.
fn finish(
    shared: &Shared,
    kind: Kind,
    scheduled: Duration,
    sent: Option<Duration>,
    outcome: Outcome,
    tag: Option<TraceTag>,
) {
    let done = shared.now();
    if let (Some(tag), Some(sent), Outcome::Status(status)) = (tag, sent, &outcome)
        && tag.sampled
    {
        shared.sampled.lock().expect("sampled lock").push(Sampled {
            kind,
            tag,
            latency_us: done.saturating_sub(sent).as_micros() as u64,
            status: *status,
        });
    }
    shared
        .recorder
        .lock()
        .expect("recorder lock")
        .record(kind, scheduled, sent, done, &outcome);
    shared.outstanding.fetch_sub(1, Ordering::AcqRel);
}

fn progress_bar(cfg: &RunConfig, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(cfg.duration.as_millis() as u64);
    pb.set_style(
        ProgressStyle::with_template("{prefix} {elapsed_precise} [{wide_bar}] {percent:>3}% {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(format!("{} @ {} req/s", cfg.workload.name(), cfg.rate));
    pb
}

fn update(pb: &ProgressBar, shared: &Shared, phase: &str) {
    let (done, errors) = {
        let r = shared.recorder.lock().expect("recorder lock");
        (
            r.counts.requests + r.warmup_counts.requests,
            r.counts.errors() + r.warmup_counts.errors(),
        )
    };
    pb.set_position(shared.now().as_millis() as u64);
    pb.set_message(format!(
        "{phase}sent {} · done {} · in flight/queued {} · errors {}",
        shared.sent.load(Ordering::Relaxed),
        done,
        shared.outstanding.load(Ordering::Relaxed),
        errors
    ));
}

/// Runs one open-loop run and reports it. Must be called inside a multi-threaded Tokio runtime.
pub async fn run(cfg: &RunConfig, show_progress: bool) -> Result<RunReport> {
    Ok(run_traced(cfg, show_progress).await?.0)
}

/// [`run`], also returning the sampled requests (empty without `cfg.trace_ratio`), in the
/// order they finished.
pub async fn run_traced(cfg: &RunConfig, show_progress: bool) -> Result<(RunReport, Vec<Sampled>)> {
    let client = ApiClient::new(&cfg.target, cfg.api, cfg.connections, cfg.timeout)?;
    let shared = Arc::new(Shared {
        client,
        // A short lead so the first arrivals are not already late.
        t0: Instant::now() + Duration::from_millis(20),
        timeout: cfg.timeout,
        recorder: Mutex::new(Recorder::new(cfg.warmup)),
        outstanding: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        sampled: Mutex::new(Vec::new()),
        closed: AtomicBool::new(false),
    });
    let (queue, jobs) = async_channel::unbounded();
    let connections: Vec<_> = (0..cfg.connections)
        .map(|_| tokio::spawn(connection_task(shared.clone(), jobs.clone())))
        .collect();
    drop(jobs);
    let mut sampler = cfg.trace_ratio.map(TraceSampler::new);
    let schedule = PoissonSchedule::new(cfg.rate, cfg.duration, derive_seed(cfg.seed, 1));
    let mut generator = Generator::new(cfg.users, derive_seed(cfg.seed, 2));
    let workload = cfg.workload;
    let warmup = cfg.warmup;
    let dispatch_shared = shared.clone();
    let dispatcher = std::thread::Builder::new()
        .name("bench-dispatch".into())
        .spawn(move || {
            let shared = dispatch_shared;
            precise_sleeps();
            let mut lag = new_histogram();
            for offset in schedule {
                // Thread sleep is precise to tens of µs; Tokio's timer only to 1 ms.
                let due = shared.t0 + offset;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let request = generator.next(workload);
                let tag = sampler.as_mut().map(|s| s.next(offset >= warmup));
                shared.outstanding.fetch_add(1, Ordering::AcqRel);
                let job = Job {
                    request,
                    scheduled: offset,
                    tag,
                };
                // Unbounded: never blocks, never fails while the connections run.
                let _ = queue.try_send(job);
                if offset >= warmup {
                    record(&mut lag, Instant::now().saturating_duration_since(due));
                }
            }
            lag
        })
        .context("starting the dispatcher thread")?;

    let pb = progress_bar(cfg, show_progress);
    let mut rss = Vec::new();
    while !dispatcher.is_finished() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        update(&pb, &shared, "");
        if let Some(pid) = cfg.server_pid {
            sample_rss(&mut rss, pid, shared.now().checked_sub(cfg.warmup));
        }
    }
    let lag = dispatcher
        .join()
        .map_err(|_| anyhow::anyhow!("the dispatcher thread panicked"))?;

    // Drain: queued requests get `timeout` more to be sent; then the pool closes and whatever
    // still waits for a connection is counted as never sent. Sent ones end within `timeout`.
    let drain_until = Instant::now() + cfg.timeout;
    while shared.outstanding.load(Ordering::Acquire) > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
        update(&pb, &shared, "draining: ");
    }
    shared.closed.store(true, Ordering::Release);
    let hard_stop = Instant::now() + cfg.timeout + Duration::from_secs(5);
    while shared.outstanding.load(Ordering::Acquire) > 0 && Instant::now() < hard_stop {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for connection in connections {
        connection.abort();
    }
    update(&pb, &shared, "");
    pb.finish_and_clear();
    let left = shared.outstanding.load(Ordering::Acquire);
    if left > 0 {
        eprintln!("warning: {left} requests still unfinished past the timeout; not in the report");
    }
    let mut recorder = shared.recorder.lock().expect("recorder lock").clone();
    recorder.dispatch_lag = lag;
    let sampled = std::mem::take(&mut *shared.sampled.lock().expect("sampled lock"));
    let mut report = RunReport::new(cfg.settings(), &recorder);
    if let Some(width) = cfg.window_s {
        report.windows = windows(&recorder, &rss, width as usize);
    }
    Ok((report, sampled))
}

/// Asks Linux to wake this thread from its sleeps within 1 µs of the deadline rather than the
/// default 50 µs of timer slack: at 20,000 req/s arrivals are 50 µs apart, so the default slack
/// alone made the dispatcher late by a whole gap, in bursts.
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes a value and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Keeps the largest VmRSS seen in each second of the measured window (`at`: time into it).
fn sample_rss(rss: &mut Vec<Option<u64>>, pid: u32, at: Option<Duration>) {
    let Some(at) = at else { return };
    let Some(kb) = rss_kb(pid) else { return };
    let second = at.as_secs() as usize;
    if rss.len() <= second {
        rss.resize(second + 1, None);
    }
    rss[second] = Some(rss[second].map_or(kb, |seen| seen.max(kb)));
}

/// A process's resident memory in kB, from `/proc/<pid>/status` (`None` once it is gone).
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::testserver::TestServer;

    async fn server(delay: Duration) -> SocketAddr {
        TestServer::start(delay).await.addr
    }

    fn config(addr: SocketAddr, workload: Workload, rate: f64, duration_ms: u64) -> RunConfig {
        RunConfig {
            target: format!("http://{addr}"),
            api: Api::Gateway,
            workload,
            rate,
            duration: Duration::from_millis(duration_ms),
            warmup: Duration::ZERO,
            connections: 8,
            users: 962,
            seed: 5,
            timeout: Duration::from_secs(5),
            trace_ratio: None,
            window_s: None,
            server_pid: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offers_the_rate_and_counts_statuses_by_kind() {
        let addr = server(Duration::ZERO).await;
        let r = run(&config(addr, Workload::Mixed, 500.0, 2000), false)
            .await
            .unwrap();
        // Poisson count over 2 s at 500/s: 1000 ± 32.
        assert!(
            (r.offered_rps - 500.0).abs() < 50.0,
            "offered {}",
            r.offered_rps
        );
        assert!(
            r.achieved_rps > 0.85 * r.offered_rps,
            "achieved {}",
            r.achieved_rps
        );
        assert_eq!(r.counts.transport_errors.len(), 0, "{:?}", r.counts);
        assert_eq!(r.counts.unsent, 0);
        let compose = &r.by_kind["compose"].counts;
        assert_eq!(compose.statuses.keys().collect::<Vec<_>>(), ["500"]);
        assert_eq!(r.counts.errors, compose.requests);
        assert!(
            (r.counts.error_pct - 10.0).abs() < 3.0,
            "{}",
            r.counts.error_pct
        );
        let home = &r.by_kind["home-timeline"].counts;
        assert!((home.requests as f64 / r.counts.requests as f64 - 0.6).abs() < 0.05);
        assert_eq!(home.ok, home.requests);
        // Everything answered: a latency for every response.
        assert_eq!(r.latency_ms.corrected.count, r.counts.requests);
        assert!(r.latency_ms.corrected.p50 >= r.latency_ms.uncorrected.p50);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_server_shows_in_corrected_latency_only() {
        // One connection, 20 ms per request (50/s) offered 100/s: requests queue for a
        // connection. Measured from the actual send every request takes ~20 ms; from its
        // scheduled time the queue adds up to hundreds of ms.
        let addr = server(Duration::from_millis(20)).await;
        let mut cfg = config(addr, Workload::HomeTimeline, 100.0, 500);
        cfg.connections = 1;
        let r = run(&cfg, false).await.unwrap();
        let (c, u) = (r.latency_ms.corrected, r.latency_ms.uncorrected);
        assert_eq!(r.counts.ok, r.counts.requests);
        assert!(u.p99 >= 19.0 && u.p99 < 100.0, "uncorrected p99 {}", u.p99);
        assert!(
            c.p99 > 5.0 * u.p99,
            "corrected p99 {} vs uncorrected {}",
            c.p99,
            u.p99
        );
        assert!(
            c.p50 > 2.0 * u.p50,
            "corrected p50 {} vs uncorrected {}",
            c.p50,
            u.p50
        );
        // The server, not the schedule, bounds what is achieved.
        assert!(r.achieved_rps < 60.0, "achieved {}", r.achieved_rps);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refused_connections_are_transport_errors() {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let r = run(&config(addr, Workload::Compose, 100.0, 300), false)
            .await
            .unwrap();
        assert!(r.counts.requests > 10);
        assert_eq!(
            r.counts.transport_errors.get("connect"),
            Some(&r.counts.requests)
        );
        assert_eq!(r.counts.ok, 0);
        assert_eq!(r.latency_ms.corrected.count, 0);
        assert_eq!(r.achieved_rps, 0.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timeouts_and_never_sent_requests_are_reported() {
        let addr = server(Duration::from_secs(30)).await;
        let mut cfg = config(addr, Workload::UserTimeline, 100.0, 300);
        cfg.connections = 1;
        cfg.timeout = Duration::from_millis(300);
        let r = run(&cfg, false).await.unwrap();
        let timeouts = r
            .counts
            .transport_errors
            .get("timeout")
            .copied()
            .unwrap_or(0);
        assert!(timeouts >= 1, "{:?}", r.counts);
        assert!(r.counts.unsent >= 1, "{:?}", r.counts);
        assert_eq!(timeouts + r.counts.unsent, r.counts.requests);
        assert_eq!(r.counts.errors, r.counts.requests);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn traced_runs_send_a_traceparent_and_keep_the_sampled_requests() {
        let server = TestServer::start(Duration::ZERO).await;
        let mut cfg = config(server.addr, Workload::Mixed, 400.0, 1000);
        cfg.warmup = Duration::from_millis(250);
        cfg.trace_ratio = Some(0.5);
        let (report, sampled) = run_traced(&cfg, false).await.unwrap();
        let received = server.received();
        let headers: Vec<&str> = received
            .iter()
            .map(|r| r.traceparent.as_deref().expect("every request has one"))
            .collect();
        assert!(
            headers
                .iter()
                .all(|h| h.len() == 55 && h.starts_with("00-"))
        );
        let flagged: Vec<&&str> = headers.iter().filter(|h| h.ends_with("-01")).collect();
        // Only measured requests are sampled, about half of them; each one kept, once.
        let measured = report.counts.requests as usize;
        assert!(
            flagged.len() > measured / 3 && flagged.len() < 2 * measured / 3,
            "{} of {measured}",
            flagged.len()
        );
        assert_eq!(sampled.len(), flagged.len());
        for s in &sampled {
            let header = s.tag.header();
            assert!(headers.contains(&header.to_str().unwrap()));
            assert!(s.latency_us > 0);
        }
        assert!(
            sampled
                .iter()
                .any(|s| s.kind == Kind::Compose && s.status == 500)
        );
        let ids: std::collections::HashSet<u128> = sampled.iter().map(|s| s.tag.trace_id).collect();
        assert_eq!(ids.len(), sampled.len());

        // Without a ratio: no header, nothing kept.
        let server = TestServer::start(Duration::ZERO).await;
        let cfg = config(server.addr, Workload::HomeTimeline, 200.0, 300);
        let (_, sampled) = run_traced(&cfg, false).await.unwrap();
        assert!(sampled.is_empty());
        assert!(server.received().iter().all(|r| r.traceparent.is_none()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_windowed_run_reports_each_window_with_the_servers_memory() {
        let server = TestServer::start(Duration::ZERO).await;
        let mut cfg = config(server.addr, Workload::Healthz, 300.0, 3000);
        cfg.window_s = Some(1);
        // This test process stands in for the server: its memory is there to read.
        cfg.server_pid = Some(std::process::id());
        let r = run(&cfg, false).await.unwrap();
        assert_eq!(r.windows.len(), 3, "{:?}", r.windows);
        for w in &r.windows {
            assert!(w.offered > 200 && w.offered < 400, "{w:?}");
            assert_eq!(w.ok, w.offered);
            assert!(w.max_ms >= w.p999_ms && w.p999_ms >= w.p50_ms && w.p50_ms > 0.0);
        }
        // Sampled every 100 ms: the last window may end before its first sample.
        assert!(
            r.windows[..2]
                .iter()
                .all(|w| w.server_rss_kb.unwrap() > 1000)
        );
        // The health check is a plain GET of /healthz, whatever the API.
        let received = server.received();
        assert!(!received.is_empty());
        assert!(
            received
                .iter()
                .all(|r| r.method == "GET" && r.target == "/healthz" && r.body.is_empty())
        );
    }

    #[test]
    fn derived_seeds_differ() {
        assert_ne!(derive_seed(1, 1), derive_seed(1, 2));
        assert_ne!(derive_seed(1, 1), derive_seed(2, 1));
        assert_eq!(derive_seed(7, 3), derive_seed(7, 3));
    }
}
