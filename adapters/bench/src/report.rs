//! The report of a run: offered and achieved throughput, outcomes by HTTP status and transport
//! error, and corrected / uncorrected latency percentiles, as a text table for stdout and as
//! JSON (`--json`, with the full percentile spectra so plots can be redrawn).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::client::Api;
use crate::stats::{Counts, Recorder, SpectrumPoint, Summary, spectrum, summarize};
use crate::workload::{Kind, Workload};

/// What was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings {
    pub target: String,
    pub api: Api,
    pub workload: Workload,
    pub rate: f64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub connections: usize,
    pub users: u64,
    pub seed: u64,
    pub timeout_s: f64,
}

/// Outcome counts in the report's shape (status codes as strings, for JSON object keys).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CountsReport {
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub error_pct: f64,
    pub statuses: BTreeMap<String, u64>,
    pub transport_errors: BTreeMap<String, u64>,
    pub unsent: u64,
}

impl From<&Counts> for CountsReport {
    fn from(c: &Counts) -> Self {
        CountsReport {
            requests: c.requests,
            ok: c.ok(),
            errors: c.errors(),
            error_pct: if c.requests == 0 {
                0.0
            } else {
                100.0 * c.errors() as f64 / c.requests as f64
            },
            statuses: c
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            transport_errors: c.transport_errors.clone(),
            unsent: c.unsent,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    /// From the scheduled send time (coordinated-omission corrected).
    pub corrected: Summary,
    /// From the actual send time.
    pub uncorrected: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindReport {
    pub counts: CountsReport,
    pub corrected_ms: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Spectra {
    pub corrected: Vec<SpectrumPoint>,
    pub uncorrected: Vec<SpectrumPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub settings: RunSettings,
    /// Length of the measured window (duration − warm-up), seconds.
    pub measured_s: f64,
    /// From the start of the measured window to the last measured request's end, at least
    /// `measured_s`: what achieved throughput divides by.
    pub elapsed_s: f64,
    /// Requests scheduled in the measured window per second of it.
    pub offered_rps: f64,
    /// HTTP responses (any status) to measured requests per elapsed second.
    pub achieved_rps: f64,
    /// 2xx responses per elapsed second.
    pub ok_rps: f64,
    pub counts: CountsReport,
    pub warmup_counts: CountsReport,
    pub latency_ms: Latencies,
    pub by_kind: BTreeMap<String, KindReport>,
    /// How late the driver's dispatcher was behind the schedule (part of corrected latency).
    pub dispatch_lag_ms: Summary,
    pub spectra_ms: Spectra,
}

impl RunReport {
    pub fn new(settings: RunSettings, rec: &Recorder) -> Self {
        let measured = Duration::from_secs_f64(settings.duration_s - settings.warmup_s);
        let warmup = Duration::from_secs_f64(settings.warmup_s);
        let elapsed = rec
            .last_done
            .map_or(measured, |d| d.saturating_sub(warmup).max(measured));
        let per_s = |n: u64| n as f64 / elapsed.as_secs_f64();
        let by_kind = Kind::ALL
            .iter()
            .filter(|k| rec.counts_by_kind[k.index()].requests > 0)
            .map(|k| {
                (
                    k.name().to_string(),
                    KindReport {
                        counts: (&rec.counts_by_kind[k.index()]).into(),
                        corrected_ms: summarize(&rec.corrected_by_kind[k.index()]),
                    },
                )
            })
            .collect();
        RunReport {
            measured_s: measured.as_secs_f64(),
            elapsed_s: elapsed.as_secs_f64(),
            offered_rps: rec.counts.requests as f64 / measured.as_secs_f64(),
            achieved_rps: per_s(rec.counts.responses()),
            ok_rps: per_s(rec.counts.ok()),
            counts: (&rec.counts).into(),
            warmup_counts: (&rec.warmup_counts).into(),
            latency_ms: Latencies {
                corrected: summarize(&rec.corrected),
                uncorrected: summarize(&rec.uncorrected),
            },
            by_kind,
            dispatch_lag_ms: summarize(&rec.dispatch_lag),
            spectra_ms: Spectra {
                corrected: spectrum(&rec.corrected),
                uncorrected: spectrum(&rec.uncorrected),
            },
            settings,
        }
    }

    /// The human-readable report.
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} workload, {} API, {} — {} connections, {} users, seed {}",
            s.workload.name(),
            api_name(s.api),
            s.target,
            s.connections,
            s.users,
            s.seed
        );
        let _ = writeln!(
            o,
            "duration {:.1}s (warm-up {:.1}s excluded), measured {:.1}s, elapsed {:.2}s",
            s.duration_s, s.warmup_s, self.measured_s, self.elapsed_s
        );
        let _ = writeln!(
            o,
            "throughput: target {:.1} req/s, offered {:.1} req/s, achieved {:.1} req/s ({:.1} req/s 2xx)",
            s.rate, self.offered_rps, self.achieved_rps, self.ok_rps
        );
        let _ = writeln!(o, "requests: {}", counts_line(&self.counts));
        if self.warmup_counts.requests > 0 {
            let _ = writeln!(
                o,
                "warm-up requests (not measured): {}",
                counts_line(&self.warmup_counts)
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (ms)", "count", "mean", "p50", "p90", "p99", "p99.9", "max"
        );
        let mut row = |name: &str, m: &Summary| {
            let _ = writeln!(
                o,
                "{:<24} {:>9} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                name, m.count, m.mean, m.p50, m.p90, m.p99, m.p999, m.max
            );
        };
        row("corrected (scheduled)", &self.latency_ms.corrected);
        row("uncorrected (sent)", &self.latency_ms.uncorrected);
        if self.by_kind.len() > 1 {
            for (name, k) in &self.by_kind {
                row(&format!("  {name} (corrected)"), &k.corrected_ms);
            }
        }
        if self.by_kind.len() > 1 {
            let _ = writeln!(o);
            for (name, k) in &self.by_kind {
                let _ = writeln!(o, "{name}: {}", counts_line(&k.counts));
            }
        }
        let lag = &self.dispatch_lag_ms;
        if lag.count > 0 {
            let _ = writeln!(
                o,
                "driver dispatch lag behind schedule (ms): p50 {:.3}, p99 {:.3}, max {:.3}",
                lag.p50, lag.p99, lag.max
            );
        }
        o
    }
}

pub fn api_name(api: Api) -> &'static str {
    match api {
        Api::Dsb => "dsb",
        Api::Gateway => "gateway",
        Api::Lambda => "lambda",
    }
}

/// `1000 total, 990 ok, 10 errors (1.00 %): 200×990 500×7 timeout×3`
pub fn counts_line(c: &CountsReport) -> String {
    let mut s = format!(
        "{} total, {} ok, {} errors ({:.2} %)",
        c.requests, c.ok, c.errors, c.error_pct
    );
    let mut parts: Vec<String> = c
        .statuses
        .iter()
        .map(|(code, n)| format!("HTTP {code}: {n}"))
        .collect();
    parts.extend(
        c.transport_errors
            .iter()
            .map(|(kind, n)| format!("{kind} errors: {n}")),
    );
    if c.unsent > 0 {
        parts.push(format!("never sent: {}", c.unsent));
    }
    if !parts.is_empty() {
        s.push_str(" — ");
        s.push_str(&parts.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Outcome;

    #[test]
    fn throughput_and_counts() {
        let settings = RunSettings {
            target: "http://h".into(),
            api: Api::Gateway,
            workload: Workload::Mixed,
            rate: 100.0,
            duration_s: 3.0,
            warmup_s: 1.0,
            connections: 4,
            users: 10,
            seed: 1,
            timeout_s: 1.0,
        };
        let mut rec = Recorder::new(Duration::from_secs(1));
        let ms = Duration::from_millis;
        // 10 warm-up requests, then 200 measured ones at 100/s, each 5 ms; 2 fail with 500,
        // one times out; the last one ends at 3.5 s.
        for i in 0..10 {
            rec.record(
                Kind::Compose,
                ms(i * 100),
                Some(ms(i * 100)),
                ms(i * 100 + 5),
                &Outcome::Status(200),
            );
        }
        for i in 0..200u64 {
            let at = ms(1000 + i * 10);
            let outcome = match i {
                0 | 1 => Outcome::Status(500),
                2 => Outcome::Transport("timeout".into()),
                _ => Outcome::Status(200),
            };
            let kind = if i % 2 == 0 {
                Kind::HomeTimeline
            } else {
                Kind::UserTimeline
            };
            let done = if i == 199 { ms(3500) } else { at + ms(5) };
            rec.record(kind, at, Some(at), done, &outcome);
        }
        let r = RunReport::new(settings, &rec);
        assert_eq!(r.measured_s, 2.0);
        assert!((r.elapsed_s - 2.5).abs() < 1e-9);
        assert!((r.offered_rps - 100.0).abs() < 1e-9);
        assert!((r.achieved_rps - 199.0 / 2.5).abs() < 1e-9);
        assert!((r.ok_rps - 197.0 / 2.5).abs() < 1e-9);
        assert_eq!(r.counts.errors, 3);
        assert!((r.counts.error_pct - 1.5).abs() < 1e-9);
        assert_eq!(r.counts.statuses["500"], 2);
        assert_eq!(r.warmup_counts.requests, 10);
        assert_eq!(r.by_kind.len(), 2);
        let text = r.render();
        assert!(
            text.contains("HTTP 500: 2") && text.contains("timeout errors: 1"),
            "{text}"
        );
        assert!(text.contains("corrected (scheduled)") && text.contains("uncorrected (sent)"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["counts"]["statuses"]["200"], 197);
        assert_eq!(json["settings"]["api"], "gateway");
        assert_eq!(json["settings"]["workload"], "mixed");
        assert!(json["latency_ms"]["corrected"]["p99"].as_f64().unwrap() >= 5.0);
    }
}
