//! The spans of a call tree, as OpenTelemetry models them, recorded where the work happens: a
//! server span per invocation of a hosted function (`Hosted::run`), a client span per call a
//! function makes to another (`function::call`, whatever the transport) and per store
//! operation (`store::measured`). Each span takes its ids from the call's [`TraceContext`], so
//! the tree is the one `traceparent` carries across processes and `x-request-id` names.
//!
//! Where spans go is the process's [`SpanSink`], installed once at start-up (the OTLP exporter
//! of `deathstar-startup`, or [`InMemorySpans`] in tests). Without one, or for a trace that is
//! not sampled, nothing is built: [`recording`] is one atomic load.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use crate::trace::{SpanId, TraceContext, TraceId};

/// What a span stands for (OpenTelemetry's `SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Handling a call: an invocation of a function.
    Server,
    /// Making a call: to another function, or to a store.
    Client,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(i64),
}

impl From<&str> for AttributeValue {
    fn from(text: &str) -> Self {
        AttributeValue::Text(text.to_owned())
    }
}

impl From<i64> for AttributeValue {
    fn from(number: i64) -> Self {
        AttributeValue::Number(number)
    }
}

/// A span once it has ended.
#[derive(Debug, Clone)]
pub struct FinishedSpan {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent: Option<SpanId>,
    pub name: String,
    pub kind: SpanKind,
    pub start: SystemTime,
    pub end: SystemTime,
    /// OpenTelemetry's semantic names (`faas.invoked_name`, `db.system.name`...).
    pub attributes: Vec<(&'static str, AttributeValue)>,
    /// Why the span failed, if it did (OpenTelemetry's error status).
    pub error: Option<String>,
}

/// Where the process's spans go.
pub trait SpanSink: Send + Sync + 'static {
    fn record(&self, span: FinishedSpan);
}

static SINK: OnceLock<Arc<dyn SpanSink>> = OnceLock::new();

/// Sends every sampled span of this process to `sink` from now on; the first sink installed
/// stays (`false` if one was already).
pub fn install(sink: Arc<dyn SpanSink>) -> bool {
    SINK.set(sink).is_ok()
}

/// Whether spans of `trace` are recorded: a sink is installed and the trace is sampled.
pub fn recording(trace: &TraceContext) -> bool {
    trace.sampled && SINK.get().is_some()
}

/// A span being timed; [`Started::finish`] records it.
pub struct Started {
    trace: TraceContext,
    name: String,
    kind: SpanKind,
    start: SystemTime,
}

/// Starts timing the span `trace` names, if its spans are recorded; `name` is only built then
/// (a call makes one per callee, on the hot path).
pub fn start(
    trace: &TraceContext,
    kind: SpanKind,
    name: impl FnOnce() -> String,
) -> Option<Started> {
    recording(trace).then(|| Started {
        trace: *trace,
        name: name(),
        kind,
        start: SystemTime::now(),
    })
}

impl Started {
    /// Ends the span now, with `attributes` and, if it failed, `error`.
    pub fn finish(self, attributes: Vec<(&'static str, AttributeValue)>, error: Option<String>) {
        let Some(sink) = SINK.get() else { return };
        sink.record(FinishedSpan {
            trace_id: self.trace.trace_id,
            span_id: self.trace.span_id,
            parent: self.trace.parent,
            name: self.name,
            kind: self.kind,
            start: self.start,
            end: SystemTime::now(),
            attributes,
            error,
        });
    }
}

/// A sink that keeps every span, for tests: the call tree a request made, read back.
#[derive(Default)]
pub struct InMemorySpans {
    spans: Mutex<Vec<FinishedSpan>>,
}

impl InMemorySpans {
    /// The spans of `trace_id` recorded so far.
    pub fn of_trace(&self, trace_id: TraceId) -> Vec<FinishedSpan> {
        let spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        spans
            .iter()
            .filter(|span| span.trace_id == trace_id)
            .cloned()
            .collect()
    }
}

impl SpanSink for InMemorySpans {
    fn record(&self, span: FinishedSpan) {
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        spans.push(span);
    }
}

tokio::task_local! {
    /// The trace of the invocation this task runs, for the store operations it makes (a store
    /// call has no context of its own).
    static CURRENT: TraceContext;
}

/// Runs `work` as part of `trace` ([`current`] inside it).
pub async fn within<F: Future>(trace: TraceContext, work: F) -> F::Output {
    CURRENT.scope(trace, work).await
}

/// The trace of the invocation running on this task, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(|trace| *trace).ok()
}
