//! Fuzzes DeathStarBench's request parsing (adapters/http/src/dsb/mod.rs): the same bytes as a
//! form body or query string (and the post, window, follow edge and user id read out of it),
//! and as a `Cookie` header. Checks: no panic; a form percent-encoded again parses back to the
//! same fields; a login token found is a non-empty piece of the header.
#![no_main]

use std::fmt::Write;

use deathstar_http::dsb::fuzzing::{login_token, parse_request};
use libfuzzer_sys::fuzz_target;

/// Appends every byte of `text` as `%XX`: the one encoding the parser must decode whatever
/// the byte.
fn encode(out: &mut String, text: &str) {
    for b in text.bytes() {
        write!(out, "%{b:02X}").expect("writing to a String");
    }
}

fuzz_target!(|data: &[u8]| {
    let form = parse_request(data);
    let mut encoded = String::new();
    for (key, value) in &form {
        encode(&mut encoded, key);
        encoded.push('=');
        encode(&mut encoded, value);
        encoded.push('&');
    }
    assert_eq!(parse_request(encoded.as_bytes()), form);

    if let Some(token) = login_token(data) {
        let header = String::from_utf8_lossy(data);
        assert!(!token.is_empty() && header.contains(&token), "{token:?}");
    }
});
