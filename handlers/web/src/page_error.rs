//! Pages that say something went wrong, each with the HTTP status that says the same: a
//! function's refusal keeps the function's status (a 404 for an unknown user, a 429 for too
//! many logins, a 503 when storage is down), an unknown path is a 404.

use axum::http::StatusCode;
use axum::response::Response;
use deathstar_handlers::CalleeFailure;
use maud::html;
use serde_json::Value;

use crate::layout::{Nav, html_response, page};
use crate::visitor::Visitor;

/// The error page: `status`, a `title` and a `message`, and the way back home.
pub(crate) fn page_error(
    visitor: &Visitor,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    let main = html! {
        section.card.error-page {
            p.code { (status.as_u16()) }
            h1 { (title) }
            p role="alert" { (message) }
            p { a href=(visitor.base.home()) { "Back to the start page" } }
        }
    };
    html_response(status, page(visitor, title, Nav::None, main))
}

/// The error page for a function's failure.
pub(crate) fn failure_page(visitor: &Visitor, failure: &CalleeFailure) -> Response {
    let status = status_of(failure);
    let title = match status.as_u16() {
        404 => "Not found",
        429 => "Too many attempts",
        400..=499 => "That did not work",
        _ => "Something went wrong on our side",
    };
    page_error(visitor, status, title, &message_of(failure))
}

/// The HTTP status a function's failure is shown with.
pub(crate) fn status_of(failure: &CalleeFailure) -> StatusCode {
    StatusCode::from_u16(failure.http_status).unwrap_or(StatusCode::BAD_GATEWAY)
}

/// What a person is told of a function's failure: the innermost error's message (a refusal a
/// function passed on names its callee's own), as the function worded it.
pub(crate) fn message_of(failure: &CalleeFailure) -> String {
    let mut error: &Value = &failure.body;
    while let Some(inner) = error["errors"].get(0) {
        error = inner;
    }
    match error["message"].as_str() {
        Some(message) if !message.is_empty() => sentence(message),
        _ => format!("{} did not answer as expected.", failure.callee),
    }
}

/// `message` as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Any path the site does not serve.
pub(crate) async fn not_found(visitor: Visitor) -> Response {
    page_error(
        &visitor,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_failure_is_told_by_its_innermost_message() {
        let failure = CalleeFailure {
            callee: "social-graph-follow-with-username".into(),
            http_status: 404,
            body: json!({"status": "X", "errors": [{"callee": "get-user-id", "status": "UsernameNotFoundError",
                "errors": [{"message": "username zed not found"}]}]}),
        };
        assert_eq!(message_of(&failure), "Username zed not found.");
        assert_eq!(status_of(&failure), StatusCode::NOT_FOUND);
        let silent = CalleeFailure {
            callee: "f".into(),
            http_status: 1000,
            body: json!({}),
        };
        assert_eq!(message_of(&silent), "f did not answer as expected.");
        assert_eq!(status_of(&silent), StatusCode::BAD_GATEWAY);
    }
}
