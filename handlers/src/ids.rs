//! Identifiers.
//!
//! `user_id` ([`crate::user_id::UserId`]) and `media_id` are UUID v4s as 32 lowercase hex characters. `post_id` and `req_id`
//! follow DeathStarBench's UniqueIdService layout (`0 | 11-bit machine | 40-bit milliseconds
//! since 2018-01-01 | 12-bit counter`) and travel as decimal strings: they fit in a u64 and sort
//! by creation time, and strings survive JavaScript. The counter is one atomic word: no lock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

/// DeathStarBench's custom epoch, 2018-01-01T00:00:00Z, in Unix milliseconds.
const EPOCH_MS: u64 = 1_514_764_800_000;
const COUNTER_BITS: u32 = 12;
const TIME_BITS: u32 = 40;

pub fn new_media_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub use crate::user_id::is_user_id;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A fresh time-ordered 63-bit id, as a decimal string.
pub fn new_post_id() -> String {
    next_snowflake().to_string()
}

pub fn new_req_id() -> String {
    next_snowflake().to_string()
}

/// `(ms since epoch << 12) | counter` of the last id handed out by this process.
static LAST: AtomicU64 = AtomicU64::new(0);

fn machine_id() -> u64 {
    static MACHINE: OnceLock<u64> = OnceLock::new();
    *MACHINE.get_or_init(|| rand::rng().random_range(0..(1 << 11)))
}

fn next_snowflake() -> u64 {
    let now = now_ms().saturating_sub(EPOCH_MS) & ((1 << TIME_BITS) - 1);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        // A new millisecond restarts the counter; within one (or if the clock stepped back)
        // the counter goes on, borrowing from the next millisecond when it overflows, so ids
        // never repeat and never go backwards.
        let next = if now > last >> COUNTER_BITS {
            now << COUNTER_BITS
        } else {
            last + 1
        };
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return (machine_id() << (TIME_BITS + COUNTER_BITS)) | next,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_ids_are_unique_increasing_and_fit_63_bits() {
        let ids: Vec<u64> = (0..10_000)
            .map(|_| new_post_id().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|&id| id < 1 << 63));
    }
}
