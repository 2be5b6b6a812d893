//! Exporting the process's spans ([`deathstar_handlers::spans`]) over OTLP/gRPC, configured
//! as every OpenTelemetry SDK is, by the standard variables:
//!
//! - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` (e.g.
//!   `http://127.0.0.1:4317`): where to; unset, nothing is exported and no span is built.
//! - `OTEL_SERVICE_NAME`: the process's `service.name`; by default the function's name in a
//!   one-function process and the deployment's in fused and all-in-one ones.
//! - `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`: which traces are recorded, decided
//!   where a trace starts and kept by every call of it (`parentbased_traceidratio` with `0.1`
//!   is DeathStarBench's services' setting); `OTEL_SDK_DISABLED=true` turns it all off.
//!
//! Spans go through the SDK's batch processor (a thread of its own), so a request never waits
//! for an export. What is still queued when a process stops, or is frozen between Lambda
//! invocations, is sent by [`Exporter::flush`].

use std::borrow::Cow;
use std::sync::Arc;

use anyhow::Context;
use deathstar_handlers::spans::{AttributeValue, FinishedSpan, SpanKind, SpanSink};
use deathstar_handlers::trace;
use opentelemetry::trace::{SpanContext, SpanId, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SpanData, SpanEvents, SpanLinks, SpanProcessor,
};

/// The exporter, installed as the process's span sink.
#[derive(Debug)]
struct OtlpSink {
    processor: BatchSpanProcessor,
    scope: InstrumentationScope,
}

/// The installed exporter, for the process to flush before it stops or is frozen.
#[derive(Debug, Clone)]
pub struct Exporter {
    sink: Arc<OtlpSink>,
    /// Where to, and as which service: for the start-up log.
    pub destination: String,
}

impl Exporter {
    /// Sends every span ended so far and waits for the export (a bounded wait: the SDK's
    /// export timeout). Blocks its thread, so async code runs it on a blocking one.
    pub async fn flush(&self) {
        let sink = self.sink.clone();
        let flushed = tokio::task::spawn_blocking(move || sink.processor.force_flush()).await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "flushing spans failed");
        }
    }
}

/// Installs the OTLP exporter if the environment asks for one, under `default_service`
/// unless `OTEL_SERVICE_NAME` says otherwise.
pub fn install(default_service: &str) -> anyhow::Result<Option<Exporter>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let Some(endpoint) =
        var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or(var("OTEL_EXPORTER_OTLP_ENDPOINT"))
    else {
        return Ok(None);
    };
    trace::sample_roots(root_ratio(
        var("OTEL_TRACES_SAMPLER"),
        var("OTEL_TRACES_SAMPLER_ARG"),
    )?);
    let service = var("OTEL_SERVICE_NAME").unwrap_or_else(|| default_service.to_owned());
    // The exporter reads the endpoint (and headers, timeout) from the same variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
        .context("building the OTLP span exporter")?;
    // The SDK's queue (2,048 spans) overflows at a few thousand traced requests a second, and
    // what overflows is dropped: traces with holes. A deeper one (~7 MB when full) unless
    // OTEL_BSP_MAX_QUEUE_SIZE says otherwise.
    let mut batch = BatchConfigBuilder::default();
    if var("OTEL_BSP_MAX_QUEUE_SIZE").is_none() {
        batch = batch.with_max_queue_size(16_384);
    }
    let mut processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch.build())
        .build();
    processor.set_resource(
        &Resource::builder()
            .with_service_name(service.clone())
            .build(),
    );
    let sink = Arc::new(OtlpSink {
        processor,
        scope: InstrumentationScope::builder("deathstar").build(),
    });
    anyhow::ensure!(
        deathstar_handlers::spans::install(sink.clone()),
        "spans already go elsewhere"
    );
    Ok(Some(Exporter {
        sink,
        destination: format!("{endpoint} as {service}"),
    }))
}

/// The share of new traces recorded, from the sampler variables (OpenTelemetry's names; the
/// `parentbased_` ones keep a caller's decision, as every call here does).
fn root_ratio(sampler: Option<String>, argument: Option<String>) -> anyhow::Result<f64> {
    let ratio = || -> anyhow::Result<f64> {
        let text = argument.as_deref().unwrap_or("1.0");
        let ratio: f64 = text
            .trim()
            .parse()
            .with_context(|| format!("OTEL_TRACES_SAMPLER_ARG={text}"))?;
        anyhow::ensure!(
            (0.0..=1.0).contains(&ratio),
            "OTEL_TRACES_SAMPLER_ARG={text} is not in [0, 1]"
        );
        Ok(ratio)
    };
    match sampler.as_deref().unwrap_or("parentbased_always_on") {
        "always_on" | "parentbased_always_on" => Ok(1.0),
        "always_off" | "parentbased_always_off" => Ok(0.0),
        "traceidratio" | "parentbased_traceidratio" => ratio(),
        other => anyhow::bail!("OTEL_TRACES_SAMPLER={other} is not a sampler this project knows"),
    }
}

impl SpanSink for OtlpSink {
    fn record(&self, span: FinishedSpan) {
        let context = SpanContext::new(
            TraceId::from_bytes(span.trace_id.0),
            SpanId::from_bytes(span.span_id.0),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let attributes = span
            .attributes
            .into_iter()
            .map(|(key, value)| match value {
                AttributeValue::Text(text) => KeyValue::new(key, text),
                AttributeValue::Number(number) => KeyValue::new(key, number),
            })
            .collect();
        self.processor.on_end(SpanData {
            span_context: context,
            parent_span_id: span
                .parent
                .map_or(SpanId::INVALID, |p| SpanId::from_bytes(p.0)),
            parent_span_is_remote: false,
            span_kind: match span.kind {
                SpanKind::Server => opentelemetry::trace::SpanKind::Server,
                SpanKind::Client => opentelemetry::trace::SpanKind::Client,
            },
            name: Cow::Owned(span.name),
            start_time: span.start,
            end_time: span.end,
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: match span.error {
                Some(why) => Status::error(why),
                None => Status::Unset,
            },
            instrumentation_scope: self.scope.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_are_read_as_opentelemetry_names_them() {
        let ratio = |sampler: Option<&str>, arg: Option<&str>| {
            root_ratio(sampler.map(str::to_owned), arg.map(str::to_owned))
        };
        assert_eq!(ratio(None, None).unwrap(), 1.0);
        assert_eq!(
            ratio(Some("parentbased_traceidratio"), Some("0.1")).unwrap(),
            0.1
        );
        assert_eq!(ratio(Some("always_off"), None).unwrap(), 0.0);
        assert!(ratio(Some("traceidratio"), Some("2")).is_err());
        assert!(ratio(Some("jaeger_remote"), None).is_err());
    }
}
