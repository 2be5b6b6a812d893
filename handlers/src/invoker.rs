//! How a call leaves a process: the [`Invoker`] trait.
//!
//! The [`Registry`](crate::Registry) is the invoker every function sees: it runs the functions
//! it hosts and hands every other call to a remote invoker. The remote implementations (the
//! OpenFaaS gateway, the AWS Lambda Invoke API) live with their adapters.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::envelope::Reply;
use crate::invocation::CallMeta;

/// Why an invocation produced no reply at all (a reply with an error status is not an
/// `InvokeError`: it is a [`Reply`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    #[error("no function named `{0}`")]
    UnknownFunction(String),
    #[error("transport failure: {0}")]
    Transport(String),
    #[error("deadline exceeded")]
    DeadlineExceeded,
}

/// What an invocation gives: the callee's reply, or why there was none.
pub type Invoked<'a> = BoxFuture<'a, Result<Reply, InvokeError>>;

/// Calls a function by name, with a JSON body and the call's context.
pub trait Invoker: Send + Sync + 'static {
    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a>;

    /// How its calls travel, for metrics (`gateway`, `lambda`).
    fn transport(&self) -> &'static str {
        "remote"
    }
}
