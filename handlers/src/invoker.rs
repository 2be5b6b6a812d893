//! How a call leaves a process: the [`Invoker`] trait.
//!
//! The [`Registry`](crate::Registry) is the invoker every function sees: it runs the functions
//! it hosts and hands every other call to a remote invoker. The remote implementations (the
//! OpenFaaS gateway, the AWS Lambda Invoke API) live with their adapters.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::envelope::{Reply, WireReply};
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

/// What an invocation with bytes gives ([`Invoker::invoke_wire`]): the callee's reply as
/// bytes, or why there was none.
pub type InvokedWire<'a> = BoxFuture<'a, Result<WireReply, InvokeError>>;

/// Calls a function by name, with a JSON body and the call's context.
pub trait Invoker: Send + Sync + 'static {
    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a>;

    /// [`Invoker::invoke`] with the body already serialised, answering the reply's bytes: a
    /// transport that carries bytes anyway (HTTP) skips the JSON trees both ways, and the
    /// caller decodes the reply straight into its type. The reply's body is the callee's
    /// envelope as JSON, except that a success's is passed on unchecked (its caller's decode
    /// checks it). By default through [`Invoker::invoke`].
    fn invoke_wire<'a>(
        &'a self,
        function: &'a str,
        body: Vec<u8>,
        meta: &'a CallMeta,
    ) -> InvokedWire<'a> {
        Box::pin(async move {
            let body = serde_json::from_slice(&body)
                .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
            Ok(WireReply::from(self.invoke(function, body, meta).await?))
        })
    }

    /// How its calls travel, for metrics (`gateway`, `lambda`).
    fn transport(&self) -> &'static str {
        "remote"
    }
}
