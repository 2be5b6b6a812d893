//! `GET /media/{media_id}`: a stored image or video, with the type sniffed from its bytes at
//! upload (never the uploader's word), `nosniff`, and a policy that runs nothing in it.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deathstar_handlers::functions::media::{GetMedia, GetMediaInput};

use crate::visitor::Visitor;

pub(crate) async fn media(visitor: Visitor, Path(media_id): Path<String>) -> Response {
    let input = GetMediaInput {
        media_id: Some(media_id),
        filename: None,
    };
    let file = match visitor.fetch::<GetMedia>(input).await {
        Ok(file) => file,
        Err(failed) => return failed,
    };
    let payload = file
        .file
        .split_once(',')
        .map_or(&*file.file, |(_, data)| data);
    let Ok(bytes) = STANDARD.decode(payload) else {
        return visitor.error(
            StatusCode::BAD_GATEWAY,
            "Unreadable media",
            "The media service answered with data that is not base64.",
        );
    };
    let headers = [
        (header::CONTENT_TYPE, file.content_type),
        // Ids are never reused: a file never changes.
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_owned(),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".to_owned(),
        ),
    ];
    (StatusCode::OK, headers, bytes).into_response()
}
