//! The registry: the functions a process hosts, by name, and the invoker every call goes
//! through.
//!
//! A call to a function the registry hosts runs here, in-process (typed values for a call
//! from a function, [`crate::function`]; JSON or bytes for a call from an edge); a call to any
//! other function goes to the registry's remote invoker (the OpenFaaS gateway, the Lambda
//! Invoke API), if it has one. So the registry *is* the invoker of the functions it hosts: a
//! function's [`Ctx`](crate::Ctx) is made per call from the registry, and nothing the registry
//! holds points back at it.
//!
//! This module knows functions only through [`HostedFunction`], their one type-erased face;
//! [`crate::function`] implements it for every [`Function`](crate::Function), and
//! [`crate::catalogue`] builds registries from the catalogue.

use std::any::Any;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::access::AuthMode;
use crate::auth::AuthKey;
use crate::envelope::{Reply, WireReply};
use crate::invocation::{CallMeta, Invocation};
use crate::invoker::{InvokeError, Invoked, InvokedWire, Invoker};
use crate::password::PasswordPolicy;
use crate::store::Stores;
use crate::throttle::LoginThrottle;

/// A function as the registry holds it: the three ways in, type-erased.
pub trait HostedFunction: Send + Sync + 'static {
    /// The function's own type (`Hosted<F>`), for typed in-process calls to downcast to.
    fn as_any(&self) -> &dyn Any;
    /// Called with a JSON tree, answering one; `registry` is the one hosting it.
    fn call_json<'a>(
        &'a self,
        registry: &'a Registry,
        meta: CallMeta,
        body: Value,
    ) -> BoxFuture<'a, Reply>;
    /// Called with the request's bytes, answering the envelope's bytes: the HTTP edges' way in.
    fn call_wire<'a>(
        &'a self,
        registry: &'a Registry,
        meta: CallMeta,
        body: &'a [u8],
    ) -> BoxFuture<'a, WireReply>;
}

#[derive(Clone)]
struct Inner {
    functions: HashMap<&'static str, Arc<dyn HostedFunction>>,
    stores: Stores,
    auth: AuthKey,
    auth_mode: AuthMode,
    passwords: PasswordPolicy,
    login_throttle: LoginThrottle,
    /// Where calls to functions not hosted here go; `None`: nowhere (they fail).
    remote: Option<Arc<dyn Invoker>>,
}

/// The functions of one process and what they share. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl Registry {
    /// A registry of `functions` on `stores`, signing with `auth`, sending calls to any other
    /// function to `remote`. [`crate::catalogue`] is the usual way to build one.
    pub fn from_functions(
        functions: HashMap<&'static str, Arc<dyn HostedFunction>>,
        stores: Stores,
        auth: AuthKey,
        remote: Option<Arc<dyn Invoker>>,
    ) -> Registry {
        Registry {
            inner: Arc::new(Inner {
                functions,
                stores,
                auth,
                auth_mode: AuthMode::default(),
                passwords: PasswordPolicy::default(),
                login_throttle: LoginThrottle::default(),
                remote,
            }),
        }
    }

    /// The same functions and stores, checking callers as `mode` says ([`crate::access`]).
    pub fn with_auth_mode(self, mode: AuthMode) -> Registry {
        self.with(|inner| inner.auth_mode = mode)
    }

    pub fn auth_mode(&self) -> AuthMode {
        self.inner.auth_mode
    }

    /// The same functions and stores, hashing new passwords as `policy` says.
    pub fn with_passwords(self, policy: PasswordPolicy) -> Registry {
        self.with(|inner| inner.passwords = policy)
    }

    /// A registry like this one with `change` made: for settings chosen once at start-up.
    fn with(self, change: impl FnOnce(&mut Inner)) -> Registry {
        let mut inner = (*self.inner).clone();
        change(&mut inner);
        Registry {
            inner: Arc::new(inner),
        }
    }

    pub fn passwords(&self) -> &PasswordPolicy {
        &self.inner.passwords
    }

    /// This process's failed-login counts.
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.inner.login_throttle
    }

    pub fn stores(&self) -> &Stores {
        &self.inner.stores
    }

    pub fn auth(&self) -> &AuthKey {
        &self.inner.auth
    }

    /// The invoker of the functions not hosted here, if any.
    pub fn remote(&self) -> Option<&Arc<dyn Invoker>> {
        self.inner.remote.as_ref()
    }

    /// The names of the functions this registry hosts, sorted.
    pub fn hosted(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.inner.functions.keys().copied().collect();
        names.sort_unstable();
        names
    }

    pub fn contains(&self, name: &str) -> bool {
        self.inner.functions.contains_key(name)
    }

    pub(crate) fn function(&self, name: &str) -> Option<&Arc<dyn HostedFunction>> {
        self.inner.functions.get(name)
    }

    /// Calls `name`, hosted here, with the bytes of a request body; `None` if it is not hosted.
    pub fn call_wire<'a>(
        &'a self,
        name: &str,
        body: &'a [u8],
        meta: CallMeta,
    ) -> Option<BoxFuture<'a, WireReply>> {
        let function = self.function(name)?;
        Some(function.call_wire(self, meta, body))
    }

    /// `name` as a `tower::Service` from an [`Invocation`] to a [`Reply`], if hosted here.
    pub fn get(&self, name: &str) -> Option<FunctionService> {
        let function = self.function(name)?.clone();
        Some(FunctionService {
            registry: self.clone(),
            function,
        })
    }
}

/// JSON calls by name: hosted functions run here, the others go to the remote invoker.
impl Invoker for Registry {
    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a> {
        if let Some(hosted) = self.function(function) {
            let call = hosted.call_json(self, meta.clone(), body);
            return Box::pin(async move { Ok(call.await) });
        }
        match &self.inner.remote {
            Some(remote) => remote.invoke(function, body, meta),
            None => Box::pin(async move { Err(InvokeError::UnknownFunction(function.to_owned())) }),
        }
    }

    fn invoke_wire<'a>(
        &'a self,
        function: &'a str,
        body: Vec<u8>,
        meta: &'a CallMeta,
    ) -> InvokedWire<'a> {
        if let Some(hosted) = self.function(function) {
            return Box::pin(async move { Ok(hosted.call_wire(self, meta.clone(), &body).await) });
        }
        match &self.inner.remote {
            Some(remote) => remote.invoke_wire(function, body, meta),
            None => Box::pin(async move { Err(InvokeError::UnknownFunction(function.to_owned())) }),
        }
    }
}

/// One hosted function as a `tower::Service`: what a platform-free caller (a test, a bench, a
/// tower stack) holds. It holds the registry only while it lives.
#[derive(Clone)]
pub struct FunctionService {
    registry: Registry,
    function: Arc<dyn HostedFunction>,
}

impl tower::Service<Invocation> for FunctionService {
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let FunctionService { registry, function } = self.clone();
        Box::pin(async move {
            let reply = function
                .call_json(&registry, invocation.meta, invocation.body)
                .await;
            Ok(reply)
        })
    }
}
