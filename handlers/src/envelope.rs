//! What every function answers: an HTTP status and a JSON body in the project's envelope
//! (`{"status": "success", ...}` or `{"status": "<Name>Error", "errors": [...]}`), as a JSON
//! tree ([`Reply`]) or as bytes ([`WireReply`]). Every envelope of the project, a function's,
//! an edge's refusal or an invoker's for a callee that gave none, is built here.

use serde::Serialize;
use serde_json::{Value, json};

use crate::status;

/// A function's answer, ready for any transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// The success envelope, `{...fields of output, "status": "success"}`, written once for the
/// JSON tree ([`Reply`]) and the bytes ([`WireReply`]). The output must be a struct or a map:
/// anything else does not flatten, and is an internal error.
#[derive(Serialize)]
struct Success<'a, T> {
    #[serde(flatten)]
    output: &'a T,
    status: &'static str,
}

impl<'a, T> Success<'a, T> {
    fn of(output: &'a T) -> Self {
        Success {
            output,
            status: status::SUCCESS,
        }
    }
}

/// The field of a 429's envelope saying how many seconds to wait (the edge copies it into
/// `Retry-After`).
pub const RETRY_AFTER: &str = "retry_after";

/// The failure envelope `{"status": status, "errors": errors}`.
pub fn failure(status: &str, errors: Vec<Value>) -> Value {
    json!({"status": status, "errors": errors})
}

/// An error item saying `message` (and naming `field`, when a field was at fault).
pub fn error_item(message: impl Into<String>, field: Option<&str>) -> Value {
    match field {
        Some(field) => json!({"message": message.into(), "field": field}),
        None => json!({"message": message.into()}),
    }
}

impl Reply {
    /// A failure with one error item saying `message`.
    pub fn failure(http_status: u16, status: &str, message: impl Into<String>) -> Reply {
        Reply {
            status: http_status,
            body: failure(status, vec![error_item(message, None)]),
        }
    }

    /// `{"status":"success", ...fields of output}`.
    pub fn success<T: Serialize>(output: &T) -> Reply {
        match serde_json::to_value(Success::of(output)) {
            Ok(body) => Reply { status: 200, body },
            Err(e) => Reply::failure(500, status::INTERNAL, e.to_string()),
        }
    }

    pub fn is_success(&self) -> bool {
        self.status == 200
    }
}

/// A function's answer as bytes: an HTTP status and the envelope, serialised. What the HTTP
/// edges send, built without a JSON tree on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct WireReply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl WireReply {
    pub fn success<T: Serialize>(output: &T) -> WireReply {
        match serde_json::to_vec(&Success::of(output)) {
            Ok(body) => WireReply { status: 200, body },
            Err(e) => WireReply::from(Reply::failure(500, status::INTERNAL, e.to_string())),
        }
    }
}

impl From<Reply> for WireReply {
    fn from(reply: Reply) -> WireReply {
        WireReply {
            status: reply.status,
            body: serde_json::to_vec(&reply.body).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Output {
        user_id: &'static str,
        count: u32,
    }

    #[test]
    fn success_is_the_same_envelope_as_a_tree_and_as_bytes() {
        let output = Output {
            user_id: "u",
            count: 2,
        };
        let tree = Reply::success(&output);
        let wire = WireReply::success(&output);
        assert_eq!((tree.status, wire.status), (200, 200));
        let from_bytes: Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(from_bytes, tree.body);
        assert_eq!(
            tree.body,
            serde_json::json!({"user_id": "u", "count": 2, "status": "success"})
        );
    }

    #[test]
    fn an_output_that_is_no_object_is_an_internal_error() {
        for reply in [Reply::success(&[1, 2]), Reply::success(&"text")] {
            assert_eq!(reply.status, 500);
            assert_eq!(reply.body["status"], status::INTERNAL);
        }
        assert_eq!(WireReply::success(&5).status, 500);
    }
}
