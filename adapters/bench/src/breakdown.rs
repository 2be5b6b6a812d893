//! Where the time of a traced request goes: the pure half of `run --traces`. From the spans of
//! each sampled request's trace (as [`crate::jaeger`] fetched them) and the latency the driver
//! measured for it, this builds the span tree, each span's self time, and per request type a
//! table of span operations and of the time no span covers.
//!
//! Definitions (also printed with the table):
//! - *duration*: a span's end minus its start, one value per span (an operation that runs
//!   twice in a trace counts twice).
//! - *self time*: the duration minus the union of its children's intervals, each clipped to
//!   the span itself. The union, not the sum: children running in parallel are not subtracted
//!   twice, and a child that outlives its parent only takes away the part inside it.
//! - *share*: the sum of an operation's durations (or self times) over the type's traces,
//!   divided by the sum of those traces' client latencies. Durations nest, so their shares
//!   add up to more than 100 %; self times do not nest, and with uncovered time they add up
//!   to 100 % where calls are sequential (parallel calls push the sum above).
//! - *uncovered*: the client latency (send to the response's last byte) minus the union of the
//!   root spans, those whose parent is the driver's own span: queueing before the first span
//!   starts, the HTTP stacks and the network, which DSB's users infer by hand from wrk2's
//!   latency being far above Jaeger's. A trace without a root span (an edge that records none
//!   of its own, a process that did not export) is measured from its top-most spans instead,
//!   the orphans, and counted as rootless.
//!
//! A trace that is missing, failed to fetch, or lacks spans is counted as such, never fatal.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::stats::{MAX_MICROS, Summary, new_histogram, summarize};
use crate::workload::Kind;

/// One span as the breakdown needs it; times in µs (Jaeger's unit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub id: u64,
    /// The span it is a child of, if it names one.
    pub parent: Option<u64>,
    pub name: String,
    pub start_us: i64,
    pub duration_us: i64,
}

impl Span {
    fn end_us(&self) -> i64 {
        self.start_us + self.duration_us.max(0)
    }
}

/// What fetching one trace gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    Found(Vec<Span>),
    /// Not in the query API (404, or no spans): never exported, dropped, or not yet flushed.
    Missing,
    /// The query itself failed (connection, status, unreadable body).
    Failed(String),
}

/// One sampled request and its trace.
#[derive(Debug, Clone)]
pub struct TraceSample {
    pub kind: Kind,
    /// Client latency: from the actual send to the response's last byte.
    pub latency_us: u64,
    /// The span id the driver sent in `traceparent`: the root spans' parent.
    pub client_span: u64,
    pub fetched: Fetched,
}

/// One span's figures within its trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanTimes {
    pub name: String,
    pub duration_us: u64,
    pub self_us: u64,
}

/// A trace's tree, reduced to what the tables need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceTimes {
    pub spans: Vec<SpanTimes>,
    /// Length of the union of the root spans' intervals, or without a root of the orphans';
    /// `None` without either.
    pub root_us: Option<u64>,
    /// Whether a span's parent is the driver's span (the trace has a root).
    pub rooted: bool,
    /// Spans whose parent is neither in the trace nor the driver's span: a part of the tree
    /// never arrived (a process that did not export, a dropped batch).
    pub orphans: usize,
}

/// Total length of the union of `intervals` (start, end); empty or inverted ones count 0.
pub fn union_len(intervals: &mut [(i64, i64)]) -> u64 {
    intervals.sort_unstable();
    let mut total: i64 = 0;
    let mut current: Option<(i64, i64)> = None;
    for &(start, end) in intervals.iter() {
        if end <= start {
            continue;
        }
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total as u64
}

/// The tree of one trace's spans: roots are the spans whose parent is `client_span` (or that
/// name no parent); a span whose parent is absent otherwise is an orphan. Duplicate span ids
/// (a batch exported twice) keep their first span.
pub fn analyse(spans: &[Span], client_span: u64) -> TraceTimes {
    let mut index: HashMap<u64, usize> = HashMap::with_capacity(spans.len());
    let mut unique: Vec<&Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(span.id) {
            slot.insert(unique.len());
            unique.push(span);
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); unique.len()];
    let mut roots = Vec::new();
    let mut orphans = Vec::new();
    for (i, span) in unique.iter().enumerate() {
        match span.parent {
            Some(p) if p != span.id && index.contains_key(&p) => children[index[&p]].push(i),
            Some(p) if p == client_span => roots.push((span.start_us, span.end_us())),
            None => roots.push((span.start_us, span.end_us())),
            Some(_) => orphans.push((span.start_us, span.end_us())),
        }
    }
    let times = unique
        .iter()
        .enumerate()
        .map(|(i, span)| {
            let (start, end) = (span.start_us, span.end_us());
            let mut inside: Vec<(i64, i64)> = children[i]
                .iter()
                .map(|&c| (unique[c].start_us.max(start), unique[c].end_us().min(end)))
                .collect();
            let duration = (end - start) as u64;
            SpanTimes {
                name: span.name.clone(),
                duration_us: duration,
                self_us: duration.saturating_sub(union_len(&mut inside)),
            }
        })
        .collect();
    let rooted = !roots.is_empty();
    let tops = if rooted { &mut roots } else { &mut orphans };
    TraceTimes {
        spans: times,
        root_us: (!tops.is_empty()).then(|| union_len(tops)),
        rooted,
        orphans: orphans.len(),
    }
}

/// One row of a type's table: a span operation, or the uncovered time.
#[derive(Debug, Clone, Serialize)]
pub struct OpRow {
    pub name: String,
    /// Spans of this operation (or traces, for uncovered).
    pub count: u64,
    /// Spans per fetched trace.
    pub per_trace: f64,
    pub duration_ms: Summary,
    /// Sum of durations / sum of client latencies, %.
    pub share_pct: f64,
    pub self_ms: Summary,
    pub self_share_pct: f64,
}

/// The breakdown of one request type.
#[derive(Debug, Clone, Serialize)]
pub struct KindBreakdown {
    pub kind: Kind,
    /// Sampled requests whose traces were asked for.
    pub requested: u64,
    pub fetched: u64,
    pub missing: u64,
    pub failed: u64,
    /// Fetched traces with orphan spans (a parent that never arrived).
    pub partial: u64,
    /// Of those, traces with no root span: uncovered is measured from their orphans.
    pub rootless: u64,
    /// Client latency of the fetched traces.
    pub client_ms: Summary,
    /// Union of the root spans (of the top-most ones in rootless traces).
    pub root_ms: Summary,
    pub uncovered: OpRow,
    /// By duration share, largest first.
    pub operations: Vec<OpRow>,
}

/// The whole breakdown (the `traces` key of `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub query_url: String,
    pub ratio: f64,
    /// Sampled, measured requests that got an HTTP response.
    pub sampled: u64,
    /// Those whose traces were fetched (at most `--trace-limit`).
    pub requested: u64,
    pub by_kind: Vec<KindBreakdown>,
}

/// Accumulates one operation's spans.
struct Acc {
    count: u64,
    duration: Histogram<u64>,
    self_time: Histogram<u64>,
    duration_sum: u64,
    self_sum: u64,
}

impl Acc {
    fn new() -> Self {
        Acc {
            count: 0,
            duration: new_histogram(),
            self_time: new_histogram(),
            duration_sum: 0,
            self_sum: 0,
        }
    }

    fn add(&mut self, duration_us: u64, self_us: u64) {
        self.count += 1;
        // Histograms need ≥ 1 µs; the sums stay exact.
        self.duration
            .saturating_record(duration_us.clamp(1, MAX_MICROS));
        self.self_time
            .saturating_record(self_us.clamp(1, MAX_MICROS));
        self.duration_sum += duration_us;
        self.self_sum += self_us;
    }

    fn row(&self, name: String, traces: u64, latency_sum: u64) -> OpRow {
        let pct = |sum: u64| {
            if latency_sum == 0 {
                0.0
            } else {
                100.0 * sum as f64 / latency_sum as f64
            }
        };
        OpRow {
            name,
            count: self.count,
            per_trace: if traces == 0 {
                0.0
            } else {
                self.count as f64 / traces as f64
            },
            duration_ms: summarize(&self.duration),
            share_pct: pct(self.duration_sum),
            self_ms: summarize(&self.self_time),
            self_share_pct: pct(self.self_sum),
        }
    }
}

/// The per-type tables of `samples`.
pub fn breakdown(query_url: &str, ratio: f64, sampled: u64, samples: &[TraceSample]) -> Breakdown {
    let by_kind = Kind::ALL
        .iter()
        .filter_map(|&kind| {
            let of_kind: Vec<&TraceSample> = samples.iter().filter(|s| s.kind == kind).collect();
            (!of_kind.is_empty()).then(|| kind_breakdown(kind, &of_kind))
        })
        .collect();
    Breakdown {
        query_url: query_url.to_owned(),
        ratio,
        sampled,
        requested: samples.len() as u64,
        by_kind,
    }
}

fn kind_breakdown(kind: Kind, samples: &[&TraceSample]) -> KindBreakdown {
    let (mut fetched, mut missing, mut failed, mut partial, mut rootless) = (0, 0, 0, 0, 0);
    let mut client = new_histogram();
    let mut root = new_histogram();
    let mut latency_sum = 0u64;
    let mut uncovered = Acc::new();
    let mut ops: BTreeMap<String, Acc> = BTreeMap::new();
    for sample in samples {
        let spans = match &sample.fetched {
            Fetched::Found(spans) if !spans.is_empty() => spans,
            Fetched::Found(_) | Fetched::Missing => {
                missing += 1;
                continue;
            }
            Fetched::Failed(_) => {
                failed += 1;
                continue;
            }
        };
        fetched += 1;
        latency_sum += sample.latency_us;
        client.saturating_record(sample.latency_us.clamp(1, MAX_MICROS));
        let times = analyse(spans, sample.client_span);
        partial += u64::from(times.orphans > 0);
        rootless += u64::from(!times.rooted);
        if let Some(root_us) = times.root_us {
            root.saturating_record(root_us.clamp(1, MAX_MICROS));
            let gap = sample.latency_us.saturating_sub(root_us);
            uncovered.add(gap, gap);
        }
        for span in times.spans {
            ops.entry(span.name)
                .or_insert_with(Acc::new)
                .add(span.duration_us, span.self_us);
        }
    }
    let mut operations: Vec<OpRow> = ops
        .into_iter()
        .map(|(name, acc)| acc.row(name, fetched, latency_sum))
        .collect();
    operations.sort_by(|a, b| {
        b.share_pct
            .total_cmp(&a.share_pct)
            .then(b.self_share_pct.total_cmp(&a.self_share_pct))
            .then_with(|| a.name.cmp(&b.name))
    });
    KindBreakdown {
        kind,
        requested: samples.len() as u64,
        fetched,
        missing,
        failed,
        partial,
        rootless,
        client_ms: summarize(&client),
        root_ms: summarize(&root),
        uncovered: uncovered.row("(uncovered)".into(), fetched, latency_sum),
        operations,
    }
}

/// What the columns mean, printed above the tables.
pub const DEFINITIONS: &str = "\
duration: span end - start, per span. self: duration minus the union of its children's \
intervals (clipped to the span), so parallel calls are not subtracted twice. share: sum over \
the type's traces / sum of their client latencies (send -> last byte); durations nest, self \
times do not. (uncovered): client latency - the root span (whose parent is the driver's; in a \
rootless trace the top-most spans present), i.e. queueing before the first span, HTTP stacks, \
network. Times in ms.";

impl Breakdown {
    /// The tables, one per request type, rows by duration share.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "trace breakdown: {} sampled requests (ratio {}), {} traces asked of {}",
            self.sampled, self.ratio, self.requested, self.query_url
        );
        for line in wrap(DEFINITIONS, 100) {
            let _ = writeln!(o, "  {line}");
        }
        for k in &self.by_kind {
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "{}: {} traces fetched, {} missing, {} failed, {} partial, {} rootless; client \
                 latency p50 {:.3} p99 {:.3}, root span p50 {:.3} p99 {:.3}",
                k.kind.name(),
                k.fetched,
                k.missing,
                k.failed,
                k.partial,
                k.rootless,
                k.client_ms.p50,
                k.client_ms.p99,
                k.root_ms.p50,
                k.root_ms.p99
            );
            if k.fetched == 0 {
                continue;
            }
            let width = k
                .operations
                .iter()
                .map(|r| r.name.len())
                .max()
                .unwrap_or(0)
                .max(24);
            let _ = writeln!(
                o,
                "{:<width$} {:>7} {:>6} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>7}",
                "operation",
                "count",
                "/trace",
                "p50",
                "p99",
                "share",
                "self p50",
                "self p99",
                "self avg",
                "self %"
            );
            for r in std::iter::once(&k.uncovered).chain(&k.operations) {
                let _ = writeln!(
                    o,
                    "{:<width$} {:>7} {:>6.2} {:>8.3} {:>8.3} {:>6.1}% {:>8.3} {:>8.3} {:>8.3} {:>6.1}%",
                    r.name,
                    r.count,
                    r.per_trace,
                    r.duration_ms.p50,
                    r.duration_ms.p99,
                    r.share_pct,
                    r.self_ms.p50,
                    r.self_ms.p99,
                    r.self_ms.mean,
                    r.self_share_pct
                );
            }
        }
        o
    }
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: u64 = 0xc1;

    fn span(id: u64, parent: Option<u64>, name: &str, start: i64, duration: i64) -> Span {
        Span {
            id,
            parent,
            name: name.into(),
            start_us: start,
            duration_us: duration,
        }
    }

    fn self_of(t: &TraceTimes, name: &str) -> u64 {
        t.spans.iter().find(|s| s.name == name).unwrap().self_us
    }

    #[test]
    fn unions_merge_overlaps_and_skip_empty_intervals() {
        assert_eq!(union_len(&mut []), 0);
        assert_eq!(union_len(&mut [(0, 10)]), 10);
        assert_eq!(union_len(&mut [(5, 15), (0, 10)]), 15);
        assert_eq!(union_len(&mut [(0, 10), (20, 25)]), 15);
        assert_eq!(union_len(&mut [(0, 10), (2, 3), (10, 12)]), 12);
        assert_eq!(union_len(&mut [(5, 5), (7, 3)]), 0);
    }

    #[test]
    fn sequential_children_leave_the_gaps_as_self_time() {
        // root 0..100: a 10..40, b 50..80 → self 40; a's child 15..35 → a's self 10.
        let spans = [
            span(1, Some(CLIENT), "root", 0, 100),
            span(2, Some(1), "a", 10, 30),
            span(3, Some(1), "b", 50, 30),
            span(4, Some(2), "a-child", 15, 20),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(self_of(&t, "root"), 40);
        assert_eq!(self_of(&t, "a"), 10);
        assert_eq!(self_of(&t, "b"), 30);
        assert_eq!(self_of(&t, "a-child"), 20);
        assert_eq!(t.root_us, Some(100));
        assert!(t.rooted);
        assert_eq!(t.orphans, 0);
        // Sequential calls: self times add up to the root's duration.
        assert_eq!(t.spans.iter().map(|s| s.self_us).sum::<u64>(), 100);
    }

    #[test]
    fn parallel_children_are_not_subtracted_twice() {
        // Fan-out: three calls over 10..90, 20..80 and 30..60 cover 10..90 once.
        let spans = [
            span(1, Some(CLIENT), "root", 0, 100),
            span(2, Some(1), "call x", 10, 80),
            span(3, Some(1), "call y", 20, 60),
            span(4, Some(1), "call z", 30, 30),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(self_of(&t, "root"), 20);
        assert_eq!(self_of(&t, "call y"), 60);
    }

    #[test]
    fn a_child_that_outlives_its_parent_only_takes_its_overlap() {
        // An asynchronous child (a write-behind) from 80 to 150 of a parent ending at 100.
        let spans = [
            span(1, Some(CLIENT), "root", 0, 100),
            span(2, Some(1), "late", 80, 70),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(self_of(&t, "root"), 80);
        assert_eq!(self_of(&t, "late"), 70);
        // A child entirely after its parent takes nothing.
        let spans = [
            span(1, Some(CLIENT), "root", 0, 100),
            span(2, Some(1), "after", 120, 10),
        ];
        assert_eq!(self_of(&analyse(&spans, CLIENT), "root"), 100);
    }

    #[test]
    fn nested_calls_across_processes() {
        // frontend → call svc (client span) → svc (server span) → posts insert.
        let spans = [
            span(1, Some(CLIENT), "frontend", 0, 1000),
            span(2, Some(1), "call svc", 100, 800),
            span(3, Some(2), "svc", 150, 700),
            span(4, Some(3), "posts insert", 200, 500),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(self_of(&t, "frontend"), 200);
        // The call's self time is the transport: 800 − 700.
        assert_eq!(self_of(&t, "call svc"), 100);
        assert_eq!(self_of(&t, "svc"), 200);
        assert_eq!(self_of(&t, "posts insert"), 500);
    }

    #[test]
    fn a_missing_parent_makes_an_orphan_and_without_a_root_the_orphans_are_the_top() {
        // svc's parent (the call span of a process that never exported) is absent.
        let spans = [
            span(1, Some(CLIENT), "frontend", 0, 1000),
            span(3, Some(99), "svc", 150, 700),
            span(4, Some(3), "posts insert", 200, 500),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(t.orphans, 1);
        assert_eq!((t.root_us, t.rooted), (Some(1000), true));
        assert_eq!(self_of(&t, "frontend"), 1000);
        assert_eq!(self_of(&t, "svc"), 200);
        // Without the root span (an edge that exports none): timed from the top-most spans.
        let t = analyse(&spans[1..], CLIENT);
        assert_eq!((t.orphans, t.root_us, t.rooted), (1, Some(700), false));
        assert_eq!(analyse(&[], CLIENT).root_us, None);
    }

    #[test]
    fn duplicate_and_self_parented_spans_do_not_confuse_the_tree() {
        let spans = [
            span(1, Some(CLIENT), "root", 0, 100),
            span(2, Some(1), "a", 10, 30),
            span(2, Some(1), "a", 10, 30),
            span(5, Some(5), "loop", 0, 5),
        ];
        let t = analyse(&spans, CLIENT);
        assert_eq!(t.spans.len(), 3);
        assert_eq!(self_of(&t, "root"), 70);
        assert_eq!(t.orphans, 1);
    }

    fn sample(kind: Kind, latency_us: u64, fetched: Fetched) -> TraceSample {
        TraceSample {
            kind,
            latency_us,
            client_span: CLIENT,
            fetched,
        }
    }

    fn compose_trace(offset: i64) -> Fetched {
        Fetched::Found(vec![
            span(1, Some(CLIENT), "frontend", offset, 800),
            span(2, Some(1), "posts insert", offset + 100, 600),
        ])
    }

    #[test]
    fn a_type_table_counts_traces_and_shares_of_client_latency() {
        let samples = [
            sample(Kind::Compose, 1000, compose_trace(0)),
            sample(Kind::Compose, 1000, compose_trace(5000)),
            sample(Kind::Compose, 1000, Fetched::Missing),
            sample(Kind::Compose, 1000, Fetched::Found(vec![])),
            sample(Kind::Compose, 1000, Fetched::Failed("connect".into())),
            sample(
                Kind::HomeTimeline,
                500,
                Fetched::Found(vec![span(7, Some(6), "orphan", 0, 100)]),
            ),
        ];
        let b = breakdown("http://jaeger", 0.1, 10, &samples);
        assert_eq!(b.requested, 6);
        assert_eq!(b.by_kind.len(), 2);
        // Kind::ALL order: home timeline first.
        let home = &b.by_kind[0];
        assert_eq!(home.kind, Kind::HomeTimeline);
        assert_eq!((home.fetched, home.partial, home.rootless), (1, 1, 1));
        // No root: uncovered is what the orphan does not cover, 500 − 100 µs.
        assert_eq!(home.uncovered.count, 1);
        assert!((home.uncovered.share_pct - 80.0).abs() < 1e-9);
        let c = &b.by_kind[1];
        assert_eq!((c.requested, c.fetched, c.missing, c.failed), (5, 2, 2, 1));
        assert_eq!((c.partial, c.rootless), (0, 0));
        let names: Vec<&str> = c.operations.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["frontend", "posts insert"]);
        let frontend = &c.operations[0];
        assert_eq!(frontend.count, 2);
        assert_eq!(frontend.per_trace, 1.0);
        assert!((frontend.share_pct - 80.0).abs() < 1e-9);
        assert!((frontend.self_share_pct - 20.0).abs() < 1e-9);
        assert!((c.operations[1].share_pct - 60.0).abs() < 1e-9);
        // 1000 µs seen by the client, 800 by the root span: 200 µs uncovered each time.
        assert_eq!(c.uncovered.count, 2);
        assert!((c.uncovered.share_pct - 20.0).abs() < 1e-9);
        assert!((c.uncovered.self_ms.p50 - 0.2).abs() < 1e-9);
        // Self shares plus uncovered: the whole client latency (calls are sequential here).
        let total: f64 =
            c.operations.iter().map(|r| r.self_share_pct).sum::<f64>() + c.uncovered.self_share_pct;
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        assert!((c.client_ms.p50 - 1.0).abs() < 1e-9);
        assert!((c.root_ms.p50 - 0.8).abs() < 1e-9);

        let text = b.render();
        assert!(text.contains("self: duration minus the union"), "{text}");
        assert!(
            text.contains("compose: 2 traces fetched, 2 missing, 1 failed, 0 partial, 0 rootless"),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| l.starts_with("operation"))
            .unwrap();
        assert!(lines[header + 1].starts_with("(uncovered)"), "{text}");
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["by_kind"][1]["kind"], "compose");
        assert_eq!(json["by_kind"][1]["operations"][0]["name"], "frontend");
    }

    #[test]
    fn no_sample_no_table() {
        let b = breakdown("http://jaeger", 0.1, 0, &[]);
        assert!(b.by_kind.is_empty());
        assert!(b.render().starts_with("trace breakdown: 0 sampled"));
    }
}
