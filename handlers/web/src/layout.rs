//! The frame of every page: the document head (this site's stylesheet, script and icon only),
//! the top bar (who is logged in, where they can go, logging out), the footer; and the
//! responses pages are sent as.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::visitor::{FORM_TOKEN_FIELD, Visitor};

/// Which entry of the top bar a page is, if any (`aria-current`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Home,
    Profile,
    Contacts,
    LogIn,
    SignUp,
    None,
}

/// The asset URLs change with each release, so a browser never keeps a stale stylesheet.
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A whole page: `title`, the bar with `current` marked, and `main`.
pub(crate) fn page(visitor: &Visitor, title: &str, current: Nav, main: Markup) -> Markup {
    let base = &visitor.base;
    let asset = |file: &str| base.link(&format!("/assets/{file}?v={ASSET_VERSION}"));
    let item = |nav: Nav, path: &str, label: &str| {
        html! {
            @if nav == current {
                a href=(base.link(path)) aria-current="page" { (label) }
            } @else {
                a href=(base.link(path)) { (label) }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ds-net" }
                link rel="stylesheet" href=(asset("style.css"));
                link rel="icon" href=(asset("favicon.svg")) type="image/svg+xml";
                script src=(asset("app.js")) defer {}
            }
            body {
                header.bar {
                    a.brand href=(base.home()) { "ds-net" }
                    nav.bar-nav aria-label="Main" {
                        @if let Some(me) = &visitor.me {
                            (item(Nav::Home, "/", "Home"))
                            (item(Nav::Profile, &format!("/profile/{}", me.username), "Profile"))
                            (item(Nav::Contacts, "/contacts", "Contacts"))
                        } @else {
                            (item(Nav::LogIn, "/login", "Log in"))
                            (item(Nav::SignUp, "/signup", "Sign up"))
                        }
                    }
                    @if let Some(me) = &visitor.me {
                        form.inline method="post" action=(base.link("/logout")) {
                            (form_token(visitor))
                            span.handle { "@" (me.username) }
                            " "
                            button.link type="submit" { "Log out" }
                        }
                    }
                }
                main.page id="main" { (main) }
                footer.foot {
                    p { "ds-net: the DeathStarBench social network, served by functions." }
                }
            }
        }
    }
}

/// The hidden form-token field of a logged-in visitor's forms.
pub(crate) fn form_token(visitor: &Visitor) -> Markup {
    html! {
        @if let Some(token) = &visitor.form_token {
            input type="hidden" name=(FORM_TOKEN_FIELD) value=(token);
        }
    }
}

/// `markup` as an HTML response with `status`. Pages show one user's data: never cached.
pub(crate) fn html_response(status: StatusCode, markup: Markup) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, markup.into_string()).into_response()
}

/// A `303 See Other` to `location`: after a form, the browser asks for the next page with GET,
/// so reloading it does not send the form again.
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
