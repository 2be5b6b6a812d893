//! A call's place in its trace: the W3C Trace Context (`traceparent`) every call carries.
//!
//! A trace id names the whole call tree of one client request; a span id names one call in
//! it. An edge continues the caller's trace when a valid `traceparent` came with the request
//! (a new span of it), else starts one; every invoker hands the current span on as the
//! parent of the callee's. Log lines carry the trace id; spans ([`crate::spans`]) carry both
//! and their parent.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

/// The trace and span a call belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: TraceId,
    /// This call's span: the parent of every call it makes.
    pub span_id: SpanId,
    /// The span this one is a child of; `None` at the root of a trace.
    pub parent: Option<SpanId>,
    /// Whether the trace is recorded (W3C's `sampled` flag), decided where it started.
    pub sampled: bool,
}

/// 16 bytes, never all zero; printed as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// 8 bytes, never all zero; printed as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

/// New traces whose trace id's last 8 bytes (as a number) are below this are recorded:
/// OpenTelemetry's trace-id-ratio sampling. `u64::MAX`: every one.
static ROOT_THRESHOLD: AtomicU64 = AtomicU64::new(u64::MAX);

/// Records `ratio` (0 to 1) of the traces that start in this process from now on; calls of a
/// trace keep its first decision (W3C's `sampled` flag).
pub fn sample_roots(ratio: f64) {
    let threshold = match ratio {
        r if r >= 1.0 => u64::MAX,
        r if r <= 0.0 => 0,
        r => (r * u64::MAX as f64) as u64,
    };
    ROOT_THRESHOLD.store(threshold, Ordering::Relaxed);
}

impl TraceContext {
    /// A new trace, recorded as [`sample_roots`] says (every one by default).
    pub fn root() -> Self {
        let trace_id = TraceId(non_zero());
        let threshold = ROOT_THRESHOLD.load(Ordering::Relaxed);
        let low = u64::from_be_bytes(trace_id.0[8..].try_into().expect("8 bytes"));
        TraceContext {
            trace_id,
            span_id: SpanId(non_zero()),
            parent: None,
            sampled: threshold == u64::MAX || low < threshold,
        }
    }

    /// A new span of the same trace, for a call this one makes or receives.
    pub fn child(&self) -> Self {
        TraceContext {
            span_id: SpanId(non_zero()),
            parent: Some(self.span_id),
            ..*self
        }
    }

    /// Parses a `traceparent` header (version `00`; later versions are read as `00`, as
    /// the W3C spec asks); `None` if it is not one.
    pub fn from_traceparent(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let version = parts.next()?;
        let trace_id = hex::<16>(parts.next()?)?;
        let span_id = hex::<8>(parts.next()?)?;
        let flags = hex::<1>(parts.next()?)?;
        // Version ff is forbidden; 00 has exactly four fields.
        let valid_version = version.len() == 2 && version != "ff" && hex::<1>(version).is_some();
        let rest_ok = version != "00" || parts.next().is_none();
        let non_zero = trace_id != [0; 16] && span_id != [0; 8];
        (valid_version && rest_ok && non_zero).then_some(TraceContext {
            trace_id: TraceId(trace_id),
            span_id: SpanId(span_id),
            parent: None,
            sampled: flags[0] & 1 == 1,
        })
    }

    /// Reads AWS X-Ray's trace header (`X-Amzn-Trace-Id`, which API Gateway and the Lambda
    /// runtime set): `Root=1-<8 hex: epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`,
    /// fields in any order, others ignored. Its root's 32 digits are the W3C trace id (as
    /// OpenTelemetry's X-Ray propagator maps them), so a Lambda's spans join X-Ray's trace.
    /// `None` without a `Root` and a `Parent`; a missing or `?` sampling decision is "sampled",
    /// for this process's own sampler to decide.
    pub fn from_xray(header: &str) -> Option<Self> {
        let (mut root, mut parent, mut sampled) = (None, None, true);
        for field in header.split(';') {
            let (key, value) = field.trim().split_once('=')?;
            match key {
                "Root" => {
                    let mut parts = value.split('-');
                    let (version, time, unique) = (parts.next()?, parts.next()?, parts.next()?);
                    if version != "1" || parts.next().is_some() || time.len() != 8 {
                        return None;
                    }
                    root = hex::<16>(&[time, unique].concat().to_ascii_lowercase());
                }
                "Parent" => parent = hex::<8>(&value.to_ascii_lowercase()),
                "Sampled" => sampled = value != "0",
                _ => {}
            }
        }
        let (trace_id, span_id) = (root?, parent?);
        (trace_id != [0; 16] && span_id != [0; 8]).then_some(TraceContext {
            trace_id: TraceId(trace_id),
            span_id: SpanId(span_id),
            parent: None,
            sampled,
        })
    }

    /// The `traceparent` header naming this span as the parent.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            u8::from(self.sampled)
        )
    }
}

impl Default for TraceContext {
    fn default() -> Self {
        TraceContext::root()
    }
}

fn non_zero<const N: usize>() -> [u8; N] {
    let mut rng = rand::rng();
    loop {
        let bytes: [u8; N] = std::array::from_fn(|_| rng.random());
        if bytes.iter().any(|b| *b != 0) {
            return bytes;
        }
    }
}

/// Exactly `2 * N` lowercase hex digits as bytes.
fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        bytes[i] = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}

/// Lowercase hex, both for display and for debugging (W3C's form of both ids).
macro_rules! hex_form {
    ($($id:ty),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }

        impl fmt::Debug for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}

hex_form!(TraceId, SpanId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_round_trips() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = TraceContext::from_traceparent(header).unwrap();
        assert_eq!(
            trace.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(trace.span_id.to_string(), "00f067aa0ba902b7");
        assert!(trace.sampled);
        assert_eq!(trace.traceparent(), header);
    }

    #[test]
    fn what_is_not_a_traceparent_is_refused() {
        for header in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473é-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::from_traceparent(header), None, "{header}");
        }
    }

    #[test]
    fn an_xray_header_names_the_same_trace() {
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let trace = TraceContext::from_xray(header).unwrap();
        assert_eq!(
            trace.trace_id.to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(trace.span_id.to_string(), "53995c3f42cd8ad8");
        assert!(trace.sampled);
        let unsampled = "Sampled=0;Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=a:1";
        assert!(!TraceContext::from_xray(unsampled).unwrap().sampled);
        for header in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Parent=53995c3f42cd8ad8",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e98-8bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad",
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a99427279é;Parent=53995c3f42cd8ad8",
            "garbage",
        ] {
            assert_eq!(TraceContext::from_xray(header), None, "{header}");
        }
    }

    #[test]
    fn a_child_is_a_new_span_of_the_same_trace() {
        let root = TraceContext::root();
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        assert_eq!((root.parent, child.parent), (None, Some(root.span_id)));
    }
}
