//! `sweep`: runs `run` at increasing offered rates (start, start + step, … up to max) until a
//! step breaks the SLO — its corrected p99 above `--slo-p99-ms` or more than `--max-error-pct`
//! of its requests failed — and reports the highest rate that met it ("sustained"), the way
//! Nightcore and others read throughput off wrk2 (WORKLOAD.md §6.3).

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::args::SweepArgs;
use crate::report::RunReport;
use crate::run::{RunConfig, derive_seed, run};

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub rate: f64,
    pub passed: bool,
    /// Why the step failed (empty when it passed).
    pub reasons: Vec<String>,
    pub report: RunReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepResult {
    pub slo_p99_ms: f64,
    pub max_error_pct: f64,
    pub seed: u64,
    /// The highest rate whose step met the SLO, if any did.
    pub highest_sustained_rps: Option<f64>,
    pub steps: Vec<Step>,
}

/// Why a step with `report` breaks the SLO (empty: it meets it). A run with no response at all
/// has no p99 and fails.
pub fn slo_violations(report: &RunReport, slo_p99_ms: f64, max_error_pct: f64) -> Vec<String> {
    let mut reasons = Vec::new();
    let c = &report.latency_ms.corrected;
    if c.count == 0 {
        reasons.push("no responses".to_string());
    } else if c.p99 > slo_p99_ms {
        reasons.push(format!("corrected p99 {:.3} ms > {} ms", c.p99, slo_p99_ms));
    }
    if report.counts.error_pct > max_error_pct {
        reasons.push(format!(
            "errors {:.2} % > {} %",
            report.counts.error_pct, max_error_pct
        ));
    }
    reasons
}

/// One line per step.
pub fn step_line(step: &Step) -> String {
    let r = &step.report;
    let mut s = format!(
        "rate {:>9.1}  offered {:>9.1}  achieved {:>9.1} req/s  p50 {:>8.3}  p99 {:>8.3}  p99.9 {:>8.3} ms (corrected; uncorrected p99 {:.3})  errors {:.2} %  ",
        step.rate,
        r.offered_rps,
        r.achieved_rps,
        r.latency_ms.corrected.p50,
        r.latency_ms.corrected.p99,
        r.latency_ms.corrected.p999,
        r.latency_ms.uncorrected.p99,
        r.counts.error_pct
    );
    if step.passed {
        s.push_str("ok");
    } else {
        let _ = write!(s, "FAIL: {}", step.reasons.join("; "));
    }
    s
}

/// Runs the sweep, printing each step as it ends.
pub async fn sweep(args: &SweepArgs, seed: u64, show_progress: bool) -> Result<SweepResult> {
    let mut steps = Vec::new();
    let mut highest = None;
    for (i, rate) in args.rates().into_iter().enumerate() {
        if i > 0 && !args.pause.is_zero() {
            tokio::time::sleep(args.pause).await;
        }
        let cfg = RunConfig::new(
            &args.load,
            rate,
            args.duration,
            derive_seed(seed, 100 + i as u64),
        );
        let report = run(&cfg, show_progress).await?;
        let reasons = slo_violations(&report, args.slo_p99_ms, args.max_error_pct);
        let step = Step {
            rate,
            passed: reasons.is_empty(),
            reasons,
            report,
        };
        println!("{}", step_line(&step));
        let passed = step.passed;
        steps.push(step);
        if !passed {
            break;
        }
        highest = Some(rate);
    }
    Ok(SweepResult {
        slo_p99_ms: args.slo_p99_ms,
        max_error_pct: args.max_error_pct,
        seed,
        highest_sustained_rps: highest,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::client::Api;
    use crate::report::RunSettings;
    use crate::stats::{Outcome, Recorder};
    use crate::workload::{Kind, Workload};

    fn report(latency_ms: u64, errors: u64) -> RunReport {
        let mut rec = Recorder::new(Duration::ZERO);
        for i in 0..100u64 {
            let at = Duration::from_millis(i * 10);
            let outcome = if i < errors {
                Outcome::Status(500)
            } else {
                Outcome::Status(200)
            };
            rec.record(
                Kind::Compose,
                at,
                Some(at),
                at + Duration::from_millis(latency_ms),
                &outcome,
            );
        }
        let settings = RunSettings {
            target: "http://h".into(),
            api: Api::Dsb,
            workload: Workload::Compose,
            rate: 100.0,
            duration_s: 1.0,
            warmup_s: 0.0,
            connections: 1,
            users: 2,
            seed: 0,
            timeout_s: 1.0,
        };
        RunReport::new(settings, &rec)
    }

    #[test]
    fn slo_checks() {
        assert!(slo_violations(&report(5, 0), 10.0, 1.0).is_empty());
        assert!(slo_violations(&report(5, 1), 10.0, 1.0).is_empty()); // 1 % is allowed
        let r = slo_violations(&report(5, 2), 10.0, 1.0);
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("errors 2.00 %"), "{r:?}");
        let r = slo_violations(&report(20, 0), 10.0, 1.0);
        assert!(
            r[0].starts_with("corrected p99 20.0") && r[0].ends_with("ms > 10 ms"),
            "{r:?}"
        );
        assert_eq!(slo_violations(&report(20, 5), 10.0, 1.0).len(), 2);
        let empty = RunReport::new(report(1, 0).settings, &Recorder::new(Duration::ZERO));
        assert_eq!(slo_violations(&empty, 10.0, 1.0), ["no responses"]);
    }
}
