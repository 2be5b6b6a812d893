//! Typed errors of a function, and the one place that maps them to an HTTP status and to the
//! `{"status": "<Name>Error", "errors": [...]}` envelope.
//!
//! Status names of the original (`MissingFieldError`, `UsernameAlreadyExistError`, ...) are kept
//! where it had them. Failures that are "this function could not do its job" (a callee failed,
//! storage failed) are reported under the function's own name (`<Own>Error`, as in the original),
//! which [`FunctionError::into_envelope`] receives from the caller.

use serde_json::{Map, Value};

use crate::envelope;
use crate::status;
use crate::store::StoreError;

/// Why a function did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The body was not a JSON object (or not JSON at all).
    #[error("{0}")]
    MalformedBody(String),
    #[error("missing field `{0}`")]
    MissingField(String),
    #[error("invalid field `{field}`: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("{message}")]
    Unauthorized {
        status: &'static str,
        message: String,
    },
    /// Authenticated, and not allowed this: acting as another user, a cross-site request.
    #[error("{message}")]
    Forbidden {
        status: &'static str,
        message: String,
    },
    /// Refused for now (login throttling): `retry_after_secs` says for how long.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{message}")]
    NotFound {
        status: &'static str,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        status: &'static str,
        message: String,
    },
    /// One or more functions this one called failed; their envelopes are nested.
    #[error("{} callee(s) failed", .0.len())]
    Callees(Vec<CalleeFailure>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("deadline exceeded")]
    DeadlineExceeded,
    #[error("{0}")]
    Internal(String),
}

/// The status of a function whose callees failed. It passes its callees' status on when they
/// agree that the client should act on it: a 4xx (the client's input was refused: an unknown
/// username stays a 404 at the frontend), a 503 (storage is down: retry later) or a 504.
/// Anything else is a 502.
fn callee_status(failures: &[CalleeFailure]) -> u16 {
    let Some(first) = failures.first().map(|f| f.http_status) else {
        return 502;
    };
    let class = |s: u16| match s {
        400..=499 => 400,
        s => s,
    };
    let agree = failures
        .iter()
        .all(|f| class(f.http_status) == class(first));
    match first {
        400..=499 | 503 | 504 if agree => first,
        _ => 502,
    }
}

/// A call to another function that did not succeed, as the caller saw it.
#[derive(Debug, Clone)]
pub struct CalleeFailure {
    pub callee: String,
    /// HTTP status of the callee's reply; 502 when there was no usable reply at all.
    pub http_status: u16,
    /// The callee's error envelope (`status`, `errors`), or a synthetic one.
    pub body: Value,
}

impl CalleeFailure {
    /// The failure a callee answered with (its status and envelope).
    pub fn of_reply(callee: &str, reply: crate::envelope::Reply) -> Self {
        CalleeFailure {
            callee: callee.to_owned(),
            http_status: reply.status,
            body: reply.body,
        }
    }

    /// A failure where the callee gave no envelope (transport error, unparseable reply...).
    pub fn transport(callee: &str, message: impl Into<String>) -> Self {
        CalleeFailure {
            callee: callee.to_owned(),
            http_status: 502,
            body: envelope::failure(
                status::INVOCATION,
                vec![envelope::error_item(message, None)],
            ),
        }
    }

    fn to_error_item(&self) -> Value {
        let mut item = Map::new();
        item.insert(
            "message".into(),
            format!("{} failed with HTTP {}", self.callee, self.http_status).into(),
        );
        item.insert("callee".into(), self.callee.clone().into());
        item.insert("http_status".into(), self.http_status.into());
        for key in ["status", "errors"] {
            if let Some(v) = self.body.get(key) {
                item.insert(key.into(), v.clone());
            }
        }
        Value::Object(item)
    }
}

impl From<CalleeFailure> for FunctionError {
    fn from(failure: CalleeFailure) -> Self {
        FunctionError::Callees(vec![failure])
    }
}

impl FunctionError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        FunctionError::InvalidField {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// Collects the failures among several parallel calls (the original's fan-out pattern).
    pub fn from_callees(failures: impl IntoIterator<Item = Option<CalleeFailure>>) -> Self {
        FunctionError::Callees(failures.into_iter().flatten().collect())
    }

    /// HTTP status of this error.
    pub fn http_status(&self) -> u16 {
        match self {
            FunctionError::MalformedBody(_)
            | FunctionError::MissingField(_)
            | FunctionError::InvalidField { .. } => 400,
            FunctionError::Unauthorized { .. } => 401,
            FunctionError::Forbidden { .. } => 403,
            FunctionError::NotFound { .. } => 404,
            FunctionError::Conflict { .. } => 409,
            FunctionError::TooManyRequests { .. } => 429,
            FunctionError::Callees(failures) => callee_status(failures),
            FunctionError::Store(StoreError::Unavailable(_)) => 503,
            FunctionError::Store(StoreError::Internal(_)) | FunctionError::Internal(_) => 500,
            FunctionError::DeadlineExceeded => 504,
        }
    }

    /// The `status` string of the envelope; `own` is the failing function's `<Own>Error` name.
    pub fn status_name(&self, own: &'static str) -> &'static str {
        match self {
            FunctionError::MalformedBody(_) => status::MALFORMED_JSON,
            FunctionError::MissingField(_) => status::MISSING_FIELD,
            FunctionError::InvalidField { .. } => status::INVALID_FIELD,
            FunctionError::Unauthorized { status, .. }
            | FunctionError::Forbidden { status, .. }
            | FunctionError::NotFound { status, .. }
            | FunctionError::Conflict { status, .. } => status,
            FunctionError::TooManyRequests { .. } => status::TOO_MANY_REQUESTS,
            FunctionError::Store(StoreError::Unavailable(_)) => status::STORAGE_UNAVAILABLE,
            FunctionError::DeadlineExceeded => status::TIMEOUT,
            // Storage down, a callee shedding load or time up anywhere below: the client's cue
            // to retry, at every level, under the name the callees gave it.
            FunctionError::Callees(failures) => match callee_status(failures) {
                503 if failures
                    .iter()
                    .all(|f| f.body["status"] == status::OVERLOADED) =>
                {
                    status::OVERLOADED
                }
                503 => status::STORAGE_UNAVAILABLE,
                504 => status::TIMEOUT,
                _ => own,
            },
            FunctionError::Store(_) | FunctionError::Internal(_) => own,
        }
    }

    /// The JSON envelope `{"status": ..., "errors": [...]}`.
    pub fn into_envelope(self, own: &'static str) -> Value {
        let status = self.status_name(own);
        let errors: Vec<Value> = match &self {
            FunctionError::Callees(failures) => {
                failures.iter().map(CalleeFailure::to_error_item).collect()
            }
            FunctionError::MissingField(field) | FunctionError::InvalidField { field, .. } => {
                vec![envelope::error_item(self.to_string(), Some(field))]
            }
            _ => vec![envelope::error_item(self.to_string(), None)],
        };
        let mut envelope = envelope::failure(status, errors);
        if let FunctionError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            // Beside the status, where the edge finds it for `Retry-After`.
            envelope[envelope::RETRY_AFTER] = retry_after_secs.into();
        }
        envelope
    }
}

impl envelope::Reply {
    /// A function's failure: `error`'s status and envelope; `own` is the function's
    /// `<Own>Error` name.
    pub fn error(error: FunctionError, own: &'static str) -> Self {
        envelope::Reply {
            status: error.http_status(),
            body: error.into_envelope(own),
        }
    }
}

/// A user id that should have been one (read from a store, or from a value checked before) and
/// is not: the server's fault, not the caller's.
impl From<crate::user_id::NotAUserId> for FunctionError {
    fn from(error: crate::user_id::NotAUserId) -> Self {
        FunctionError::Internal(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: u16, name: &str) -> CalleeFailure {
        CalleeFailure {
            callee: "callee".into(),
            http_status: status,
            body: serde_json::json!({"status": name, "errors": [{"message": "m"}]}),
        }
    }

    #[test]
    fn a_retry_later_below_is_one_at_the_top_under_the_callees_name() {
        let error = |failures| FunctionError::Callees(failures).status_name("OwnError");
        let shed = || failed(503, "OverloadedError");
        let down = || failed(503, "StorageUnavailableError");
        assert_eq!(error(vec![shed(), shed()]), "OverloadedError");
        assert_eq!(error(vec![shed(), down()]), "StorageUnavailableError");
        assert_eq!(error(vec![down()]), "StorageUnavailableError");
        assert_eq!(error(vec![failed(504, "TimeoutError")]), "TimeoutError");
        assert_eq!(error(vec![failed(500, "X")]), "OwnError");
        assert_eq!(FunctionError::Callees(vec![shed()]).http_status(), 503);
    }
}
