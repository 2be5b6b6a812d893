//! `GET /assets/{file}`: the site's stylesheet, script and icon, compiled into the binary, so
//! a page needs nothing from another host and works offline and behind any gateway.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::page_error::not_found;
use crate::visitor::Visitor;

/// Every asset: its name, content type and bytes.
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../assets/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../assets/favicon.svg"),
    ),
];

pub(crate) async fn asset(visitor: Visitor, Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, body)) => {
            let headers = [
                (header::CONTENT_TYPE, *content_type),
                // Pages link them with the release in the query: a new release is a new URL.
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ];
            (StatusCode::OK, headers, *body).into_response()
        }
        None => not_found(visitor).await,
    }
}
