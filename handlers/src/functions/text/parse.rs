//! Finding mentions and URLs in a post's text: any Unicode text, in one pass each, linear in
//! its length.
//!
//! - A URL is `http://` or `https://` followed by ASCII URL characters (RFC 3986's unreserved
//!   and reserved sets, and `%`). It ends at the first other character, so an IRI is cut at
//!   its first non-ASCII character: `https://example.com/パス` links `https://example.com/`,
//!   and `http://例え.jp/パス` (nothing ASCII after the scheme) is no URL at all and stays
//!   plain text. Clients that want such links send them percent-encoded, as browsers do.
//!   Trailing `.`, `,`, `;`, `:`, `!`, `?`, quotes, and a `)` with no `(` in the URL are left
//!   out, so "see https://a.com/x." links `https://a.com/x`.
//! - A mention is `@` followed by `[A-Za-z0-9_-]` (DeathStarBench's set, so `@username_5`
//!   names `username_5`; it ends at the first other character, `@bob's` and `@bobé` name
//!   `bob`), not preceded by a letter or digit of any script (so `a@b.com` and `café@bob` are
//!   not mentions) and not inside a URL.
//!
//! Spans are byte ranges. They always fall on character boundaries: a URL starts at an ASCII
//! `h` and holds only ASCII bytes, and UTF-8 never puts a continuation byte after an ASCII
//! one. Nothing here slices the text at a position it has not checked.

use std::ops::Range;

const SCHEMES: [&[u8]; 2] = [b"http://", b"https://"];

/// The URLs of `text` as byte ranges, in order, not overlapping.
pub fn url_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(scheme) = SCHEMES.iter().find(|s| bytes[i..].starts_with(s)) else {
            i += 1;
            continue;
        };
        let body_start = i + scheme.len();
        let body_end = body_start
            + bytes[body_start..]
                .iter()
                .take_while(|&&b| is_url_byte(b))
                .count();
        let end = body_start + kept_len(&bytes[body_start..body_end]);
        if end > body_start {
            spans.push(i..end);
            i = end;
        } else {
            i = body_start;
        }
    }
    spans
}

fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// How much of a URL's `body` (what follows the scheme) belongs to the URL once trailing
/// sentence punctuation is dropped. Parentheses are counted once, so this is linear however
/// many `)` trail.
fn kept_len(body: &[u8]) -> usize {
    let open = body.iter().filter(|&&b| b == b'(').count();
    let mut close = body.iter().filter(|&&b| b == b')').count();
    let mut len = body.len();
    while let Some(&last) = body[..len].last() {
        match last {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"' => {}
            b')' if close > open => close -= 1,
            _ => break,
        }
        len -= 1;
    }
    len
}

/// The usernames mentioned in `text`, in order, duplicates kept. `urls` are the spans of
/// [`url_spans`]: no mention is looked for inside them.
pub fn mentions(text: &str, urls: &[Range<usize>]) -> Vec<String> {
    mention_spans(text, urls)
        .into_iter()
        .map(|span| text[span.start + 1..span.end].to_owned())
        .collect()
}

/// Where the mentions of [`mentions`] are: the byte span of each `@username`, `@` included
/// (what a page turns into a link).
pub fn mention_spans(text: &str, urls: &[Range<usize>]) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut urls = urls.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        // Skip URLs that end before `i`, then the one `i` is in, if any.
        while urls.next_if(|url| url.end <= i).is_some() {}
        if let Some(url) = urls.peek()
            && url.contains(&i)
        {
            i = url.end;
            continue;
        }
        if bytes[i] != b'@' || follows_letter_or_digit(text, i) {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|&&b| is_username_byte(b))
                .count();
        if end > start {
            found.push(i..end);
        }
        i = end;
    }
    found
}

/// Whether the character before byte `at` (an ASCII `@`, so a character boundary) is a
/// letter or digit of any script.
fn follows_letter_or_digit(text: &str, at: usize) -> bool {
    text.get(..at)
        .and_then(|before| before.chars().next_back())
        .is_some_and(char::is_alphanumeric)
}

fn is_username_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// `text` with the URL at each span replaced by the matching item of `replacements`.
/// `spans` are as [`url_spans`] returns them; the text between them is kept byte for byte.
pub fn replace_spans(text: &str, spans: &[Range<usize>], replacements: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (span, replacement) in spans.iter().zip(replacements) {
        // `get`, not indexing: a span that is not one of `url_spans`' is left as text
        // rather than panicking.
        let Some(before) = text.get(last..span.start) else {
            continue;
        };
        out.push_str(before);
        out.push_str(replacement);
        last = span.end;
    }
    out.push_str(text.get(last..).unwrap_or_default());
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
        assert_eq!(urls("(https://a.com/x)."), ["https://a.com/x"]);
        assert_eq!(urls("https://a.com/f(x)!)"), ["https://a.com/f(x)"]);
        assert!(urls("http:// and https://").is_empty());
    }

    #[test]
    fn dsb_workload_urls_are_whole() {
        let u = format!("http://{}", "aZ09".repeat(16));
        assert_eq!(urls(&format!("text {u} @username_1")), [u.as_str()]);
    }

    #[test]
    fn a_url_ends_at_its_first_non_ascii_character() {
        let text = "café @bob https://example.com/a?q=1 🙂 日本語 http://例え.jp/パス";
        assert_eq!(urls(text), ["https://example.com/a?q=1"]);
        assert_eq!(urls("voir https://exemple.fr/été"), ["https://exemple.fr/"]);
        assert_eq!(urls("«https://a.com/x»"), ["https://a.com/x"]);
        assert_eq!(urls("\u{202B}https://a.com/\u{202C}"), ["https://a.com/"]);
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
    fn a_mention_span_covers_the_at_sign_and_the_name() {
        let text = "to @bob, @ann-2 and a@b.com";
        let spans = mention_spans(text, &url_spans(text));
        let covered: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(covered, ["@bob", "@ann-2"]);
    }

    #[test]
    fn mentions_in_any_script() {
        let text = "café @bob https://example.com/a?q=1 🙂 日本語 http://例え.jp/パス";
        assert_eq!(mentions(text, &url_spans(text)), ["bob"]);
        // A letter of any script before `@` makes it an address, not a mention.
        assert!(mentions("café@bob 日本@carol", &[]).is_empty());
        // Punctuation, emoji, RTL marks and CJK punctuation do not.
        assert_eq!(
            mentions("(@a) 🙂@b \u{200F}@c 「@d」 @eé", &[]),
            ["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn replacing_keeps_the_text_around_urls() {
        let text = "a http://x.com b http://y.com c";
        let spans = url_spans(text);
        assert_eq!(replace_spans(text, &spans, &["S1", "S2"]), "a S1 b S2 c");
        let text = "日本 https://a.com/x 🙂";
        assert_eq!(
            replace_spans(text, &url_spans(text), &["http://short-u.rl/1"]),
            "日本 http://short-u.rl/1 🙂"
        );
    }
}
