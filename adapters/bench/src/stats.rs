//! Latency histograms and outcome counts of a run. Latencies go into HDR histograms in
//! microseconds (1 µs to 1 h, 3 significant digits), twice: from the *scheduled* send time
//! (coordinated-omission corrected: queueing in the driver and in the server both count) and
//! from the *actual* send time (uncorrected, what a closed-loop tool would report). Requests
//! scheduled during the warm-up are counted apart and kept out of the histograms.
//!
//! A server that sheds load answers the requests it refuses with a quick 503: their latency is
//! kept apart from that of the requests it admitted (every other response), as are per-second
//! figures, so that an overload run shows whether the admitted requests stay fast throughout.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::workload::Kind;

/// Largest latency recorded (larger values are clamped to it): one hour, in µs.
pub const MAX_MICROS: u64 = 3_600_000_000;

/// An empty latency histogram in µs.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

/// The status of a shed request.
pub const SHED_STATUS: u16 = 503;

/// What happened to the requests scheduled in one second of the measured window.
#[derive(Debug, Clone)]
pub struct Second {
    pub offered: u64,
    pub ok: u64,
    pub shed: u64,
    /// Corrected latency of the admitted (not shed) responses, 2 significant digits: one of
    /// these per second of the run.
    pub admitted: Histogram<u64>,
}

impl Second {
    fn new() -> Self {
        Second {
            offered: 0,
            ok: 0,
            shed: 0,
            admitted: Histogram::new_with_bounds(1, MAX_MICROS, 2).expect("valid bounds"),
        }
    }
}

/// Records `d` in µs, at least 1 µs, at most [`MAX_MICROS`].
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, MAX_MICROS);
    h.saturating_record(us);
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP response with this status, body read to the end.
    Status(u16),
    /// No complete response: connect failure, timeout, reset... (the reqwest error class).
    Transport(String),
    /// Still waiting for a connection when the run's drain deadline passed: never sent.
    Unsent,
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub stdev: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub p9999: f64,
    pub max: f64,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The summary of `h` (all zeros when it is empty).
pub fn summarize(h: &Histogram<u64>) -> Summary {
    if h.is_empty() {
        return Summary::default();
    }
    Summary {
        count: h.len(),
        mean: h.mean() / 1000.0,
        stdev: h.stdev() / 1000.0,
        min: ms(h.min()),
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        p9999: ms(h.value_at_quantile(0.9999)),
        max: ms(h.max()),
    }
}

/// One point of a percentile spectrum: `quantile` in [0, 1], `nines` = −log10(1 − quantile) (the
/// x axis of HdrHistogram plots: 1 = 90 %, 2 = 99 %, 3 = 99.9 %) and the latency in ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpectrumPoint {
    pub quantile: f64,
    pub nines: f64,
    pub ms: f64,
}

/// The percentile spectrum of `h` as HdrHistogram prints it (5 steps per halving of the
/// remaining distance to 100 %). The final point (100 %, the maximum) has infinite nines; it is
/// placed at log10(count), the nines of the last sample, or just after the previous point.
pub fn spectrum(h: &Histogram<u64>) -> Vec<SpectrumPoint> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<SpectrumPoint> = Vec::new();
    for v in h.iter_quantiles(5) {
        let q = v.quantile_iterated_to();
        let value = ms(h.highest_equivalent(v.value_iterated_to()));
        let nines = if q < 1.0 {
            -(1.0 - q).log10()
        } else {
            let last = points.last().map_or(0.0, |p| p.nines);
            (h.len() as f64).log10().max(last + 0.01)
        };
        if points.last().is_some_and(|p| p.nines >= nines) {
            continue;
        }
        points.push(SpectrumPoint {
            quantile: q,
            nines,
            ms: value,
        });
    }
    points
}

/// Counts of outcomes: 2xx are successes, everything else an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: BTreeMap<String, u64>,
    pub unsent: u64,
}

impl Counts {
    pub fn add(&mut self, outcome: &Outcome) {
        self.requests += 1;
        match outcome {
            Outcome::Status(s) => *self.statuses.entry(*s).or_default() += 1,
            Outcome::Transport(kind) => {
                *self.transport_errors.entry(kind.clone()).or_default() += 1
            }
            Outcome::Unsent => self.unsent += 1,
        }
    }

    /// Requests that got an HTTP response (any status).
    pub fn responses(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    /// Non-2xx responses, transport errors and unsent requests.
    pub fn errors(&self) -> u64 {
        self.requests - self.ok()
    }
}

/// Everything measured in one run. Times are offsets from the run's start.
#[derive(Debug, Clone)]
pub struct Recorder {
    warmup: Duration,
    pub corrected: Histogram<u64>,
    pub uncorrected: Histogram<u64>,
    pub corrected_by_kind: [Histogram<u64>; 4],
    /// Corrected latency of responses other than [`SHED_STATUS`], and of those.
    pub admitted: Histogram<u64>,
    pub shed: Histogram<u64>,
    /// By second of the measured window in which requests were scheduled.
    pub seconds: Vec<Second>,
    pub counts: Counts,
    pub counts_by_kind: [Counts; 4],
    pub warmup_counts: Counts,
    /// When the last measured request finished (response, error or give-up).
    pub last_done: Option<Duration>,
    /// How late the driver handed measured requests to the runtime, behind their schedule
    /// (filled in by the dispatcher; large values mean the driver itself is the bottleneck).
    pub dispatch_lag: Histogram<u64>,
}

impl Recorder {
    /// Requests scheduled before `warmup` are warm-up: counted apart, not in the histograms.
    pub fn new(warmup: Duration) -> Self {
        Recorder {
            warmup,
            corrected: new_histogram(),
            uncorrected: new_histogram(),
            corrected_by_kind: std::array::from_fn(|_| new_histogram()),
            admitted: new_histogram(),
            shed: new_histogram(),
            seconds: Vec::new(),
            counts: Counts::default(),
            counts_by_kind: Default::default(),
            warmup_counts: Counts::default(),
            last_done: None,
            dispatch_lag: new_histogram(),
        }
    }

    /// One finished request: scheduled at `scheduled`, written at `sent` (`None` if never
    /// sent), finished at `done`. Latencies are recorded for HTTP responses of any status
    /// (as wrk2 does), not for transport errors.
    pub fn record(
        &mut self,
        kind: Kind,
        scheduled: Duration,
        sent: Option<Duration>,
        done: Duration,
        outcome: &Outcome,
    ) {
        if scheduled < self.warmup {
            self.warmup_counts.add(outcome);
            return;
        }
        self.counts.add(outcome);
        self.counts_by_kind[kind.index()].add(outcome);
        self.last_done = Some(self.last_done.map_or(done, |d| d.max(done)));
        let index = scheduled.saturating_sub(self.warmup).as_secs() as usize;
        if self.seconds.len() <= index {
            self.seconds.resize_with(index + 1, Second::new);
        }
        let second = &mut self.seconds[index];
        second.offered += 1;
        if let (Outcome::Status(status), Some(sent)) = (outcome, sent) {
            let corrected = done.saturating_sub(scheduled);
            record(&mut self.corrected, corrected);
            record(&mut self.corrected_by_kind[kind.index()], corrected);
            record(&mut self.uncorrected, done.saturating_sub(sent));
            if *status == SHED_STATUS {
                second.shed += 1;
                record(&mut self.shed, corrected);
            } else {
                second.ok += u64::from((200..300).contains(status));
                record(&mut self.admitted, corrected);
                record(&mut second.admitted, corrected);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_percentiles_of_known_data() {
        let mut h = new_histogram();
        for us in 1..=1000u64 {
            h.record(us * 1000).unwrap(); // 1 ms … 1000 ms
        }
        let s = summarize(&h);
        assert_eq!(s.count, 1000);
        // 3 significant digits: values are exact to within 0.1 %.
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.001;
        assert!(close(s.p50, 500.0), "p50 {}", s.p50);
        assert!(close(s.p90, 900.0), "p90 {}", s.p90);
        assert!(close(s.p99, 990.0), "p99 {}", s.p99);
        assert!(close(s.p999, 999.0), "p99.9 {}", s.p999);
        assert!(close(s.max, 1000.0), "max {}", s.max);
        assert!(close(s.min, 1.0), "min {}", s.min);
        assert!((s.mean - 500.5).abs() < 0.5, "mean {}", s.mean);

        // Below 2048 µs every value has its own bucket: exact.
        let mut h = new_histogram();
        for us in 1..=1000u64 {
            h.record(us).unwrap();
        }
        let s = summarize(&h);
        assert_eq!((s.p50, s.p99, s.max), (0.5, 0.99, 1.0));
    }

    #[test]
    fn skewed_data_tail() {
        // 990 fast requests at 1 ms and 10 slow ones at 100 ms: p99 is still fast, p99.9 slow.
        let mut h = new_histogram();
        for _ in 0..990 {
            record(&mut h, Duration::from_millis(1));
        }
        for _ in 0..10 {
            record(&mut h, Duration::from_millis(100));
        }
        let s = summarize(&h);
        assert_eq!(s.p50, 1.0);
        assert_eq!(s.p99, 1.0);
        assert!((s.p999 - 100.0).abs() < 0.1, "{}", s.p999);
        assert!((s.max - 100.0).abs() < 0.1, "{}", s.max);
    }

    #[test]
    fn stalled_schedule_is_corrected() {
        // Requests due every 1 ms; the server stalls for 100 ms on the first, and with one
        // connection every later request waits for it: actual sends slip, service is 1 ms each.
        let mut r = Recorder::new(Duration::ZERO);
        let mut free_at = Duration::ZERO;
        for i in 0..100u64 {
            let scheduled = Duration::from_millis(i);
            let sent = scheduled.max(free_at);
            let service = if i == 0 { 100 } else { 1 };
            let done = sent + Duration::from_millis(service);
            free_at = done;
            r.record(
                Kind::HomeTimeline,
                scheduled,
                Some(sent),
                done,
                &Outcome::Status(200),
            );
        }
        let c = summarize(&r.corrected);
        let u = summarize(&r.uncorrected);
        assert!((u.p50 - 1.0).abs() < 0.01, "uncorrected p50 {}", u.p50);
        // The request due at 1 ms is sent at 100 ms and done at 101 ms: 100 ms corrected.
        assert!(c.p50 > 90.0, "corrected p50 {}", c.p50);
        assert!(c.p99 > 50.0 * u.p99 && c.max >= u.max && c.p50 > 50.0 * u.p50);
        assert!((u.max - 100.0).abs() < 0.1);
    }

    #[test]
    fn warmup_is_counted_apart_and_errors_have_no_latency() {
        let mut r = Recorder::new(Duration::from_secs(1));
        let ms = Duration::from_millis;
        r.record(
            Kind::Compose,
            ms(500),
            Some(ms(500)),
            ms(900),
            &Outcome::Status(200),
        );
        r.record(
            Kind::Compose,
            ms(1500),
            Some(ms(1500)),
            ms(1510),
            &Outcome::Status(200),
        );
        r.record(
            Kind::Compose,
            ms(1600),
            Some(ms(1600)),
            ms(1700),
            &Outcome::Status(500),
        );
        r.record(
            Kind::HomeTimeline,
            ms(1700),
            Some(ms(1700)),
            ms(3700),
            &Outcome::Transport("timeout".into()),
        );
        r.record(
            Kind::HomeTimeline,
            ms(1800),
            None,
            ms(4000),
            &Outcome::Unsent,
        );
        assert_eq!(r.warmup_counts.requests, 1);
        assert_eq!(r.counts.requests, 4);
        assert_eq!(r.counts.ok(), 1);
        assert_eq!(r.counts.responses(), 2);
        assert_eq!(r.counts.errors(), 3);
        assert_eq!(r.counts.unsent, 1);
        assert_eq!(r.counts.transport_errors["timeout"], 1);
        assert_eq!(r.corrected.len(), 2);
        assert_eq!(r.counts_by_kind[Kind::Compose.index()].requests, 2);
        assert_eq!(r.corrected_by_kind[Kind::HomeTimeline.index()].len(), 0);
        assert_eq!(r.last_done, Some(ms(4000)));
        // HDR values are bucket tops: within 0.1 % (3 significant digits).
        assert!((summarize(&r.corrected).max - 100.0).abs() < 0.1);
    }

    #[test]
    fn spectrum_is_monotonic_and_ends_at_max() {
        let mut h = new_histogram();
        for us in 1..=10_000u64 {
            h.record(us).unwrap();
        }
        let sp = spectrum(&h);
        assert!(sp.len() > 20);
        assert!(
            sp.windows(2)
                .all(|w| w[0].nines < w[1].nines && w[0].ms <= w[1].ms)
        );
        assert_eq!(sp[0].nines, 0.0);
        let last = sp.last().unwrap();
        assert_eq!(last.quantile, 1.0);
        assert!((last.ms - 10.0).abs() < 0.01);
        let p99 = sp.iter().find(|p| (p.nines - 2.0).abs() < 0.05).unwrap();
        assert!((p99.ms - 9.9).abs() < 0.05, "{p99:?}");
        assert!(spectrum(&new_histogram()).is_empty());
    }
}
