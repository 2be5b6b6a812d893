//! Which requests `run --traces` traces: the driver decides, not the server. Every request
//! carries a W3C `traceparent` with a fresh trace id and span id, its `sampled` flag set for a
//! fraction of the measured ones, so the servers' parent-based samplers record exactly those
//! and the driver knows which trace ids to fetch afterwards. Warm-up requests go out with the
//! flag clear: the servers then record nothing the breakdown would not use.
//!
//! The ids come from a [`SmallRng`] of their own seeded by the OS, not from `--seed`: two
//! runs with the same seed must not send the same trace ids to one Jaeger, which would merge
//! their spans into one trace. The request parameters stay those the seed gives.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reqwest::header::HeaderValue;

use crate::workload::Kind;

/// The header's name.
pub const TRACEPARENT: &str = "traceparent";

/// One request's trace context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceTag {
    pub trace_id: u128,
    /// The driver's span: the parent of the first server span.
    pub span_id: u64,
    pub sampled: bool,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn put_hex(out: &mut [u8], value: u128, digits: usize) {
    for (i, byte) in out[..digits].iter_mut().enumerate() {
        let shift = 4 * (digits - 1 - i);
        *byte = HEX[((value >> shift) & 0xf) as usize];
    }
}

impl TraceTag {
    /// `00-<32 hex>-<16 hex>-01` (or `-00`), formatted on the stack: the header value is the
    /// only allocation.
    pub fn header(&self) -> HeaderValue {
        let mut buf = *b"00-00000000000000000000000000000000-0000000000000000-00";
        put_hex(&mut buf[3..35], self.trace_id, 32);
        put_hex(&mut buf[36..52], u128::from(self.span_id), 16);
        if self.sampled {
            buf[54] = b'1';
        }
        HeaderValue::from_bytes(&buf).expect("hex digits and dashes are a valid header value")
    }

    /// The trace id as the query API names it.
    pub fn trace_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

/// Draws each request's tag on the dispatcher thread.
#[derive(Debug, Clone)]
pub struct TraceSampler {
    rng: SmallRng,
    /// A draw below this is sampled; `u64::MAX` with a ratio of 1 samples every one.
    threshold: u64,
    all: bool,
}

impl TraceSampler {
    /// Samples `ratio` (0 to 1) of the measured requests.
    pub fn new(ratio: f64) -> Self {
        Self::with_rng(ratio, SmallRng::from_os_rng())
    }

    fn with_rng(ratio: f64, rng: SmallRng) -> Self {
        TraceSampler {
            rng,
            threshold: (ratio.clamp(0.0, 1.0) * u64::MAX as f64) as u64,
            all: ratio >= 1.0,
        }
    }

    /// The tag of the next request; only a `measured` (post-warm-up) one can be sampled.
    pub fn next(&mut self, measured: bool) -> TraceTag {
        // W3C: an all-zero id is invalid (the chance is 2^-64, but the servers would drop it).
        let trace_id = loop {
            let id: u128 = self.rng.random();
            if id != 0 {
                break id;
            }
        };
        let span_id = loop {
            let id: u64 = self.rng.random();
            if id != 0 {
                break id;
            }
        };
        let draw: u64 = self.rng.random();
        TraceTag {
            trace_id,
            span_id,
            sampled: measured && (self.all || draw < self.threshold),
        }
    }
}

/// A sampled, measured request that got an HTTP response: what the breakdown needs of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampled {
    pub kind: Kind,
    pub tag: TraceTag,
    /// From the actual send to the response's last byte, µs.
    pub latency_us: u64,
    pub status: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(ratio: f64) -> TraceSampler {
        TraceSampler::with_rng(ratio, SmallRng::seed_from_u64(1))
    }

    #[test]
    fn the_header_is_a_w3c_traceparent() {
        let tag = TraceTag {
            trace_id: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            span_id: 0xfe,
            sampled: true,
        };
        assert_eq!(
            tag.header().to_str().unwrap(),
            "00-0123456789abcdef0011223344556677-00000000000000fe-01"
        );
        assert_eq!(tag.trace_hex(), "0123456789abcdef0011223344556677");
        let unsampled = TraceTag {
            sampled: false,
            ..tag
        };
        assert!(unsampled.header().to_str().unwrap().ends_with("-00"));
    }

    #[test]
    fn the_ratio_of_measured_requests_is_sampled_and_ids_are_fresh() {
        let mut s = sampler(0.1);
        let tags: Vec<TraceTag> = (0..100_000).map(|_| s.next(true)).collect();
        let sampled = tags.iter().filter(|t| t.sampled).count();
        assert!((9_500..10_500).contains(&sampled), "{sampled}");
        let ids: std::collections::HashSet<u128> = tags.iter().map(|t| t.trace_id).collect();
        assert_eq!(ids.len(), tags.len());
        assert!(tags.iter().all(|t| t.trace_id != 0 && t.span_id != 0));
        let mut all = sampler(1.0);
        assert!((0..1000).all(|_| all.next(true).sampled));
        let mut none = sampler(0.0);
        assert!((0..1000).all(|_| !none.next(true).sampled));
        // Warm-up requests never are.
        assert!((0..1000).all(|_| !all.next(false).sampled));
    }

    #[test]
    fn samplers_from_the_os_do_not_repeat_each_other() {
        let (mut a, mut b) = (TraceSampler::new(0.5), TraceSampler::new(0.5));
        assert_ne!(a.next(true).trace_id, b.next(true).trace_id);
    }
}
