//! One call of a function: its JSON body and the context that travels with every call.
//!
//! The context ([`CallMeta`]) is what a caller hands on to the functions it calls: the trace id
//! that ties the call tree together in logs, the deadline of the whole request, and the end
//! user's login token. Adapters build it from the incoming request; the [`Invoker`] carries it
//! to callees (as headers over HTTP), so that signed internal calls can be added without
//! touching a function.
//!
//! [`Invoker`]: crate::Invoker

use std::any::Any;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct CallMeta {
    /// Correlates every call made on behalf of one client request.
    pub trace_id: Arc<str>,
    /// When the whole request must be answered; callees inherit it.
    pub deadline: Option<Instant>,
    /// The end user's login token, as presented to the first function.
    pub auth_token: Option<Arc<str>>,
}

impl CallMeta {
    pub fn new(trace_id: impl Into<Arc<str>>) -> Self {
        CallMeta {
            trace_id: trace_id.into(),
            ..CallMeta::default()
        }
    }

    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }
}

/// A request to a function.
#[derive(Debug)]
pub struct Invocation {
    pub body: Value,
    pub meta: CallMeta,
    /// Set for a call within one process: the input as a value of the function's input type,
    /// and where its output goes, so that neither is turned into JSON and back.
    pub typed: Option<TypedCall>,
}

impl Invocation {
    pub fn new(body: Value, meta: CallMeta) -> Self {
        Invocation {
            body,
            meta,
            typed: None,
        }
    }
}

/// The typed half of an in-process [`Invocation`].
pub struct TypedCall {
    pub input: Box<dyn Any + Send>,
    /// Receives the output on success (the reply's body is then `null`).
    pub output: Arc<Mutex<Option<Box<dyn Any + Send>>>>,
}

impl std::fmt::Debug for TypedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedCall")
    }
}
