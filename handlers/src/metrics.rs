//! The process's Prometheus metrics, recorded where the work happens and served by every HTTP
//! adapter at `GET /metrics` (OpenMetrics text).
//!
//! One registry per process, as Prometheus clients keep it: a function process, a fused group
//! and the all-in-one server each report what they ran. Recorded here: every invocation of a
//! hosted function ([`Metrics::invocation`], in `Hosted::run`, whichever way it came in), every
//! call a function makes to another ([`Metrics::call`], in-process or through the remote
//! invoker), every store operation ([`crate::store::measured`]), the embedded store's log
//! flushes, and the HTTP edge's requests in flight and shed.
//! Names follow Prometheus's conventions: a `deathstar_` prefix, base units (seconds) in the
//! name, `_total` on counters.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A hosted function's invocation: which, and the HTTP status it answered with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InvocationLabels {
    function: &'static str,
    code: u16,
}

/// A call to another function: which, and how it travelled (`in_process`, `gateway`,
/// `lambda`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    callee: &'static str,
    transport: &'static str,
}

/// A store operation: the backend (`embedded`, `mongodb`, `redis`, `memory`), the store
/// (`users`, `home_timelines`...) and the operation (`get_many`, `append`...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    backend: &'static str,
    store: &'static str,
    operation: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 50 µs to about 13 s, doubling: a cached read takes tens of
/// microseconds, a fan-out to MongoDB seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    invocations: Family<InvocationLabels, Counter>,
    invocation_seconds: Histograms<InvocationLabels>,
    calls: Family<CallLabels, Counter>,
    call_seconds: Histograms<CallLabels>,
    store_operations: Family<StoreLabels, Counter>,
    store_seconds: Histograms<StoreLabels>,
    in_flight: Gauge,
    shed: Counter,
    log_flush_seconds: Histogram,
    log_write_seconds: Histogram,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let metrics = Metrics {
            registry: Registry::with_prefix("deathstar"),
            invocations: Family::default(),
            invocation_seconds: Family::new_with_constructor(latency_histogram as fn() -> _),
            calls: Family::default(),
            call_seconds: Family::new_with_constructor(latency_histogram as fn() -> _),
            store_operations: Family::default(),
            store_seconds: Family::new_with_constructor(latency_histogram as fn() -> _),
            in_flight: Gauge::default(),
            shed: Counter::default(),
            log_flush_seconds: latency_histogram(),
            log_write_seconds: latency_histogram(),
        };
        let mut registry = metrics.registry;
        registry.register(
            "function_invocations",
            "Invocations of a hosted function, by the HTTP status it answered",
            metrics.invocations.clone(),
        );
        registry.register_with_unit(
            "function_duration",
            "Time a hosted function took, from admission to its answer",
            Unit::Seconds,
            metrics.invocation_seconds.clone(),
        );
        registry.register(
            "invoker_calls",
            "Calls a function made to another, by how they travelled",
            metrics.calls.clone(),
        );
        registry.register_with_unit(
            "invoker_call_duration",
            "Time a call to another function took, as the caller saw it",
            Unit::Seconds,
            metrics.call_seconds.clone(),
        );
        registry.register(
            "store_operations",
            "Operations on a store, by backend, store and operation",
            metrics.store_operations.clone(),
        );
        registry.register_with_unit(
            "store_operation_duration",
            "Time a store operation took, errors included",
            Unit::Seconds,
            metrics.store_seconds.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests the HTTP edge is serving",
            metrics.in_flight.clone(),
        );
        registry.register(
            "http_requests_shed",
            "Requests the HTTP edge refused with a 503 at its limit of requests in flight",
            metrics.shed.clone(),
        );
        registry.register_with_unit(
            "embedded_log_flush_duration",
            "Time the embedded store took to flush its log to the disk (fdatasync)",
            Unit::Seconds,
            metrics.log_flush_seconds.clone(),
        );
        registry.register_with_unit(
            "embedded_log_write_duration",
            "Time the embedded store took to append a batch of its log to the file (write): \
             every change waits for it before it is answered",
            Unit::Seconds,
            metrics.log_write_seconds.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// A hosted function answered `code` after `elapsed`.
    pub fn invocation(&self, function: &'static str, code: u16, elapsed: Duration) {
        let labels = InvocationLabels { function, code };
        self.invocations.get_or_create(&labels).inc();
        self.invocation_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A call to `callee` by `transport` took `elapsed`.
    pub fn call(&self, callee: &'static str, transport: &'static str, elapsed: Duration) {
        let labels = CallLabels { callee, transport };
        self.calls.get_or_create(&labels).inc();
        self.call_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Operation `operation` of store `store` on `backend` took `elapsed`.
    pub fn store_operation(
        &self,
        backend: &'static str,
        store: &'static str,
        operation: &'static str,
        elapsed: Duration,
    ) {
        let labels = StoreLabels {
            backend,
            store,
            operation,
        };
        self.store_operations.get_or_create(&labels).inc();
        self.store_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The gauge of requests in flight at the HTTP edge.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The HTTP edge shed a request.
    pub fn shed(&self) {
        self.shed.inc();
    }

    /// The embedded store's log took `elapsed` to reach the disk.
    pub fn log_flush(&self, elapsed: Duration) {
        self.log_flush_seconds.observe(elapsed.as_secs_f64());
    }

    /// The embedded store's log took `elapsed` to append a batch to the file.
    pub fn log_write(&self, elapsed: Duration) {
        self.log_write_seconds.observe(elapsed.as_secs_f64());
    }

    /// Every metric, in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_work_shows_in_the_text_with_its_labels() {
        let metrics = Metrics::new();
        metrics.invocation("get-user-id", 404, Duration::from_micros(120));
        metrics.call("get-user-id", "gateway", Duration::from_millis(2));
        metrics.shed();
        metrics.log_flush(Duration::from_millis(3));
        metrics.log_write(Duration::from_micros(30));
        metrics.store_operation(
            "redis",
            "home_timelines",
            "range",
            Duration::from_micros(80),
        );
        let text = metrics.encode();
        for line in [
            r#"deathstar_function_invocations_total{function="get-user-id",code="404"} 1"#,
            r#"deathstar_function_duration_seconds_count{function="get-user-id",code="404"} 1"#,
            r#"deathstar_invoker_calls_total{callee="get-user-id",transport="gateway"} 1"#,
            "deathstar_http_requests_shed_total 1",
            "deathstar_http_requests_in_flight 0",
            "deathstar_embedded_log_flush_duration_seconds_count 1",
            "deathstar_embedded_log_write_duration_seconds_count 1",
            r#"deathstar_store_operations_total{backend="redis",store="home_timelines",operation="range"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
