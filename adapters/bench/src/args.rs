//! The command line (clap derive) and its validation. Every subcommand checks its numbers before
//! any request is sent and refuses bad ones with a message naming the flag: a rate that is not
//! positive never turns into an unthrottled run (wrk2's `-R < -t` pitfall, WORKLOAD.md §6.2).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::client::{Api, parse_target};
use crate::jaeger::parse_query_url;
use crate::workload::Workload;

/// Default graph: the copy of DSB's socfb-Reed98 shipped in `datasets/`.
pub const DEFAULT_DATASET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../datasets/socfb-Reed98/socfb-Reed98.edges"
);

#[derive(Debug, Parser)]
#[command(
    name = "deathstar-bench",
    version,
    about = "DeathStarBench social-network benchmark driver: load a social graph, run open-loop \
             wrk2-style workloads (Poisson arrivals, coordinated-omission-corrected latency), \
             sweep rates against a p99 SLO"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register every user of a social graph, follow along every edge both ways, optionally
    /// compose posts (DeathStarBench's init_social_graph.py).
    InitGraph(InitArgs),
    /// Offer one workload at a constant Poisson rate for a fixed time and report latencies.
    Run(RunArgs),
    /// Run at increasing rates until the corrected p99 exceeds the SLO or errors exceed the limit.
    Sweep(SweepArgs),
    /// Register fresh users, then log them in: the throughput of the two password-hashing calls.
    Logins(LoginsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LoginsArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    pub target: String,
    /// Users to register.
    #[arg(long, default_value_t = 200)]
    pub users: u64,
    /// Logins of each user after the registrations.
    #[arg(long, default_value_t = 2)]
    pub rounds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Write the figures as JSON too.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A duration: a number with unit `ms`, `s`, `m` or `h` (`500ms`, `1.5s`, `2m`); a bare number
/// is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (examples: 30s, 500ms, 2m, 10)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "{s:?}: a duration must be a finite, non-negative number"
        ));
    }
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("{s:?}: {e}"))
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    pub target: String,
    /// Graph file: `.edges` (0-based "a b" lines; node count from the sibling `.nodes`, else max
    /// id + 1) or `.mtx` (size line "n n m", then 1-based edges).
    #[arg(long, default_value = DEFAULT_DATASET)]
    pub dataset: PathBuf,
    /// Posts to compose per user after the follows (text as the compose workload), so timelines
    /// are not empty.
    #[arg(long, default_value_t = 0)]
    pub posts_per_user: u64,
    /// Requests in flight at once.
    #[arg(long, allow_negative_numbers = true, default_value_t = 200)]
    pub concurrency: usize,
    /// `dsb`: DeathStarBench's `/wrk2-api/` routes, its unauthenticated benchmark API (any
    /// auth mode). `gateway`: the functions themselves, users named in the bodies, which needs
    /// the deployment in `DS_AUTH=open`.
    #[arg(long, value_enum, default_value_t = Api::Dsb)]
    pub api: Api,
    /// Seed of the post contents (DSB's script seeds with 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// The users and follows are there already (an earlier `init-graph` of the same dataset):
    /// only compose the posts.
    #[arg(long)]
    pub posts_only: bool,
}

impl InitArgs {
    pub fn validate(&self) -> Result<()> {
        parse_target(&self.target)?;
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        if self.timeout.is_zero() {
            bail!("--timeout must be greater than 0");
        }
        Ok(())
    }
}

/// Flags shared by `run` and `sweep`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    pub target: String,
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Warm-up at the start of each run, excluded from latencies and throughput (WORKLOAD.md
    /// suggests ≥ 10s); part of --duration.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// HTTP/1.1 keep-alive connections, i.e. requests in flight at most; a request due while
    /// all are busy waits, and the wait counts in the corrected latency.
    #[arg(long, allow_negative_numbers = true, default_value_t = 64)]
    pub connections: usize,
    /// Users 0..N the requests name (the graph's node count; Reed98: 962).
    #[arg(long, allow_negative_numbers = true, default_value_t = 962)]
    pub users: u64,
    /// `dsb`: DeathStarBench's `/wrk2-api/` routes, its unauthenticated benchmark API (any
    /// auth mode). `gateway`: the functions themselves, users named in the bodies, which needs
    /// the deployment in `DS_AUTH=open`.
    #[arg(long, value_enum, default_value_t = Api::Dsb)]
    pub api: Api,
    /// Base seed of the schedule and the parameters (default: from the clock; printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Per-request timeout, from the actual send to the end of the response.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl LoadArgs {
    /// Everything `run` and `sweep` share; `duration` is the subcommand's.
    fn validate(&self, duration: Duration) -> Result<()> {
        parse_target(&self.target)?;
        if duration.is_zero() {
            bail!("--duration must be greater than 0");
        }
        if self.warmup >= duration {
            bail!(
                "--warmup ({:?}) must be shorter than --duration ({:?}): nothing would be measured",
                self.warmup,
                duration
            );
        }
        if self.connections == 0 {
            bail!("--connections must be at least 1");
        }
        if self.users < 2 {
            bail!("--users must be at least 2 (a post mentions users other than its author)");
        }
        if self.timeout.is_zero() {
            bail!("--timeout must be greater than 0");
        }
        Ok(())
    }
}

fn check_rate(flag: &str, rate: f64) -> Result<()> {
    if !rate.is_finite() || rate <= 0.0 {
        bail!("{flag} must be a positive number of requests per second, got {rate}");
    }
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Offered rate, requests per second (Poisson arrivals).
    #[arg(long, allow_negative_numbers = true)]
    pub rate: f64,
    /// Length of the run, warm-up included (e.g. 60s).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Duration,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw the latency-percentile plot (corrected and uncorrected) as SVG to this file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Also print, second by second, what was offered, answered 2xx and shed (503), and the
    /// admitted requests' latency (the JSON always has it).
    #[arg(long)]
    pub per_second: bool,
    /// Also report every window of this length: offered, 2xx, the admitted requests'
    /// corrected p50/p99/p99.9/max, and the server's RSS (with --server-pid): a soak's view,
    /// to find stalls that a whole-run percentile hides.
    #[arg(long, value_parser = parse_duration)]
    pub window: Option<Duration>,
    /// The server's process id, to sample its resident memory (VmRSS) once a second.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Trace breakdown: Jaeger's query API (e.g. http://127.0.0.1:16686). Every request then
    /// carries a `traceparent`, sampled for --trace-ratio of the measured ones; after the run
    /// their traces are fetched and broken down per request type and span operation (also under
    /// `traces` in --json). The servers must export to that Jaeger with a parent-based sampler.
    #[arg(long, value_name = "URL")]
    pub traces: Option<String>,
    /// Fraction of the measured requests traced (DeathStarBench's services sample 0.1).
    #[arg(long, default_value_t = 0.1)]
    pub trace_ratio: f64,
    /// At most this many traces are fetched (chosen at random among the sampled ones).
    #[arg(long, default_value_t = 2000)]
    pub trace_limit: usize,
    /// How long to wait at most, after the run, for the servers' exporters to deliver the last
    /// spans (their batch delay, OTEL_BSP_SCHEDULE_DELAY, is 5 s unless set).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub trace_wait: Duration,
    /// Draw each request type's self-time shares per span operation as SVG to this file.
    #[arg(long, value_name = "PATH")]
    pub trace_plot: Option<PathBuf>,
}

impl RunArgs {
    pub fn validate(&self) -> Result<()> {
        check_rate("--rate", self.rate)?;
        if let Some(url) = &self.traces {
            parse_query_url(url)?;
            if !(self.trace_ratio > 0.0 && self.trace_ratio <= 1.0) {
                bail!("--trace-ratio must be in (0, 1], got {}", self.trace_ratio);
            }
            if self.trace_limit == 0 {
                bail!("--trace-limit must be at least 1");
            }
        } else if self.trace_plot.is_some() {
            bail!("--trace-plot needs --traces (the Jaeger query API to fetch traces from)");
        }
        if let Some(window) = self.window
            && (window.as_secs() == 0 || window.subsec_nanos() != 0)
        {
            bail!("--window must be a whole number of seconds, at least 1s");
        }
        if self.server_pid.is_some() && self.window.is_none() {
            bail!("--server-pid needs --window (its memory is reported window by window)");
        }
        self.load.validate(self.duration)
    }

    /// The share of measured requests to trace, with --traces.
    pub fn trace_ratio(&self) -> Option<f64> {
        self.traces.as_ref().map(|_| self.trace_ratio)
    }
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// First rate, requests per second.
    #[arg(long, allow_negative_numbers = true)]
    pub start_rate: f64,
    /// Added to the rate after each step that met the SLO.
    #[arg(long, allow_negative_numbers = true)]
    pub step: f64,
    /// Last rate tried.
    #[arg(long, allow_negative_numbers = true)]
    pub max_rate: f64,
    /// The SLO: a step fails when its corrected p99 is above this many milliseconds.
    #[arg(long, allow_negative_numbers = true)]
    pub slo_p99_ms: f64,
    /// A step also fails when more than this percentage of its requests failed.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0)]
    pub max_error_pct: f64,
    /// Length of each step, warm-up included.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Pause between steps, to let the server drain.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub pause: Duration,
    /// Write every step's report and the result as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl SweepArgs {
    pub fn validate(&self) -> Result<()> {
        check_rate("--start-rate", self.start_rate)?;
        check_rate("--step", self.step)?;
        check_rate("--max-rate", self.max_rate)?;
        if self.max_rate < self.start_rate {
            bail!(
                "--max-rate ({}) must be at least --start-rate ({})",
                self.max_rate,
                self.start_rate
            );
        }
        if !self.slo_p99_ms.is_finite() || self.slo_p99_ms <= 0.0 {
            bail!(
                "--slo-p99-ms must be a positive number of milliseconds, got {}",
                self.slo_p99_ms
            );
        }
        if !(0.0..=100.0).contains(&self.max_error_pct) {
            bail!(
                "--max-error-pct must be between 0 and 100, got {}",
                self.max_error_pct
            );
        }
        self.load.validate(self.duration)
    }

    /// The rates tried, in order: start, start + step, … while ≤ max (computed by
    /// multiplication, so float steps do not drift).
    pub fn rates(&self) -> Vec<f64> {
        let mut rates = Vec::new();
        for i in 0u64.. {
            let r = self.start_rate + self.step * i as f64;
            if r > self.max_rate * (1.0 + 1e-9) {
                break;
            }
            rates.push(r);
        }
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("deathstar-bench").chain(args.split_whitespace()))
    }

    const RUN: &str = "run --target http://127.0.0.1:8080 --workload mixed";

    fn run_error(extra: &str) -> String {
        let cli = parse(&format!("{RUN} {extra}")).unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        r.validate().unwrap_err().to_string()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        for bad in ["", "s", "ten", "-1s", "5x", "nan", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_valid_run() {
        let cli = parse(&format!(
            "{RUN} --rate 200 --duration 5s --warmup 1s --connections 8 --users 962 \
             --api gateway --seed 3 --json r.json --plot r.svg"
        ))
        .unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        r.validate().unwrap();
        assert_eq!(r.rate, 200.0);
        assert_eq!(r.load.api, Api::Gateway);
        assert_eq!(r.load.seed, Some(3));
        assert_eq!(r.load.workload, Workload::Mixed);
        assert_eq!(r.trace_ratio(), None, "no --traces, no traceparent");
    }

    #[test]
    fn a_traced_run() {
        let cli = parse(&format!(
            "{RUN} --rate 200 --duration 5s --traces http://127.0.0.1:16686 --trace-plot t.svg"
        ))
        .unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        r.validate().unwrap();
        assert_eq!(r.trace_ratio(), Some(0.1));
        assert_eq!(r.trace_limit, 2000);
        assert_eq!(r.trace_wait, Duration::from_secs(15));
    }

    #[test]
    fn invalid_runs_are_refused_with_clear_messages() {
        let cases = [
            ("--rate 0 --duration 5s", "--rate must be a positive"),
            ("--rate -5 --duration 5s", "--rate must be a positive"),
            ("--rate nan --duration 5s", "--rate must be a positive"),
            ("--rate inf --duration 5s", "--rate must be a positive"),
            (
                "--rate 10 --duration 0s",
                "--duration must be greater than 0",
            ),
            ("--rate 10 --duration 5s --warmup 5s", "--warmup"),
            (
                "--rate 10 --duration 5s --warmup 9s",
                "must be shorter than --duration",
            ),
            (
                "--rate 10 --duration 5s --connections 0",
                "--connections must be at least 1",
            ),
            (
                "--rate 10 --duration 5s --users 1",
                "--users must be at least 2",
            ),
            (
                "--rate 10 --duration 5s --users 0",
                "--users must be at least 2",
            ),
            (
                "--rate 10 --duration 5s --timeout 0s",
                "--timeout must be greater than 0",
            ),
            (
                "--rate 10 --duration 5s --traces 127.0.0.1:16686",
                "--traces \"127.0.0.1:16686\" is not a URL",
            ),
            (
                "--rate 10 --duration 5s --traces http://j:16686 --trace-ratio 0",
                "--trace-ratio must be in (0, 1]",
            ),
            (
                "--rate 10 --duration 5s --traces http://j:16686 --trace-ratio 1.5",
                "--trace-ratio must be in (0, 1]",
            ),
            (
                "--rate 10 --duration 5s --traces http://j:16686 --trace-limit 0",
                "--trace-limit must be at least 1",
            ),
            (
                "--rate 10 --duration 5s --trace-plot t.svg",
                "--trace-plot needs --traces",
            ),
        ];
        for (extra, want) in cases {
            let e = run_error(extra);
            assert!(e.contains(want), "{extra}: {e}");
        }
        let cli =
            parse("run --target localhost:8080 --workload mixed --rate 1 --duration 1s").unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert!(r.validate().unwrap_err().to_string().contains("--target"));
    }

    #[test]
    fn unknown_values_and_missing_flags_are_parse_errors() {
        let e = parse("run --target http://h --workload writes --rate 1 --duration 1s")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid value 'writes'") && e.contains("mixed"),
            "{e}"
        );
        let e = parse(&format!("{RUN} --rate 1 --duration 1s --api openfaas"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid value 'openfaas'") && e.contains("gateway"),
            "{e}"
        );
        let e = parse(&format!("{RUN} --duration 1s"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--rate"), "{e}");
        let e = parse(&format!("{RUN} --rate 1")).unwrap_err().to_string();
        assert!(e.contains("--duration"), "{e}");
        let e = parse(&format!("{RUN} --rate 1 --duration soon"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a duration"), "{e}");
        let e = parse(&format!("{RUN} --rate 1 --duration 1s --connections -1"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid value '-1' for '--connections"), "{e}");
    }

    fn sweep(extra: &str) -> SweepArgs {
        let cli = parse(&format!(
            "sweep --target http://127.0.0.1:8080 --workload compose {extra}"
        ))
        .unwrap();
        let Command::Sweep(s) = cli.command else {
            panic!()
        };
        s
    }

    #[test]
    fn sweep_validation_and_rates() {
        let s = sweep("--start-rate 100 --step 50 --max-rate 300 --slo-p99-ms 10");
        s.validate().unwrap();
        assert_eq!(s.rates(), vec![100.0, 150.0, 200.0, 250.0, 300.0]);
        let s = sweep("--start-rate 0.1 --step 0.1 --max-rate 0.3 --slo-p99-ms 10");
        assert_eq!(s.rates().len(), 3);
        let cases = [
            (
                "--start-rate 0 --step 50 --max-rate 300 --slo-p99-ms 10",
                "--start-rate",
            ),
            (
                "--start-rate 100 --step 0 --max-rate 300 --slo-p99-ms 10",
                "--step",
            ),
            (
                "--start-rate 100 --step 50 --max-rate 50 --slo-p99-ms 10",
                "--max-rate (50)",
            ),
            (
                "--start-rate 100 --step 50 --max-rate 300 --slo-p99-ms 0",
                "--slo-p99-ms",
            ),
            (
                "--start-rate 100 --step 50 --max-rate 300 --slo-p99-ms 5 --max-error-pct 101",
                "--max-error-pct",
            ),
            (
                "--start-rate 100 --step 50 --max-rate 300 --slo-p99-ms 5 --duration 5s --warmup 6s",
                "--warmup",
            ),
        ];
        for (extra, want) in cases {
            let e = sweep(extra).validate().unwrap_err().to_string();
            assert!(e.contains(want), "{extra}: {e}");
        }
    }

    #[test]
    fn init_validation() {
        let cli = parse("init-graph --target http://127.0.0.1:8080 --posts-per-user 2").unwrap();
        let Command::InitGraph(a) = cli.command else {
            panic!()
        };
        a.validate().unwrap();
        assert_eq!(a.concurrency, 200);
        assert_eq!(a.api, Api::Dsb);
        assert!(a.dataset.ends_with("socfb-Reed98.edges") && a.dataset.is_file());
        let cli = parse("init-graph --target http://127.0.0.1:8080 --concurrency 0").unwrap();
        let Command::InitGraph(a) = cli.command else {
            panic!()
        };
        assert!(
            a.validate()
                .unwrap_err()
                .to_string()
                .contains("--concurrency")
        );
        let e = parse("init-graph --target http://h --api nginx")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid value 'nginx'"), "{e}");
    }
}
