//! What the HTTP edge answers by itself, before or instead of any function: a request for no
//! function or no route, with a method the route does not take, with a body too large or too
//! slow, or over the admission limit. Typed here, mapped to a status and the project's envelope
//! in one place ([`Refusal::reply`]), so a function's errors ([`FunctionError`]) hold only
//! what a function can answer.
//!
//! [`FunctionError`]: deathstar_handlers::FunctionError

use axum::response::{IntoResponse, Response};
use deathstar_handlers::{Reply, status};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("no function named `{0}`")]
    UnknownFunction(String),
    /// A path no route serves.
    #[error("no route for {0}")]
    UnknownRoute(String),
    /// A route that exists, asked with a method it does not take.
    #[error("{method} is not allowed here")]
    MethodNotAllowed { method: String },
    #[error("body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request's body did not arrive before its deadline.
    #[error("the request body did not arrive within the deadline")]
    BodyTimeout,
    /// At the limit of requests in flight: shed before any work, retry later.
    #[error("over the limit of {limit} requests in flight; retry later")]
    Overloaded { limit: usize },
}

impl Refusal {
    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::UnknownFunction(_) | Refusal::UnknownRoute(_) => 404,
            Refusal::MethodNotAllowed { .. } => 405,
            // 408, not 504: the client was too slow to send, no server of ours was too slow to
            // answer, and a 408 tells the client that sending again (faster) may succeed.
            Refusal::BodyTimeout => 408,
            Refusal::PayloadTooLarge { .. } => 413,
            Refusal::Overloaded { .. } => 503,
        }
    }

    pub fn status_name(&self) -> &'static str {
        match self {
            Refusal::UnknownFunction(_) => status::FUNCTION_NOT_FOUND,
            Refusal::UnknownRoute(_) => status::ROUTE_NOT_FOUND,
            Refusal::MethodNotAllowed { .. } => status::METHOD_NOT_ALLOWED,
            Refusal::PayloadTooLarge { .. } => status::PAYLOAD_TOO_LARGE,
            Refusal::BodyTimeout => status::REQUEST_TIMEOUT,
            Refusal::Overloaded { .. } => status::OVERLOADED,
        }
    }

    /// The refusal as a function's answer would be: its status and envelope.
    pub fn reply(&self) -> Reply {
        Reply::failure(self.http_status(), self.status_name(), self.to_string())
    }

    /// The refusal as a response naming the trace `trace_id` (empty: none was read yet).
    pub fn response(&self, trace_id: &str) -> Response {
        crate::into_response(self.reply(), trace_id)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.response("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_an_envelope_with_its_status() {
        let refusals = [
            (
                Refusal::UnknownFunction("f".into()),
                404,
                "FunctionNotFoundError",
            ),
            (
                Refusal::UnknownRoute("/x".into()),
                404,
                "RouteNotFoundError",
            ),
            (
                Refusal::MethodNotAllowed {
                    method: "PUT".into(),
                },
                405,
                "MethodNotAllowedError",
            ),
            (
                Refusal::PayloadTooLarge { limit: 1 },
                413,
                "PayloadTooLargeError",
            ),
            (Refusal::BodyTimeout, 408, "RequestTimeoutError"),
            (Refusal::Overloaded { limit: 1 }, 503, "OverloadedError"),
        ];
        for (refusal, code, name) in refusals {
            let reply = refusal.reply();
            assert_eq!(
                (reply.status, reply.body["status"].as_str()),
                (code, Some(name))
            );
            assert_eq!(reply.body["errors"][0]["message"], refusal.to_string());
        }
    }
}
