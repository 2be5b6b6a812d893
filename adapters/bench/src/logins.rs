//! `logins`: the throughput of registration and login, the two calls that hash a password.
//!
//! Registers `--users` fresh users through `register-user`, then logs each in `--rounds` times
//! through `user-service-login`, with at most `--concurrency` requests in flight, over the
//! functions' own routes (both are public in every auth mode). Prints, per phase, the requests,
//! failures, requests per second and the latency's p50 / p99 / max. What it measures is the
//! password hash's cost on the server's cores: compare deployments with different
//! `DS_PASSWORD_COST`, or revisions, in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::args::LoginsArgs;

/// One phase's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseFigures {
    pub phase: &'static str,
    pub requests: u64,
    pub failed: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl PhaseFigures {
    pub fn render(&self) -> String {
        format!(
            "{:>8}: {} requests ({} failed) in {:.2} s = {:.1} req/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
            self.phase,
            self.requests,
            self.failed,
            self.seconds,
            self.per_second,
            self.p50_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

/// Sends `bodies` to `function`, `concurrency` at a time.
async fn phase(
    client: &reqwest::Client,
    url: String,
    phase: &'static str,
    bodies: Vec<serde_json::Value>,
    concurrency: usize,
) -> Result<PhaseFigures> {
    let permits = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(bodies.len());
    for body in bodies {
        let permit = permits.clone().acquire_owned().await?;
        let request = client.post(&url).json(&body);
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let ok = matches!(request.send().await, Ok(r) if r.status().is_success());
            drop(permit);
            (ok, sent.elapsed())
        }));
    }
    let mut latencies = Histogram::<u64>::new(3)?;
    let mut failed = 0;
    for task in tasks {
        let (ok, took) = task.await?;
        failed += u64::from(!ok);
        latencies.record(took.as_micros() as u64)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let ms = |micros: u64| micros as f64 / 1000.0;
    Ok(PhaseFigures {
        phase,
        requests: latencies.len(),
        failed,
        seconds,
        per_second: latencies.len() as f64 / seconds,
        p50_ms: ms(latencies.value_at_quantile(0.5)),
        p99_ms: ms(latencies.value_at_quantile(0.99)),
        max_ms: ms(latencies.max()),
    })
}

/// Registers then logs in, as [`LoginsArgs`] says.
pub async fn logins(args: &LoginsArgs) -> Result<Vec<PhaseFigures>> {
    if args.users == 0 || args.concurrency == 0 || args.rounds == 0 {
        bail!("--users, --concurrency and --rounds must be at least 1");
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let base = args.target.trim_end_matches('/');
    // Fresh names every run: the same server can be measured again.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let name = |i: u64| format!("logins_{run}_{i}");
    let password = |i: u64| format!("password-{i}-{run}");
    let register = (0..args.users)
        .map(|i| {
            json!({"username": name(i), "first_name": "F", "last_name": "L", "password": password(i)})
        })
        .collect();
    let login = (0..args.users * args.rounds)
        .map(|n| n % args.users)
        .map(|i| json!({"username": name(i), "password": password(i)}))
        .collect();
    let url = |function: &str| format!("{base}/function/{function}");
    let registered = phase(
        &client,
        url("register-user"),
        "register",
        register,
        args.concurrency,
    )
    .await?;
    let logged_in = phase(
        &client,
        url("user-service-login"),
        "login",
        login,
        args.concurrency,
    )
    .await?;
    Ok(vec![registered, logged_in])
}
