//! Fuzzes the post-text parser (handlers/src/functions/text/parse.rs) on any text. Checks: no
//! panic; URL spans lie on char boundaries, in order, without overlap, each starting with
//! `http://` or `https://`; every mention is a non-empty piece of the text; `replace_spans`
//! keeps the text outside the spans byte for byte. Slow inputs show up as libFuzzer timeouts
//! (the parser must be linear).
#![no_main]

use deathstar_handlers::functions::text::parse::{mentions, replace_spans, url_spans};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lossy, so that every input is a text: invalid bytes become U+FFFD, which also puts
    // multi-byte characters next to URLs and `@`s.
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let spans = url_spans(text);
    let mut previous_end = 0;
    for span in &spans {
        assert!(
            previous_end <= span.start,
            "spans overlap or are out of order: {spans:?}"
        );
        assert!(
            span.start < span.end && span.end <= text.len(),
            "bad span {span:?}"
        );
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        let url = &text[span.clone()];
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "{url:?}"
        );
        previous_end = span.end;
    }

    for name in mentions(text, &spans) {
        assert!(
            !name.is_empty() && text.contains(name.as_str()),
            "mention {name:?}"
        );
    }

    // Replacements of other lengths than the URLs, so that offsets would show any slip.
    let replacements: Vec<String> = (0..spans.len()).map(|i| format!("<{i}>")).collect();
    let refs: Vec<&str> = replacements.iter().map(String::as_str).collect();
    let mut expected = String::new();
    let mut last = 0;
    for (span, replacement) in spans.iter().zip(&refs) {
        expected.push_str(&text[last..span.start]);
        expected.push_str(replacement);
        last = span.end;
    }
    expected.push_str(&text[last..]);
    assert_eq!(replace_spans(text, &spans, &refs), expected);
});
