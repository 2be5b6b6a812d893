//! How a function calls another: the [`Invoker`] trait, and its in-process implementation.
//!
//! Remote implementations (the OpenFaaS gateway, the AWS Lambda Invoke API) live with their
//! adapters; a function only ever sees `dyn Invoker`.

use std::sync::{Arc, OnceLock, Weak};

use futures::future::BoxFuture;
use serde_json::Value;
use tower::ServiceExt;

use crate::envelope::Reply;
use crate::invocation::{CallMeta, Invocation};
use crate::registry::RegistryInner;

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

/// Calls a function by name.
pub trait Invoker: Send + Sync + 'static {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        body: Value,
        meta: &'a CallMeta,
    ) -> BoxFuture<'a, Result<Reply, InvokeError>>;
}

/// Calls functions of the same process through the registry, without serialising to bytes.
///
/// It holds the registry weakly: the registry's functions hold this invoker, and a strong
/// reference back would keep the stores (and the embedded database's file lock) alive forever.
#[derive(Clone, Default)]
pub struct LocalInvoker {
    registry: Arc<OnceLock<Weak<RegistryInner>>>,
}

impl LocalInvoker {
    pub fn new() -> Self {
        LocalInvoker::default()
    }

    pub(crate) fn bind(&self, registry: Weak<RegistryInner>) {
        let _ = self.registry.set(registry);
    }

    /// Whether `function` is served by this process.
    pub fn hosts(&self, function: &str) -> bool {
        self.registry
            .get()
            .and_then(Weak::upgrade)
            .is_some_and(|r| r.services.contains_key(function))
    }
}

impl Invoker for LocalInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        body: Value,
        meta: &'a CallMeta,
    ) -> BoxFuture<'a, Result<Reply, InvokeError>> {
        Box::pin(async move {
            let registry = self
                .registry
                .get()
                .and_then(Weak::upgrade)
                .ok_or_else(|| InvokeError::Transport("registry is shut down".into()))?;
            let service = registry
                .services
                .get(function)
                .ok_or_else(|| InvokeError::UnknownFunction(function.to_owned()))?
                .clone();
            let reply = service
                .oneshot(Invocation::new(body, meta.clone()))
                .await
                .unwrap_or_else(|never| match never {});
            Ok(reply)
        })
    }
}

/// Sends calls to functions of this process in-process and every other call to `remote`:
/// function fusion, chosen by which functions a process hosts.
pub struct FusedInvoker {
    local: LocalInvoker,
    remote: Arc<dyn Invoker>,
}

impl FusedInvoker {
    pub fn new(local: LocalInvoker, remote: Arc<dyn Invoker>) -> Self {
        FusedInvoker { local, remote }
    }
}

impl Invoker for FusedInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        body: Value,
        meta: &'a CallMeta,
    ) -> BoxFuture<'a, Result<Reply, InvokeError>> {
        if self.local.hosts(function) {
            self.local.invoke(function, body, meta)
        } else {
            self.remote.invoke(function, body, meta)
        }
    }
}
