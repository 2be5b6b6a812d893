//! `ds-net`, the social network in a browser: the catalogue's one function that answers in
//! HTML. Its pages are server-rendered (compile-time templates with [`maud`], which escapes
//! every interpolated string) from the other functions' answers, called through the
//! [`Registry`] like any function calls another: in-process when they are hosted here, through
//! the gateway or the Lambda Invoke API when they are not. A page is one request and needs no
//! script to read or to submit; the one script ([`assets`]) only counts characters.
//!
//! Who a page acts for is the `login_token` cookie (HttpOnly, SameSite=Lax) that logging in
//! sets, verified at the edge with the deployment's key; every form that changes something
//! also carries a form token bound to that login ([`visitor`]), and the request must come from
//! a page of this site (`Origin` / `Sec-Fetch-Site`). Every response carries a
//! Content-Security-Policy that allows only this site's own scripts, styles and media, and no
//! inline script.
//!
//! [`site`] is the router, with pages at `/`; [`nested`] serves it under `/function/ds-net` too
//! (the path a gateway gives it), and links follow the path the request came by ([`base`]).
//! Bodies are bounded before they reach a page: the HTTP edge (`deathstar_http`) reads each
//! within its size limit and deadline.

// A page handler's `Err` is the response to send instead (the login page, an error page): it
// is returned once per request, so its size costs nothing worth a box at every `?`.
#![allow(clippy::result_large_err)]

pub mod assets;
pub mod base;
pub mod paging;
pub mod post_text;
pub mod relative_time;

mod account;
mod contacts;
mod layout;
mod media;
mod page_error;
mod profile;
mod timeline;
mod visitor;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};
use deathstar_handlers::Registry;
use deathstar_http::dsb::BrowserPolicy;

pub use base::Base;

/// The function's name in the catalogue and on every platform.
pub const NAME: &str = deathstar_handlers::catalogue::PAGES;

/// Where a gateway serves the site, and where [`mount`] nests it too.
pub const GATEWAY_PATH: &str = "/function/ds-net";

/// How the site is served.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// The prefix a gateway in front strips from the browser's paths ([`Base::configured`]):
    /// `/function/ds-net` behind OpenFaaS's gateway, empty where the site is at `/`.
    pub base: Base,
    /// Each page's deadline, passed down to every function it calls.
    pub timeout: Duration,
    /// The login cookie's `Secure` flag, and other sites' pages allowed to post forms.
    pub browser: BrowserPolicy,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            base: Base::default(),
            timeout: Duration::from_secs(20),
            browser: BrowserPolicy::default(),
        }
    }
}

/// What every page handler shares.
pub(crate) struct Site {
    registry: Registry,
    options: WebOptions,
}

/// The shared state of the site's routes.
type State = Arc<Site>;

/// The site's pages, assets and form actions, at `/`, calling functions through `registry`;
/// any other path is the 404 page.
pub fn site(registry: Registry, options: WebOptions) -> Router {
    let site = Arc::new(Site { registry, options });
    Router::new()
        .route("/", get(timeline::home))
        .route("/login", get(account::login_page).post(account::login))
        .route("/signup", get(account::signup_page).post(account::signup))
        .route("/logout", post(account::logout))
        .route("/compose", post(timeline::compose))
        .route("/profile/{username}", get(profile::profile))
        .route("/profile/{username}/followers", get(profile::followers))
        .route("/profile/{username}/following", get(profile::following))
        .route("/follow", post(profile::follow))
        .route("/unfollow", post(profile::unfollow))
        .route("/contacts", get(contacts::contacts))
        .route("/media/{media_id}", get(media::media))
        .route("/assets/{file}", get(assets::asset))
        .fallback(page_error::not_found)
        // A span per page, the parent of the calls it makes.
        .route_layer(axum::middleware::from_fn(deathstar_http::edge_span::record))
        .with_state(site)
        // The edge has read the body within its limit (uploads are larger than axum's 2 MB).
        .layer(DefaultBodyLimit::disable())
        .layer(map_response(security_headers))
}

/// `site` under [`GATEWAY_PATH`], as the local server and a Lambda bootstrap behind API
/// Gateway serve it beside `/`.
pub fn nested(site: &Router) -> Router {
    Router::new().nest_service(GATEWAY_PATH, site.clone())
}

/// What a page may load and do: only this site's own styles, scripts, images and video, no
/// inline script or style, no framing, forms posted only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A response with a stricter policy of its own (media) keeps it.
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
