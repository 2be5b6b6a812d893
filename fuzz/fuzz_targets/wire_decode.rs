//! Fuzzes the `/function/<name>` decoders: the first byte picks a function of the catalogue
//! (`catalogue::for_each_function`, so a new function is fuzzed without a new line), the rest
//! is its body. Checks: `decode_input_bytes` never panics; a body it refuses is a 4xx; an input
//! it accepts serialises and decodes again to the same JSON (what a call through a remote
//! invoker does with it).
#![no_main]

use deathstar_handlers::Function;
use deathstar_handlers::function::decode_input_bytes;
use deathstar_handlers::catalogue::{FunctionVisitor, for_each_function};
use libfuzzer_sys::fuzz_target;

/// How many functions the catalogue has.
struct Count(usize);

impl FunctionVisitor for Count {
    fn visit<F: Function>(&mut self) {
        self.0 += 1;
    }
}

/// Decodes `body` as the input of the `pick`-th function.
struct Decode<'a> {
    pick: usize,
    seen: usize,
    body: &'a [u8],
}

impl FunctionVisitor for Decode<'_> {
    fn visit<F: Function>(&mut self) {
        if self.seen == self.pick {
            check::<F>(self.body);
        }
        self.seen += 1;
    }
}

fn check<F: Function>(body: &[u8]) {
    let name = F::NAME;
    let input = match decode_input_bytes::<F::Input>(body) {
        Ok(input) => input,
        Err(e) => {
            // A body the function refuses is the client's fault: a 4xx, never a 5xx.
            let status = e.http_status();
            assert!(
                (400..500).contains(&status),
                "{name}: {status} for a bad body: {e}"
            );
            return;
        }
    };
    let json = serde_json::to_vec(&input)
        .unwrap_or_else(|e| panic!("{name}: an accepted input does not serialise: {e}"));
    let again = decode_input_bytes::<F::Input>(&json).unwrap_or_else(|e| {
        let json = String::from_utf8_lossy(&json);
        panic!("{name}: the accepted input, serialised as {json}, does not decode: {e}")
    });
    let json_again = serde_json::to_vec(&again).expect("it serialised once");
    assert_eq!(
        String::from_utf8_lossy(&json),
        String::from_utf8_lossy(&json_again),
        "{name}: the input changes on a round trip"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let mut count = Count(0);
    for_each_function(&mut count);
    let pick = usize::from(first) % count.0;
    for_each_function(&mut Decode {
        pick,
        seen: 0,
        body,
    });
});
