//! A post's text as HTML: every character escaped, each `@mention` of a known user a link to
//! their profile, each short URL a link to the URL it stands for — only when that is an
//! `http:` or `https:` URL, so a stored `javascript:` or `data:` URL is shown, never followed.

use deathstar_handlers::functions::text::parse::{mention_spans, url_spans};
use deathstar_handlers::model::Post;
use maud::{Markup, html};

use crate::base::Base;

/// The path of `username`'s profile page. Usernames are `[A-Za-z0-9_-]`: nothing to escape.
pub fn profile_path(base: &Base, username: &str) -> String {
    base.link(&format!("/profile/{username}"))
}

/// Whether a browser may be sent to `url` from a post: an absolute http(s) URL.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// One piece of a post's text.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    /// A mention of a user the post names in `user_mentions`.
    Mention(&'a str),
    /// A URL of the text and where it links to (`None`: shown, not linked).
    Url(&'a str, Option<&'a str>),
}

fn pieces(post: &Post) -> Vec<Piece<'_>> {
    let text = post.text.as_str();
    let urls = url_spans(text);
    let mut spans: Vec<(std::ops::Range<usize>, bool)> =
        urls.iter().map(|span| (span.clone(), true)).collect();
    spans.extend(
        mention_spans(text, &urls)
            .into_iter()
            .map(|span| (span, false)),
    );
    spans.sort_by_key(|(span, _)| span.start);
    let mut pieces = Vec::new();
    let mut at = 0;
    for (span, is_url) in spans {
        if span.start > at {
            pieces.push(Piece::Text(&text[at..span.start]));
        }
        let covered = &text[span.clone()];
        let piece = if is_url {
            let target = post
                .urls
                .iter()
                .find(|url| url.shortened_url == covered)
                .map(|url| url.expanded_url.as_str());
            match target {
                Some(expanded) => Piece::Url(expanded, Some(expanded).filter(|u| is_web_url(u))),
                None => Piece::Url(covered, None),
            }
        } else {
            let name = &covered[1..];
            match post.user_mentions.iter().any(|m| m.username == name) {
                true => Piece::Mention(name),
                false => Piece::Text(covered),
            }
        };
        pieces.push(piece);
        at = span.end;
    }
    if at < text.len() {
        pieces.push(Piece::Text(&text[at..]));
    }
    pieces
}

/// `post`'s text as HTML, its mentions linking to profiles under `base`.
pub fn post_text(post: &Post, base: &Base) -> Markup {
    html! {
        @for piece in pieces(post) {
            @match piece {
                Piece::Text(text) => (text),
                Piece::Mention(name) => a.mention href=(profile_path(base, name)) { "@" (name) },
                Piece::Url(shown, Some(target)) => {
                    a.url href=(target) rel="nofollow noopener noreferrer" { (shown) }
                }
                Piece::Url(shown, None) => span.url { (shown) },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deathstar_handlers::UserId;
    use deathstar_handlers::model::{Creator, UrlDoc, UserMention};

    fn post(text: &str, urls: &[(&str, &str)], mentions: &[&str]) -> Post {
        Post {
            post_id: "1".into(),
            req_id: "1".into(),
            creator: Creator {
                user_id: UserId::random(),
                username: "alice".into(),
            },
            text: text.into(),
            user_mentions: mentions
                .iter()
                .map(|name| UserMention {
                    user_id: UserId::random(),
                    username: (*name).into(),
                })
                .collect(),
            media: vec![],
            urls: urls
                .iter()
                .map(|(short, expanded)| UrlDoc {
                    shortened_url: (*short).into(),
                    expanded_url: (*expanded).into(),
                })
                .collect(),
            timestamp: 0,
            post_type: 0,
        }
    }

    fn html_of(post: &Post) -> String {
        post_text(post, &Base::default()).into_string()
    }

    #[test]
    fn mentions_link_under_the_sites_base() {
        let html = post_text(
            &post("@bob", &[], &["bob"]),
            &Base::configured("/function/ds-net"),
        );
        assert_eq!(
            html.into_string(),
            r#"<a class="mention" href="/function/ds-net/profile/bob">@bob</a>"#
        );
    }

    #[test]
    fn text_is_escaped_whatever_it_holds() {
        let html = html_of(&post(
            r#"<script>alert("x")</script> & 'q' مرحبا 🚀"#,
            &[],
            &[],
        ));
        assert_eq!(
            html,
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q' مرحبا 🚀"
        );
    }

    #[test]
    fn a_mention_of_a_known_user_links_to_their_profile() {
        let html = html_of(&post("hi @bob and @nobody!", &[], &["bob"]));
        assert_eq!(
            html,
            r#"hi <a class="mention" href="/profile/bob">@bob</a> and @nobody!"#
        );
    }

    #[test]
    fn a_short_url_links_to_the_url_it_stands_for() {
        let short = "http://short-u.rl/abc123";
        let html = html_of(&post(
            &format!("see {short}."),
            &[(short, "https://example.com/a?b=1&c=<2>")],
            &[],
        ));
        assert_eq!(
            html,
            "see <a class=\"url\" href=\"https://example.com/a?b=1&amp;c=&lt;2&gt;\" \
             rel=\"nofollow noopener noreferrer\">https://example.com/a?b=1&amp;c=&lt;2&gt;</a>."
        );
    }

    #[test]
    fn a_url_that_is_not_http_is_shown_and_not_linked() {
        let short = "http://short-u.rl/evil";
        let html = html_of(&post(short, &[(short, "javascript:alert(1)")], &[]));
        assert_eq!(html, r#"<span class="url">javascript:alert(1)</span>"#);
        let unknown = html_of(&post("http://elsewhere.example/x", &[], &[]));
        assert_eq!(
            unknown,
            r#"<span class="url">http://elsewhere.example/x</span>"#
        );
    }

    #[test]
    fn web_urls_are_http_and_https_in_any_case() {
        for url in ["http://a", "HTTPS://a/b", "https://例え.jp"] {
            assert!(is_web_url(url), "{url}");
        }
        for url in [
            "javascript:x",
            "data:text/html,x",
            "//a",
            "ftp://a",
            "",
            "http:/a",
        ] {
            assert!(!is_web_url(url), "{url}");
        }
    }
}
