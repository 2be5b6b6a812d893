//! One call of a function: its JSON body and the context that travels with every call.
//!
//! The context ([`CallMeta`]) is what a caller hands on to the functions it calls: the trace id
//! that ties the call tree together in logs, the deadline of the whole request, and the end
//! user's login token. Adapters build it from the incoming request; the [`Invoker`] carries it
//! to callees (as headers over HTTP), so that signed internal calls can be added without
//! touching a function.
//!
//! [`Invoker`]: crate::Invoker

use std::sync::Arc;

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

/// A call of a function by name from outside it: its JSON body and its context.
#[derive(Debug)]
pub struct Invocation {
    pub body: Value,
    pub meta: CallMeta,
}

impl Invocation {
    pub fn new(body: Value, meta: CallMeta) -> Self {
        Invocation { body, meta }
    }
}
