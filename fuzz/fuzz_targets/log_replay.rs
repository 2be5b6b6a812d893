//! Fuzzes the embedded store's log replay (handlers/src/store/embedded/): any bytes as the
//! content of `deathstar.log`. Checks: no panic; a log that replays keeps a prefix of whole
//! lines and leaves out at most one torn last line (what opening the file cuts off); that
//! prefix replays whole again. A bad line before the last is an error, never a panic.
#![no_main]

use deathstar_handlers::store::embedded::replay_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|log: &[u8]| {
    let Ok(kept) = replay_bytes(log) else {
        return;
    };
    let kept = usize::try_from(kept).expect("a length in memory");
    assert!(kept <= log.len());
    assert!(
        kept == 0 || log[kept - 1] == b'\n',
        "the kept prefix ends mid-line"
    );
    let left_out = &log[kept..];
    let torn = &left_out[..left_out.len().saturating_sub(1)];
    assert!(!torn.contains(&b'\n'), "more than the last line left out");
    assert_eq!(replay_bytes(&log[..kept]).ok(), Some(kept as u64));
});
