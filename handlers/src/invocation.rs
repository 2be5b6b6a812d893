//! One call of a function: its JSON body and the context that travels with every call.
//!
//! The context ([`CallMeta`]) is the one value a call carries besides its input: where it is in
//! its trace, the deadline of the whole request, who it acts for, and the credentials that
//! prove it. An edge reads it from the incoming request once (`deathstar_http::context`); every
//! invoker stamps it on the calls it makes once (as headers over HTTP and in Lambda events, by
//! value in-process). A function reads it from its [`Ctx`](crate::Ctx); nothing else does.

use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use crate::trace::TraceContext;

#[derive(Debug, Clone, Default)]
pub struct CallMeta {
    /// The call's trace and span (W3C Trace Context): ties every call made on behalf of one
    /// client request together.
    pub trace: TraceContext,
    /// When the whole request must be answered; callees inherit it.
    pub deadline: Option<Instant>,
    /// Who made the call: a client, or a function of this deployment.
    pub caller: Caller,
    /// Who the call acts for, as the edge found it.
    pub identity: Identity,
    /// The end user's login token as presented to the first function, handed on so that an
    /// edge in another process verifies it itself.
    pub auth_token: Option<Arc<str>>,
    /// The address the request came from, as the edge knows it (login throttling).
    pub client: Option<std::net::IpAddr>,
}

/// Who made a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Caller {
    /// Someone outside the deployment (a browser, curl, a load generator), or nobody proven.
    #[default]
    Client,
    /// A function of this deployment: in-process, or over the network with a valid proof
    /// ([`crate::proof`]).
    Function,
    /// A call proof came and was refused: why.
    BadProof(crate::proof::ProofError),
}

/// Who a call acts for.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Identity {
    /// No login token came with the request.
    #[default]
    Anonymous,
    /// A login token this deployment signed, unexpired.
    User(Principal),
    /// A login token came and was refused (forged, expired, malformed): why.
    Refused(String),
}

/// A user proven by a login token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: crate::UserId,
    pub username: String,
}

impl CallMeta {
    /// The context of a call that starts a trace, acting for nobody, with no deadline.
    pub fn root() -> Self {
        CallMeta::default()
    }

    /// The same context, for a call made by a function of this deployment.
    pub fn from_function(self) -> Self {
        CallMeta {
            caller: Caller::Function,
            ..self
        }
    }

    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }

    /// The trace id, for log lines.
    pub fn trace_id(&self) -> crate::trace::TraceId {
        self.trace.trace_id
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
