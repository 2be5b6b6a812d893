//! Fuzzes the embedded store's log replay (handlers/src/store/embedded/): any bytes as the
//! content of `deathstar.log`. Checks: no panic; a log that replays keeps a prefix of whole
//! lines and leaves out at most a torn last line, one without its newline (what opening the
//! file cuts off); that prefix replays whole again. Any whole line that is not a record, the
//! last one too, is an error, never a panic and never cut off.
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
    assert!(
        !log[kept..].contains(&b'\n'),
        "a whole line left out: only a torn last line may be"
    );
    assert_eq!(replay_bytes(&log[..kept]).ok(), Some(kept as u64));
});
