//! The home timeline (the start page of a logged-in user) with its compose box, and how a
//! list of posts is shown on every page that has one: newest first, a page at a time, each
//! post with its author, its relative time, its text (mentions and URLs as links) and its media.

use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deathstar_handlers::functions::HomeTimelineReadFrontend;
use deathstar_handlers::functions::compose::{ComposePostFrontend, ComposePostInput};
use deathstar_handlers::functions::media::{
    MAX_MEDIA_BYTES, UploadMediaFile, UploadMediaFileInput,
};
use deathstar_handlers::functions::timeline::ReadTimelineInput;
use deathstar_handlers::model::Post;
use deathstar_handlers::validate::MAX_TEXT_BYTES;
use deathstar_http::dsb::Form;
use maud::{Markup, html};
use std::collections::HashMap;

use crate::account::login_form;
use crate::base::Base;
use crate::layout::{Nav, form_token, html_response, page};
use crate::paging::Page;
use crate::post_text::{post_text, profile_path};
use crate::relative_time::{datetime, relative};
use crate::visitor::Visitor;

/// `GET /`: the home timeline of the logged-in user, or the login page.
pub(crate) async fn home(
    visitor: Visitor,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(me) = &visitor.me else {
        return login_form(&visitor, StatusCode::OK, "", None);
    };
    let page_number = Page::from_query(query.get("page").map(String::as_str));
    let (start, stop) = page_number.window();
    let input = ReadTimelineInput {
        user_id: me.user_id.clone(),
        start,
        stop,
    };
    let posts = match visitor.fetch::<HomeTimelineReadFrontend>(input).await {
        Ok(output) => output.posts,
        Err(failed) => return failed,
    };
    let main = html! {
        h1 { "Home" }
        (compose_box(&visitor))
        h2 { "From people you follow, and mentions of you" }
        @if posts.is_empty() && page_number == Page::FIRST {
            p.empty {
                "Nothing here yet. Follow people from their profile or from "
                a href=(visitor.base.link("/contacts")) { "Contacts" }
                ", and their posts appear here. Your own posts are on "
                a href=(profile_path(&visitor.base, &me.username)) { "your profile" } "."
            }
        } @else {
            (post_list(&visitor, posts.iter().map(|p| &**p)))
            (pager(&visitor.base, "/", page_number, posts.len()))
        }
    };
    html_response(StatusCode::OK, page(&visitor, "Home", Nav::Home, main))
}

/// The compose box: text (mentions and URLs welcome) and an optional image or video.
fn compose_box(visitor: &Visitor) -> Markup {
    html! {
        form.compose method="post" action=(visitor.base.link("/compose"))
            enctype="multipart/form-data" {
            (form_token(visitor))
            label for="post-text" { "What's happening?" }
            textarea #post-text name="text" rows="3" required maxlength=(MAX_TEXT_BYTES)
                placeholder="Mention someone with @username, paste a link…"
                aria-describedby="post-counter" {}
            div.compose-actions {
                label for="post-media" { "Image or video (optional)" }
                input #post-media type="file" name="media" accept="image/*,video/*"
                    data-max-bytes=(MAX_MEDIA_BYTES);
                span.counter #post-counter aria-live="polite" {}
                button.primary type="submit" { "Post" }
            }
        }
    }
}

/// `POST /compose` (multipart: `text`, optional file `media`, the form token): uploads the
/// file, composes the post, and shows it on the author's profile.
pub(crate) async fn compose(visitor: Visitor, mut multipart: Multipart) -> Response {
    let mut fields = Form::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return visitor.error(StatusCode::BAD_REQUEST, "Unreadable form", &e.body_text());
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => {
                return visitor.error(StatusCode::BAD_REQUEST, "Unreadable form", &e.body_text());
            }
        };
        match (name.as_str(), filename) {
            // A file input left empty still sends a part, with no name and no bytes.
            ("media", Some(filename)) if !bytes.is_empty() => {
                file = Some((filename, bytes.to_vec()))
            }
            ("media", _) => {}
            _ => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    let me = match visitor.check_form(&fields) {
        Ok(me) => me.clone(),
        Err(refused) => return refused,
    };
    let (mut media_ids, mut media_types) = (None, None);
    if let Some((filename, bytes)) = file {
        let input = UploadMediaFileInput {
            filename: upload_name(&filename),
            file: STANDARD.encode(bytes),
        };
        match visitor.fetch::<UploadMediaFile>(input).await {
            Ok(media) => {
                media_ids = Some(vec![media.media_id]);
                media_types = Some(vec![media.media_type]);
            }
            Err(failed) => return failed,
        }
    }
    let input = ComposePostInput {
        user_id: me.user_id.clone(),
        username: me.username.clone(),
        post_type: 0,
        text: fields.remove("text").unwrap_or_default(),
        media_ids,
        media_types,
        media_id: None,
        media_type: None,
    };
    if let Err(failed) = visitor.fetch::<ComposePostFrontend>(input).await {
        return failed;
    }
    visitor.redirect(&format!("/profile/{}?posted=1", me.username))
}

/// The name the upload is stored under: the browser's file name if it ends in an extension
/// (the function checks which), else one that says it has none, for the function to refuse.
fn upload_name(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.len() <= 8 => format!("upload.{ext}"),
        _ => "upload".to_owned(),
    }
}

/// `posts`, newest first, or nothing.
pub(crate) fn post_list<'a>(visitor: &Visitor, posts: impl Iterator<Item = &'a Post>) -> Markup {
    html! {
        ol.posts {
            @for post in posts {
                li { (post_card(visitor, post)) }
            }
        }
    }
}

fn post_card(visitor: &Visitor, post: &Post) -> Markup {
    let base = &visitor.base;
    let author = &post.creator.username;
    html! {
        article.post {
            header.post-head {
                a.author href=(profile_path(base, author)) { "@" (author) }
                " "
                time datetime=(datetime(post.timestamp)) title=(datetime(post.timestamp)) {
                    (relative(post.timestamp, visitor.now_ms))
                }
            }
            p.post-text dir="auto" { (post_text(post, base)) }
            @if !post.media.is_empty() {
                div.post-media {
                    @for media in &post.media {
                        @let src = base.link(&format!("/media/{}", media.media_id));
                        @if is_video(&media.media_type) {
                            video src=(src) controls preload="metadata" {}
                        } @else {
                            img src=(src) alt={ "Image posted by @" (author) } loading="lazy";
                        }
                    }
                }
            }
        }
    }
}

/// Whether a stored media type (its extension, sniffed at upload) is a video.
fn is_video(media_type: &str) -> bool {
    matches!(media_type, "mp4" | "mov" | "webm")
}

/// Links to the newer and older pages of the list at `path`, when there are any.
pub(crate) fn pager(base: &Base, path: &str, page: Page, shown: usize) -> Markup {
    let link = |page: Page| match page.number {
        1 => base.link(path),
        n => base.link(&format!("{path}?page={n}")),
    };
    html! {
        @if page.newer().is_some() || page.older(shown).is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(newer) = page.newer() {
                    a href=(link(newer)) rel="prev" { "Newer" }
                }
                @if let Some(older) = page.older(shown) {
                    a href=(link(older)) rel="next" { "Older" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_keeps_only_its_extension() {
        assert_eq!(upload_name("cat photo.PNG"), "upload.PNG");
        assert_eq!(upload_name("\"><script>.gif"), "upload.gif");
        assert_eq!(upload_name("noext"), "upload");
        assert_eq!(upload_name("trailing."), "upload");
    }

    #[test]
    fn the_pager_links_only_pages_that_exist() {
        let base = Base::default();
        assert_eq!(pager(&base, "/", Page::FIRST, 3).into_string(), "");
        let first_full = pager(&base, "/", Page::FIRST, 20).into_string();
        assert!(
            first_full.contains(r#"href="/?page=2" rel="next""#),
            "{first_full}"
        );
        assert!(!first_full.contains("prev"));
        let second = pager(&base, "/profile/a", Page::from_query(Some("2")), 5).into_string();
        assert!(
            second.contains(r#"href="/profile/a" rel="prev""#),
            "{second}"
        );
        assert!(!second.contains("next"));
    }
}
