//! Finding mentions and URLs in a post's text.
//!
//! - A URL is `http://` or `https://` followed by URL characters (RFC 3986's unreserved and
//!   reserved sets, and `%`). Trailing `.`, `,`, `;`, `:`, `!`, `?`, quotes, and a `)` with no
//!   `(` in the URL are left out, so "see https://a.com/x." links `https://a.com/x`.
//! - A mention is `@` followed by `[A-Za-z0-9_-]` (DeathStarBench's set, so `@username_5`
//!   names `username_5`), not preceded by a letter or digit (so e-mail addresses are not
//!   mentions) and not inside a URL.

use std::ops::Range;

/// The URLs of `text` as byte ranges, in order.
pub fn url_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let scheme = if rest.starts_with("http://") {
            7
        } else if rest.starts_with("https://") {
            8
        } else {
            i += 1;
            continue;
        };
        let mut end = i + scheme;
        while end < bytes.len() && is_url_byte(bytes[end]) {
            end += 1;
        }
        while end > i + scheme && is_trailing_punctuation(&text[i..end]) {
            end -= 1;
        }
        if end > i + scheme {
            spans.push(i..end);
            i = end;
        } else {
            i += scheme;
        }
    }
    spans
}

fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// Whether the last byte of `url` is punctuation that belongs to the sentence, not the URL.
fn is_trailing_punctuation(url: &str) -> bool {
    match url.as_bytes().last() {
        Some(b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"') => true,
        Some(b')') => url.matches('(').count() < url.matches(')').count(),
        _ => false,
    }
}

/// The usernames mentioned in `text`, in order, duplicates kept.
pub fn mentions(text: &str, urls: &[Range<usize>]) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(url) = urls.iter().find(|r| r.contains(&i)) {
            i = url.end;
            continue;
        }
        let starts_mention = bytes[i] == b'@' && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts_mention {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len() && is_username_byte(bytes[end]) {
            end += 1;
        }
        if end > start {
            found.push(text[start..end].to_owned());
        }
        i = end.max(i + 1);
    }
    found
}

fn is_username_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// `text` with the URL at each span replaced by the matching item of `replacements`.
pub fn replace_spans(text: &str, spans: &[Range<usize>], replacements: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (span, replacement) in spans.iter().zip(replacements) {
        out.push_str(&text[last..span.start]);
        out.push_str(replacement);
        last = span.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        url_spans(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn a_url_keeps_its_path_and_query_but_not_sentence_punctuation() {
        assert_eq!(
            urls("read https://a.com/x/y?q=1&r=2#top, then http://b.org."),
            ["https://a.com/x/y?q=1&r=2#top", "http://b.org"]
        );
        assert_eq!(
            urls("(see https://en.wikipedia.org/wiki/Rust_(language))"),
            ["https://en.wikipedia.org/wiki/Rust_(language)"]
        );
        assert!(urls("http:// and https://").is_empty());
    }

    #[test]
    fn dsb_workload_urls_are_whole() {
        let u = format!("http://{}", "aZ09".repeat(16));
        assert_eq!(urls(&format!("text {u} @username_1")), [u.as_str()]);
    }

    #[test]
    fn mentions_allow_dsb_usernames_but_not_emails_or_urls() {
        let text = "hi @username_5 and @bob-2! mail a@b.com https://x.com/@carol @dave";
        let spans = url_spans(text);
        assert_eq!(mentions(text, &spans), ["username_5", "bob-2", "dave"]);
        assert_eq!(mentions("@a @a", &[]), ["a", "a"]);
        assert!(mentions("@ alone @", &[]).is_empty());
    }

    #[test]
    fn replacing_keeps_the_text_around_urls() {
        let text = "a http://x.com b http://y.com c";
        let spans = url_spans(text);
        assert_eq!(replace_spans(text, &spans, &["S1", "S2"]), "a S1 b S2 c");
    }
}
