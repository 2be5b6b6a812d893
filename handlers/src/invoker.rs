//! How a function calls another: the [`Invoker`] trait, and its in-process implementation.
//!
//! Remote implementations (the OpenFaaS gateway, the AWS Lambda Invoke API) live with their
//! adapters; a function only ever sees `dyn Invoker`.

use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use futures::future::BoxFuture;
use serde_json::Value;
use tower::ServiceExt;

use crate::envelope::Reply;
use crate::invocation::{CallMeta, Invocation, TypedCall};
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

/// What a typed in-process call gives back: the output on success, else the error reply.
pub type TypedReply = Result<Box<dyn Any + Send>, Reply>;

/// Calls a function by name.
pub trait Invoker: Send + Sync + 'static {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        body: Value,
        meta: &'a CallMeta,
    ) -> BoxFuture<'a, Result<Reply, InvokeError>>;

    /// Calls `function` with a value of its input type, if it runs in this process; `Err`
    /// hands the input back, meaning "not here": the caller goes through [`Invoker::invoke`]
    /// with JSON instead.
    fn invoke_typed<'a>(
        &'a self,
        _function: &'a str,
        input: Box<dyn Any + Send>,
        _meta: &'a CallMeta,
    ) -> Result<BoxFuture<'a, TypedReply>, Box<dyn Any + Send>> {
        Err(input)
    }
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

impl LocalInvoker {
    fn service(&self, function: &str) -> Result<crate::registry::BoxedFunction, InvokeError> {
        let registry = self
            .registry
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| InvokeError::Transport("registry is shut down".into()))?;
        registry
            .services
            .get(function)
            .cloned()
            .ok_or_else(|| InvokeError::UnknownFunction(function.to_owned()))
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
            let reply = self
                .service(function)?
                .oneshot(Invocation::new(body, meta.clone()))
                .await
                .unwrap_or_else(|never| match never {});
            Ok(reply)
        })
    }

    fn invoke_typed<'a>(
        &'a self,
        function: &'a str,
        input: Box<dyn Any + Send>,
        meta: &'a CallMeta,
    ) -> Result<BoxFuture<'a, TypedReply>, Box<dyn Any + Send>> {
        let Ok(service) = self.service(function) else {
            return Err(input);
        };
        Ok(Box::pin(async move {
            let output = Arc::new(Mutex::new(None));
            let invocation = Invocation {
                body: Value::Null,
                meta: meta.clone(),
                typed: Some(TypedCall {
                    input,
                    output: output.clone(),
                }),
            };
            let reply = service
                .oneshot(invocation)
                .await
                .unwrap_or_else(|never| match never {});
            let typed = output.lock().map(|mut slot| slot.take()).ok().flatten();
            typed.ok_or(reply)
        }))
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

    fn invoke_typed<'a>(
        &'a self,
        function: &'a str,
        input: Box<dyn Any + Send>,
        meta: &'a CallMeta,
    ) -> Result<BoxFuture<'a, TypedReply>, Box<dyn Any + Send>> {
        self.local.invoke_typed(function, input, meta)
    }
}
