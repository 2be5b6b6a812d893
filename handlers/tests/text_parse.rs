//! Properties of the post-text parser over arbitrary text: whatever a user sends, parsing
//! never panics, URL spans fall on character boundaries in order without overlapping, the
//! rewrite keeps everything outside them byte for byte, and the work is linear in the length.

use std::time::{Duration, Instant};

use deathstar_handlers::functions::text::parse::{mentions, replace_spans, url_spans};
use proptest::prelude::*;

/// Text built from the pieces the parser reacts to, mixed with scripts, emoji, RTL and
/// control characters: plain random strings rarely contain `https://`.
fn post_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("http://".to_owned()),
        Just("https://".to_owned()),
        Just("@".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(".".to_owned()),
        Just("?q=1&r=%20".to_owned()),
        Just(" ".to_owned()),
        Just("é".to_owned()),
        Just("日本語".to_owned()),
        Just("🙂".to_owned()),
        Just("\u{200F}\u{202E}".to_owned()),
        Just("\u{0301}".to_owned()),
        Just("\0\t\n".to_owned()),
        "[a-zA-Z0-9_-]{1,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The text outside `spans`, in order.
fn outside<'a>(text: &'a str, spans: &[std::ops::Range<usize>]) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut last = 0;
    for span in spans {
        pieces.push(&text[last..span.start]);
        last = span.end;
    }
    pieces.push(&text[last..]);
    pieces
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn url_spans_are_ordered_disjoint_urls_on_char_boundaries(text in post_text()) {
        let spans = url_spans(&text);
        let mut last_end = 0;
        for span in &spans {
            prop_assert!(span.start >= last_end, "{spans:?} overlap or are out of order");
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            let url = &text[span.clone()];
            let body = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            prop_assert!(body.is_some_and(|b| !b.is_empty()), "{url:?} is no URL");
            prop_assert!(url.is_ascii(), "{url:?} holds non-ASCII");
            last_end = span.end;
        }
    }

    #[test]
    fn mentions_are_usernames_after_an_at_sign(text in post_text()) {
        let spans = url_spans(&text);
        for name in mentions(&text, &spans) {
            prop_assert!(!name.is_empty());
            prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
            let mention = format!("@{name}");
            prop_assert!(text.contains(&mention), "{name:?} is not in {text:?}");
        }
    }

    #[test]
    fn rewriting_keeps_the_text_outside_urls_byte_for_byte(text in post_text()) {
        let spans = url_spans(&text);
        // A marker the text cannot hold: the pieces between markers are what was kept.
        let marker = "\u{E000}";
        prop_assume!(!text.contains(marker));
        let markers = vec![marker; spans.len()];
        let rewritten = replace_spans(&text, &spans, &markers);
        let kept: Vec<&str> = rewritten.split(marker).collect();
        prop_assert_eq!(kept, outside(&text, &spans));
        // Putting the URLs back gives the text as sent.
        let originals: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        prop_assert_eq!(replace_spans(&text, &spans, &originals), text);
    }
}

/// The quickest of a few runs of `parse` on `text`: the least disturbed by the machine.
fn quickest(text: &str) -> Duration {
    (0..5)
        .map(|_| {
            let started = Instant::now();
            let spans = url_spans(text);
            std::hint::black_box(mentions(text, &spans));
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Inputs that made the old parser quadratic (a URL trailed by thousands of `)`, thousands of
/// URLs scanned for mentions) or panic (non-ASCII right after a scheme or an `@`). Eight
/// times the text must cost well under 64 times the time: the ratio, not a wall-clock bound,
/// so a slow machine does not fail it, and a quadratic parser (64×) does.
#[test]
fn parsing_time_grows_linearly_with_the_text() {
    let shapes: [fn(usize) -> String; 5] = [
        |n| format!("http://{}", ")".repeat(n)),
        |n| "http://a.co ".repeat(n / 12),
        |n| "@".repeat(n),
        |n| "https://é@ü".repeat(n / 12),
        |n| format!("https://{}", "(".repeat(n / 2) + &")".repeat(n / 2)),
    ];
    for shape in shapes {
        let small = shape(16 * 1024);
        let large = shape(8 * 16 * 1024);
        let (t_small, t_large) = (quickest(&small), quickest(&large));
        let ratio = t_large.as_secs_f64() / t_small.as_secs_f64().max(1e-6);
        assert!(
            ratio < 24.0,
            "{:?}…: 8× the text took {ratio:.1}× the time ({t_small:?} → {t_large:?})",
            &small[..12.min(small.len())]
        );
    }
}
