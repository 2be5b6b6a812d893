//! Fuzzes DeathStarBench's request parsing (adapters/http/src/dsb/mod.rs): the same bytes as a
//! form body or query string (and the post, window, follow edge and user id read out of it),
//! and as a `Cookie` header. Checks: no panic; a form percent-encoded again parses back to the
//! same fields; a login token found is a non-empty piece of the header.
#![no_main]

use deathstar_http::dsb::fuzzing::{login_token, parse_request};
use libfuzzer_sys::fuzz_target;

/// Every byte as `%XX`: the one encoding the parser must decode whatever the byte.
fn encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let form = parse_request(data);
    let encoded: Vec<String> = form
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect();
    assert_eq!(parse_request(encoded.join("&").as_bytes()), form);

    if let Some(token) = login_token(data) {
        let header = String::from_utf8_lossy(data);
        assert!(!token.is_empty() && header.contains(&token), "{token:?}");
    }
});
