//! The shape every function has, and the plumbing written once for all of them.
//!
//! A function is a type implementing [`Function`]: its name, its `<Own>Error` status, typed
//! input and output, and one async body that sees a [`Ctx`]. [`FunctionService`] wraps it as a
//! `tower::Service<Invocation>`: it decodes the JSON body into the input (mapping serde's
//! complaints to `MissingFieldError` / `InvalidFieldError`), enforces the deadline, and turns
//! the result into the envelope. Functions never build envelopes or parse JSON by hand.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::AuthKey;
use crate::envelope::{Reply, WireReply};
use crate::error::{CalleeFailure, FunctionError};
use crate::invocation::{CallMeta, Invocation};
use crate::invoker::{InvokeError, Invoker};
use crate::status;
use crate::store::Stores;

/// One function of the catalogue.
pub trait Function: Default + Send + Sync + 'static {
    /// The name it is deployed and invoked under (`/function/<NAME>`).
    const NAME: &'static str;
    /// Envelope status when this function fails for a reason that is not the client's input.
    const ERROR: &'static str;
    /// Whether clients call it directly (an HTTP route in front of it on AWS, the web UI's
    /// calls); the others are only called by functions.
    const PUBLIC: bool = false;
    /// Its JSON Schema is the operation's request body in the OpenAPI document ([`crate::openapi`]).
    type Input: DeserializeOwned + Serialize + schemars::JsonSchema + Send + 'static;
    type Output: Serialize + DeserializeOwned + schemars::JsonSchema + Send + 'static;

    fn call(
        &self,
        ctx: &Ctx,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, FunctionError>> + Send;
}

/// What every function of a process shares: its stores, the invoker, the signing key.
pub struct Env {
    pub stores: Stores,
    pub invoker: Arc<dyn Invoker>,
    pub auth: AuthKey,
}

/// What one invocation of a function sees.
pub struct Ctx {
    env: Arc<Env>,
    pub meta: CallMeta,
}

impl Ctx {
    pub fn new(env: Arc<Env>, meta: CallMeta) -> Self {
        Ctx { env, meta }
    }

    pub fn stores(&self) -> &Stores {
        &self.env.stores
    }

    pub fn auth(&self) -> &AuthKey {
        &self.env.auth
    }

    /// Calls function `F` through the invoker, passing this call's context on.
    pub async fn call<F: Function>(&self, input: F::Input) -> Result<F::Output, CalleeFailure> {
        invoke_function::<F>(&*self.env.invoker, &self.meta, input).await
    }
}

/// Calls function `F` through `invoker` with the context `meta`. Within one process the input
/// and output stay typed values; across processes they travel as JSON. Functions call this
/// through [`Ctx::call`]; adapters' own routes (DeathStarBench's API) call it directly.
pub async fn invoke_function<F: Function>(
    invoker: &dyn Invoker,
    meta: &CallMeta,
    input: F::Input,
) -> Result<F::Output, CalleeFailure> {
    let input = match invoker.invoke_typed(F::NAME, Box::new(input), meta) {
        Ok(call) => {
            return match call.await {
                Ok(output) => output.downcast::<F::Output>().map(|o| *o).map_err(|_| {
                    CalleeFailure::transport(F::NAME, "in-process reply of the wrong type")
                }),
                Err(reply) => Err(CalleeFailure {
                    callee: F::NAME.into(),
                    http_status: reply.status,
                    body: reply.body,
                }),
            };
        }
        // Not in this process: the input comes back, to travel as JSON.
        Err(input) => *input
            .downcast::<F::Input>()
            .map_err(|_| CalleeFailure::transport(F::NAME, "invoker returned another input"))?,
    };
    let body = serde_json::to_value(&input)
        .map_err(|e| CalleeFailure::transport(F::NAME, format!("cannot encode input: {e}")))?;
    let reply = invoker
        .invoke(F::NAME, body, meta)
        .await
        .map_err(|e| match e {
            InvokeError::DeadlineExceeded => CalleeFailure {
                callee: F::NAME.into(),
                http_status: 504,
                body: FunctionError::DeadlineExceeded.into_envelope(status::TIMEOUT),
            },
            e => CalleeFailure::transport(F::NAME, e.to_string()),
        })?;
    if !reply.is_success() {
        return Err(CalleeFailure {
            callee: F::NAME.into(),
            http_status: reply.status,
            body: reply.body,
        });
    }
    serde_json::from_value(reply.body)
        .map_err(|e| CalleeFailure::transport(F::NAME, format!("malformed reply: {e}")))
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

/// A [`Function`] as a `tower::Service` from an [`Invocation`] to a [`Reply`].
pub struct FunctionService<F> {
    function: Arc<F>,
    env: Arc<Env>,
}

impl<F> Clone for FunctionService<F> {
    fn clone(&self) -> Self {
        FunctionService {
            function: self.function.clone(),
            env: self.env.clone(),
        }
    }
}

impl<F: Function> FunctionService<F> {
    pub fn new(env: Arc<Env>) -> Self {
        FunctionService {
            function: Arc::new(F::default()),
            env,
        }
    }
}

impl<F: Function> FunctionService<F> {
    /// Decodes the input (`decode` runs inside the deadline), runs the function, enforces the
    /// deadline and logs server-side failures: what every way in shares.
    async fn run(
        &self,
        ctx: &Ctx,
        decode: impl FnOnce() -> Result<F::Input, FunctionError>,
    ) -> Result<F::Output, FunctionError> {
        let run = async {
            let input = decode()?;
            self.function.call(ctx, input).await
        };
        let result = match ctx.meta.deadline {
            // Expired before it started (queued too long, or a caller out of time): no
            // work is done. A body that never waits would otherwise outrun the timer.
            Some(at) if tokio::time::Instant::now() >= at => Err(FunctionError::DeadlineExceeded),
            Some(at) => tokio::time::timeout_at(at, run)
                .await
                .unwrap_or(Err(FunctionError::DeadlineExceeded)),
            None => run.await,
        };
        if let Err(error) = &result
            && error.http_status() >= 500
        {
            tracing::warn!(function = F::NAME, trace_id = %ctx.meta.trace_id, %error, "function failed");
        }
        result
    }

    /// The function called with a JSON body as bytes, answering the envelope as bytes: the
    /// HTTP adapters' way in. Same answers as the [`tower::Service`], without building a JSON
    /// tree on either side (a third of a timeline read's cost; docs/BENCHMARKS.md).
    pub fn call_wire(&self, body: &[u8], meta: CallMeta) -> BoxFuture<'static, WireReply> {
        let decoded = decode_input_bytes::<F::Input>(body);
        let service = self.clone();
        Box::pin(async move {
            let ctx = Ctx::new(service.env.clone(), meta);
            match service.run(&ctx, || decoded).await {
                Ok(output) => WireReply::success(&output),
                Err(error) => WireReply::from(Reply::error(error, F::ERROR)),
            }
        })
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

impl<F: Function> tower::Service<Invocation> for FunctionService<F> {
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let service = self.clone();
        Box::pin(async move {
            let ctx = Ctx::new(service.env.clone(), invocation.meta);
            let (typed_input, output_slot) = match invocation.typed {
                Some(typed) => (Some(typed.input), Some(typed.output)),
                None => (None, None),
            };
            let body = invocation.body;
            let decode = || match typed_input.map(|input| input.downcast::<F::Input>()) {
                Some(Ok(input)) => Ok(*input),
                Some(Err(_)) => Err(FunctionError::Internal(
                    "in-process input of the wrong type".into(),
                )),
                None => decode_input::<F::Input>(body),
            };
            Ok(match (service.run(&ctx, decode).await, output_slot) {
                (Ok(output), Some(slot)) => {
                    // The caller is in this process: hand the value over, skip the JSON.
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some(Box::new(output));
                    }
                    Reply {
                        status: 200,
                        body: Value::Null,
                    }
                }
                (Ok(output), None) => Reply::success(&output),
                (Err(error), _) => Reply::error(error, F::ERROR),
            })
        })
    }
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
