//! The shape every function has, and the plumbing written once for all of them.
//!
//! A function is a type implementing [`Function`]: its name, its `<Own>Error` status, typed
//! input and output, and one async body that sees a [`Ctx`]. The registry runs it
//! ([`crate::hosted`]): it decodes the JSON body into the input with [`decode_input`] or
//! [`decode_input_bytes`] (mapping serde's complaints to `MissingFieldError` /
//! `InvalidFieldError`), enforces the deadline, and turns the result into the envelope.
//! Functions never build envelopes or parse JSON by hand.

use std::any::Any;
use std::future::Future;

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::access::{self, Access, ActsFor};
use crate::auth::AuthKey;
use crate::envelope::{Reply, WireReply};
use crate::error::{CalleeFailure, FunctionError};
use crate::invocation::CallMeta;
use crate::invoker::{InvokeError, Invoker};
use crate::password::PasswordPolicy;
use crate::registry::{HostedFunction, Registry};
use crate::spans::{self, SpanKind};
use crate::status;
use crate::store::Stores;
use crate::throttle::LoginThrottle;

/// One function of the catalogue.
pub trait Function: Default + Send + Sync + 'static {
    /// The name it is deployed and invoked under (`/function/<NAME>`).
    const NAME: &'static str;
    /// Envelope status when this function fails for a reason that is not the client's input.
    const ERROR: &'static str;
    /// Who may call it ([`crate::access`]); by default only the deployment's functions.
    const ACCESS: Access = Access::Functions;
    /// Its JSON Schema is the operation's request body in the OpenAPI document ([`crate::openapi`]).
    type Input: DeserializeOwned + Serialize + schemars::JsonSchema + Send + 'static;
    type Output: Serialize + DeserializeOwned + schemars::JsonSchema + Send + 'static;

    /// The user `input` says the call acts for, checked against the caller's login token when
    /// [`Function::ACCESS`] is [`Access::User`]. By default nobody: any logged-in user.
    fn acts_for(_input: &Self::Input) -> ActsFor<'_> {
        ActsFor::NOBODY
    }

    fn call(
        &self,
        ctx: &Ctx,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, FunctionError>> + Send;
}

/// What one invocation of a function sees: the registry that runs it (its stores, its signing
/// key, and the way to every other function) and the call's context. Made per call, so nothing
/// the registry holds points back at it.
pub struct Ctx {
    registry: Registry,
    pub meta: CallMeta,
}

impl Ctx {
    pub(crate) fn new(registry: Registry, meta: CallMeta) -> Self {
        Ctx { registry, meta }
    }

    pub fn stores(&self) -> &Stores {
        self.registry.stores()
    }

    pub fn auth(&self) -> &AuthKey {
        self.registry.auth()
    }

    /// How this deployment hashes passwords.
    pub fn passwords(&self) -> &PasswordPolicy {
        self.registry.passwords()
    }

    /// This process's failed-login counts.
    pub fn login_throttle(&self) -> &LoginThrottle {
        self.registry.login_throttle()
    }

    /// Calls function `F` with this call's context: typed if this process hosts it, else as
    /// JSON through the registry's remote invoker.
    pub async fn call<F: Function>(&self, input: F::Input) -> Result<F::Output, CalleeFailure> {
        call::<F>(&self.registry, &self.meta, input).await
    }
}

/// Calls function `F` with the context `meta`: in-process and typed (no JSON either way) when
/// `registry` hosts it, else as JSON through the registry's remote invoker.
pub(crate) async fn call<F: Function>(
    registry: &Registry,
    meta: &CallMeta,
    input: F::Input,
) -> Result<F::Output, CalleeFailure> {
    let started = std::time::Instant::now();
    // The call is a span of its own, the parent of the callee's invocation.
    let meta = &CallMeta {
        trace: meta.trace.child(),
        ..meta.clone()
    };
    let span = spans::start(&meta.trace, SpanKind::Client, || {
        format!("call {}", F::NAME)
    });
    let (result, transport) = call_by::<F>(registry, meta, input).await;
    crate::metrics::metrics().call(F::NAME, transport, started.elapsed());
    if let Some(span) = span {
        let attributes = vec![
            ("faas.invoked_name", F::NAME.into()),
            ("deathstar.transport", transport.into()),
        ];
        let error = match &result {
            Err(failure) if failure.http_status >= 500 => {
                Some(format!("{} answered HTTP {}", F::NAME, failure.http_status))
            }
            _ => None,
        };
        span.finish(attributes, error);
    }
    result
}

/// [`call`], and how the call travelled: `in_process`, or the remote invoker's transport.
async fn call_by<F: Function>(
    registry: &Registry,
    meta: &CallMeta,
    input: F::Input,
) -> (Result<F::Output, CalleeFailure>, &'static str) {
    let hosted = registry
        .function(F::NAME)
        .and_then(|hosted| hosted.as_any().downcast_ref::<Hosted<F>>());
    if let Some(hosted) = hosted {
        let callee = CallMeta {
            trace: meta.trace.child(),
            ..meta.clone()
        };
        let ctx = Ctx::new(registry.clone(), callee.from_function());
        // Boxed: unboxed, every caller's future would hold its whole call tree's futures
        // (compose's is deeper than the compiler's type-layout limit).
        let run: BoxFuture<'_, _> = Box::pin(hosted.run(&ctx, || Ok(input)));
        let result = run
            .await
            .map_err(|error| CalleeFailure::of_reply(F::NAME, Reply::error(error, F::ERROR)));
        return (result, IN_PROCESS);
    }
    let transport = registry
        .remote()
        .map_or(IN_PROCESS, |remote| remote.transport());
    (remote_call::<F>(registry, meta, input).await, transport)
}

/// The `transport` label of a call that stays in its process.
const IN_PROCESS: &str = "in_process";

/// [`call`] through the registry's remote invoker, as JSON bytes both ways: the input
/// serialised straight from its type, a success's reply decoded straight into the output (no
/// JSON tree on either side); only a failure's envelope becomes a tree, for [`CalleeFailure`].
async fn remote_call<F: Function>(
    registry: &Registry,
    meta: &CallMeta,
    input: F::Input,
) -> Result<F::Output, CalleeFailure> {
    let body = serde_json::to_vec(&input)
        .map_err(|e| CalleeFailure::transport(F::NAME, format!("cannot encode input: {e}")))?;
    let reply = registry
        .invoke_wire(F::NAME, body, meta)
        .await
        .map_err(|e| match e {
            InvokeError::DeadlineExceeded => CalleeFailure::of_reply(
                F::NAME,
                Reply::error(FunctionError::DeadlineExceeded, status::TIMEOUT),
            ),
            InvokeError::Transport(detail) => {
                // The detail names internal hosts and ports: it goes to the log, and the caller
                // gets the trace id to find it there.
                let trace_id = meta.trace_id();
                tracing::warn!(callee = F::NAME, %trace_id, %detail, "callee unreachable");
                let message = format!(
                    "{} could not be reached (the log has the detail under trace id {trace_id})",
                    F::NAME
                );
                CalleeFailure::transport(F::NAME, message)
            }
            e => CalleeFailure::transport(F::NAME, e.to_string()),
        })?;
    let malformed =
        |e: serde_json::Error| CalleeFailure::transport(F::NAME, format!("malformed reply: {e}"));
    if reply.status != 200 {
        let body = serde_json::from_slice(&reply.body).map_err(malformed)?;
        let reply = Reply {
            status: reply.status,
            body,
        };
        return Err(CalleeFailure::of_reply(F::NAME, reply));
    }
    serde_json::from_slice(&reply.body).map_err(malformed)
}

impl Registry {
    /// Calls function `F` with the context `meta`, as a function calls another ([`Ctx::call`]):
    /// for the edges' own routes (DeathStarBench's API), tests and benches.
    pub async fn call<F: Function>(
        &self,
        meta: &CallMeta,
        input: F::Input,
    ) -> Result<F::Output, CalleeFailure> {
        call::<F>(self, meta, input).await
    }
}

/// Function `F` as the registry holds it ([`HostedFunction`]): the decoding, deadline and
/// logging every way in shares, written once.
pub(crate) struct Hosted<F>(pub(crate) F);

impl<F: Function> Hosted<F> {
    /// Decodes the input (`decode` runs inside the deadline), checks that the caller may make
    /// the call ([`crate::access`]), runs the function, enforces the deadline and logs
    /// server-side failures.
    async fn run(
        &self,
        ctx: &Ctx,
        decode: impl FnOnce() -> Result<F::Input, FunctionError>,
    ) -> Result<F::Output, FunctionError> {
        let started = std::time::Instant::now();
        let run = async {
            let mode = ctx.registry.auth_mode();
            access::admit::<F>(mode, &ctx.meta)?;
            let input = decode()?;
            access::acts_as_itself::<F>(mode, &ctx.meta, &input)?;
            self.0.call(ctx, input).await
        };
        let within_deadline = async {
            match ctx.meta.deadline {
                // Expired before it started (queued too long, or a caller out of time): no
                // work is done. A body that never waits would otherwise outrun the timer.
                Some(at) if tokio::time::Instant::now() >= at => {
                    Err(FunctionError::DeadlineExceeded)
                }
                Some(at) => tokio::time::timeout_at(at, run)
                    .await
                    .unwrap_or(Err(FunctionError::DeadlineExceeded)),
                None => run.await,
            }
        };
        let trace = ctx.meta.trace;
        let span = spans::start(&trace, SpanKind::Server, || F::NAME.to_owned());
        let result = match span {
            // The store operations it makes are spans of this invocation.
            Some(_) => spans::within(trace, within_deadline).await,
            None => within_deadline.await,
        };
        if let Err(error) = &result
            && error.http_status() >= 500
        {
            tracing::warn!(function = F::NAME, trace_id = %ctx.meta.trace_id(), %error, "function failed");
        }
        let code = result
            .as_ref()
            .map_or_else(FunctionError::http_status, |_| 200);
        crate::metrics::metrics().invocation(F::NAME, code, started.elapsed());
        if let Some(span) = span {
            let trigger = match ctx.meta.caller {
                crate::invocation::Caller::Function => "other",
                _ => "http",
            };
            let attributes = vec![
                ("faas.trigger", trigger.into()),
                ("http.response.status_code", i64::from(code).into()),
            ];
            let error = match &result {
                Err(error) if code >= 500 => Some(error.to_string()),
                _ => None,
            };
            span.finish(attributes, error);
        }
        result
    }
}

impl<F: Function> HostedFunction for Hosted<F> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn call_json<'a>(
        &'a self,
        registry: &'a Registry,
        meta: CallMeta,
        body: Value,
    ) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            let ctx = Ctx::new(registry.clone(), meta);
            match self.run(&ctx, || decode_input::<F::Input>(body)).await {
                Ok(output) => Reply::success(&output),
                Err(error) => Reply::error(error, F::ERROR),
            }
        })
    }

    /// Same answers as [`HostedFunction::call_json`], without building a JSON tree on either
    /// side (a third of a timeline read's cost; docs/BENCHMARKS.md).
    fn call_wire<'a>(
        &'a self,
        registry: &'a Registry,
        meta: CallMeta,
        body: &'a [u8],
    ) -> BoxFuture<'a, WireReply> {
        Box::pin(async move {
            let ctx = Ctx::new(registry.clone(), meta);
            match self
                .run(&ctx, || decode_input_bytes::<F::Input>(body))
                .await
            {
                Ok(output) => WireReply::success(&output),
                Err(error) => WireReply::from(Reply::error(error, F::ERROR)),
            }
        })
    }
}

/// Decodes a JSON body into a function's input, naming the offending field on failure.
pub fn decode_input<T: DeserializeOwned>(body: Value) -> Result<T, FunctionError> {
    if !body.is_object() {
        return Err(FunctionError::MalformedBody(
            "the body must be a JSON object".into(),
        ));
    }
    serde_path_to_error::deserialize(body)
        .map_err(|e| field_error(e.path().to_string(), &e.into_inner().to_string()))
}

/// The error for serde's complaint `message` about the field at `path`.
fn field_error(path: String, message: &str) -> FunctionError {
    // From bytes, serde_json adds where it was; the field path says it better.
    let message = match message.rsplit_once(" at line ") {
        Some((text, position)) if position.contains(" column ") => text,
        _ => message,
    };
    // serde reports a missing field at the path of its parent, naming it in backticks.
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return FunctionError::MissingField(field);
    }
    FunctionError::InvalidField {
        field: path,
        reason: message.to_owned(),
    }
}

/// [`decode_input`] from bytes, without the intermediate JSON tree: an empty body is `{}`;
/// anything but an object is refused; the same error kinds and field paths.
pub fn decode_input_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, FunctionError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let body: &[u8] = match start {
        None => b"{}",
        Some(i) if body[i] == b'{' => body,
        Some(_) => {
            // Valid JSON that is not an object, or no JSON at all: say which.
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                    Ok(_) => FunctionError::MalformedBody("the body must be a JSON object".into()),
                    Err(e) => not_json(&e),
                },
            );
        }
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        if e.inner().is_syntax() || e.inner().is_eof() {
            return not_json(e.inner());
        }
        field_error(e.path().to_string(), &e.into_inner().to_string())
    })?;
    deserializer.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

fn not_json(e: &serde_json::Error) -> FunctionError {
    FunctionError::MalformedBody(format!("the body is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Input {
        name: String,
        #[serde(default)]
        pages: Vec<Page>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Page {
        start: i64,
    }

    /// The bytes path answers as the JSON-tree path does, field paths and reasons alike.
    #[test]
    fn bytes_decode_as_the_json_tree_does() {
        let bodies = [
            r#"{"name": "a", "pages": [{"start": 1}]}"#,
            r#"{"name": "a", "extra": true}"#,
            "  ",
            r#"{"pages": []}"#,
            r#"{"name": 5}"#,
            r#"{"name": "a", "pages": [{"start": "x"}]}"#,
            r#"{"name": "a", "pages": [{}]}"#,
            "[1, 2]",
            "\"text\"",
        ];
        for body in bodies {
            let tree = serde_json::from_str::<Value>(body)
                .unwrap_or_else(|_| Value::Object(Default::default()));
            let from_tree = decode_input::<Input>(tree).map_err(|e| format!("{e:?}"));
            let from_bytes =
                decode_input_bytes::<Input>(body.as_bytes()).map_err(|e| format!("{e:?}"));
            assert_eq!(from_bytes, from_tree, "{body}");
        }
    }

    #[test]
    fn bytes_that_are_not_json_are_a_malformed_body() {
        for body in [
            "{",
            "{\"name\": \"a\"} trailing",
            "nope",
            "{\"name\": \"a\",}",
        ] {
            let error = decode_input_bytes::<Input>(body.as_bytes()).unwrap_err();
            assert!(
                matches!(&error, FunctionError::MalformedBody(m) if m.starts_with("the body is not valid JSON")),
                "{body}: {error:?}"
            );
        }
    }
}
