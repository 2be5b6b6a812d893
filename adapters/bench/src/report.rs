//! The report of a run: offered and achieved throughput, outcomes by HTTP status and transport
//! error, and corrected / uncorrected latency percentiles, as a text table for stdout and as
//! JSON (`--json`, with the full percentile spectra so plots can be redrawn).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::breakdown::Breakdown;
use crate::client::Api;
use crate::stats::{
    Counts, Recorder, SHED_STATUS, Second, SpectrumPoint, Summary, spectrum, summarize,
};
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

/// The requests a server shed (HTTP 503) and those it admitted (every other response), apart.
#[derive(Debug, Clone, Serialize)]
pub struct Shedding {
    pub shed: u64,
    /// Of the measured requests.
    pub shed_pct: f64,
    /// Corrected latency of the admitted responses.
    pub admitted_ms: Summary,
    /// Corrected latency of the shed ones.
    pub shed_ms: Summary,
}

/// One second of the measured window, by when requests were scheduled.
#[derive(Debug, Clone, Serialize)]
pub struct SecondReport {
    /// Seconds since the start of the measured window.
    pub second: u64,
    pub offered: u64,
    pub ok: u64,
    pub shed: u64,
    /// Corrected latency of the admitted responses, 2 significant digits.
    pub admitted_p50_ms: f64,
    pub admitted_p99_ms: f64,
    pub admitted_max_ms: f64,
}

impl SecondReport {
    fn new(second: usize, s: &Second) -> Self {
        let h = summarize(&s.admitted);
        SecondReport {
            second: second as u64,
            offered: s.offered,
            ok: s.ok,
            shed: s.shed,
            admitted_p50_ms: h.p50,
            admitted_p99_ms: h.p99,
            admitted_max_ms: h.max,
        }
    }
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
    pub shedding: Shedding,
    pub per_second: Vec<SecondReport>,
    pub spectra_ms: Spectra,
    /// With `run --window`: the run window by window.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowReport>,
    /// The trace breakdown, with `run --traces`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traces: Option<Breakdown>,
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
            shedding: Shedding {
                shed: rec.shed.len(),
                shed_pct: if rec.counts.requests == 0 {
                    0.0
                } else {
                    100.0 * rec.shed.len() as f64 / rec.counts.requests as f64
                },
                admitted_ms: summarize(&rec.admitted),
                shed_ms: summarize(&rec.shed),
            },
            per_second: rec
                .seconds
                .iter()
                .enumerate()
                .map(|(i, s)| SecondReport::new(i, s))
                .collect(),
            spectra_ms: Spectra {
                corrected: spectrum(&rec.corrected),
                uncorrected: spectrum(&rec.uncorrected),
            },
            windows: Vec::new(),
            traces: None,
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
        if self.shedding.shed > 0 {
            row("  admitted (corrected)", &self.shedding.admitted_ms);
            row(
                &format!("  shed, {SHED_STATUS} (corrected)"),
                &self.shedding.shed_ms,
            );
        }
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
        if self.shedding.shed > 0 {
            let _ = writeln!(
                o,
                "shed (HTTP {SHED_STATUS}): {} of {} ({:.2} %); admitted: every other response",
                self.shedding.shed, self.counts.requests, self.shedding.shed_pct
            );
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

/// The per-second table: what was offered each second, answered 2xx, shed, and the admitted
/// requests' corrected latency.
pub fn render_per_second(seconds: &[SecondReport]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:>6} {:>8} {:>8} {:>8} {:>14} {:>14} {:>14}",
        "second", "offered", "2xx", "shed", "admitted p50", "admitted p99", "admitted max"
    );
    for s in seconds {
        let _ = writeln!(
            o,
            "{:>6} {:>8} {:>8} {:>8} {:>14.2} {:>14.2} {:>14.2}",
            s.second,
            s.offered,
            s.ok,
            s.shed,
            s.admitted_p50_ms,
            s.admitted_p99_ms,
            s.admitted_max_ms
        );
    }
    o
}

/// One window of a long run (`run --window`): to find stalls that a percentile of the whole
/// run hides, and memory that grows.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// Offset of the window's start into the measured run, seconds.
    pub start_s: u64,
    pub offered: u64,
    pub ok: u64,
    pub shed: u64,
    /// Corrected latency of the admitted responses scheduled in the window (2 significant
    /// digits), ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// The server's largest RSS in the window, kB.
    pub server_rss_kb: Option<u64>,
}

/// The run's seconds grouped into windows of `width_s` seconds.
pub fn windows(rec: &Recorder, rss_kb: &[Option<u64>], width_s: usize) -> Vec<WindowReport> {
    let width_s = width_s.max(1);
    rec.seconds
        .chunks(width_s)
        .enumerate()
        .map(|(i, seconds)| {
            let mut admitted = seconds[0].admitted.clone();
            for s in &seconds[1..] {
                let _ = admitted.add(&s.admitted);
            }
            let ms = |q: f64| {
                if admitted.is_empty() {
                    0.0
                } else {
                    admitted.value_at_quantile(q) as f64 / 1000.0
                }
            };
            let rss = rss_kb
                .iter()
                .skip(i * width_s)
                .take(width_s)
                .flatten()
                .max()
                .copied();
            WindowReport {
                start_s: (i * width_s) as u64,
                offered: seconds.iter().map(|s| s.offered).sum(),
                ok: seconds.iter().map(|s| s.ok).sum(),
                shed: seconds.iter().map(|s| s.shed).sum(),
                p50_ms: ms(0.5),
                p99_ms: ms(0.99),
                p999_ms: ms(0.999),
                max_ms: if admitted.is_empty() {
                    0.0
                } else {
                    admitted.max() as f64 / 1000.0
                },
                server_rss_kb: rss,
            }
        })
        .collect()
}

/// The windows table.
pub fn render_windows(windows: &[WindowReport]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:>7} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "from s",
        "offered",
        "2xx",
        "shed",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "server RSS kB"
    );
    for w in windows {
        let rss = w.server_rss_kb.map_or("-".to_string(), |kb| kb.to_string());
        let _ = writeln!(
            o,
            "{:>7} {:>9} {:>9} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>12}",
            w.start_s, w.offered, w.ok, w.shed, w.p50_ms, w.p99_ms, w.p999_ms, w.max_ms, rss
        );
    }
    o
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
        assert_eq!(r.shedding.shed, 0);
        assert!(!text.contains("shed"), "{text}");
        assert!(json.get("traces").is_none(), "no --traces, no key");
    }

    #[test]
    fn shed_requests_are_kept_apart_from_admitted_ones() {
        let settings = RunSettings {
            target: "http://h".into(),
            api: Api::Gateway,
            workload: Workload::Compose,
            rate: 100.0,
            duration_s: 2.0,
            warmup_s: 0.0,
            connections: 4,
            users: 10,
            seed: 1,
            timeout_s: 1.0,
        };
        let mut rec = Recorder::new(Duration::ZERO);
        let ms = Duration::from_millis;
        // Second 0: 100 admitted at 20 ms. Second 1: 50 admitted at 20 ms, 50 shed at 1 ms.
        for i in 0..200u64 {
            let at = ms(i * 10);
            let shed = i >= 100 && i % 2 == 0;
            let (status, took) = if shed { (503, ms(1)) } else { (200, ms(20)) };
            rec.record(
                Kind::Compose,
                at,
                Some(at),
                at + took,
                &Outcome::Status(status),
            );
        }
        let r = RunReport::new(settings, &rec);
        assert_eq!(r.shedding.shed, 50);
        assert!((r.shedding.shed_pct - 25.0).abs() < 1e-9);
        assert!((r.shedding.admitted_ms.p50 - 20.0).abs() < 0.1);
        assert!(
            (r.shedding.admitted_ms.min - 20.0).abs() < 0.1,
            "no shed one among them"
        );
        assert!((r.shedding.shed_ms.max - 1.0).abs() < 0.01);
        let seconds: Vec<(u64, u64, u64)> = r
            .per_second
            .iter()
            .map(|s| (s.offered, s.ok, s.shed))
            .collect();
        assert_eq!(seconds, [(100, 100, 0), (100, 50, 50)]);
        assert!((r.per_second[1].admitted_p99_ms - 20.0).abs() < 0.5);
        let text = r.render();
        assert!(
            text.contains("shed (HTTP 503): 50 of 200 (25.00 %)"),
            "{text}"
        );
        assert!(text.contains("admitted (corrected)"), "{text}");
        let table = render_per_second(&r.per_second);
        assert_eq!(table.lines().count(), 3, "{table}");
    }
}
