//! What every function answers: an HTTP status and a JSON body in the project's envelope
//! (`{"status": "success", ...}` or `{"status": "<Name>Error", "errors": [...]}`).

use serde::Serialize;
use serde_json::Value;

use crate::error::FunctionError;
use crate::status;

/// A function's answer, ready for any transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// `{"status":"success", ...fields of output}`. The output must serialise to an object.
    pub fn success<T: Serialize>(output: &T) -> Reply {
        match serde_json::to_value(output) {
            Ok(Value::Object(mut fields)) => {
                fields.insert("status".into(), status::SUCCESS.into());
                Reply {
                    status: 200,
                    body: Value::Object(fields),
                }
            }
            Ok(_) => Reply::error(
                FunctionError::Internal("output is not a JSON object".into()),
                status::INTERNAL,
            ),
            Err(e) => Reply::error(FunctionError::Internal(e.to_string()), status::INTERNAL),
        }
    }

    pub fn error(error: FunctionError, own: &'static str) -> Reply {
        Reply {
            status: error.http_status(),
            body: error.into_envelope(own),
        }
    }

    pub fn is_success(&self) -> bool {
        self.status == 200
    }
}
