//! The AWS Lambda [`Invoker`]: the Invoke API (RequestResponse) through aws-sdk-lambda.
//!
//! The callee is a `lambda_http` bootstrap, so the payload is an API Gateway HTTP API (v2)
//! event around the JSON body, with the call's context as headers, and the reply is an API
//! Gateway response object. The endpoint follows the SDK's own settings
//! (`AWS_ENDPOINT_URL_LAMBDA`), so locally it can be `cargo lambda watch`'s Invoke API.
//! Retries are off: a function error is an answer, not a transient failure, and the local
//! emulator reports it as a 500 that the SDK would otherwise retry three times.
//! A reply over [`REPLY_LIMIT`] bytes is a transport failure: an interceptor bounds the
//! response body before the SDK reads it, so the SDK stops reading there instead of holding
//! a runaway reply whole.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_lambda::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_lambda::error::BoxError;
use aws_sdk_lambda::primitives::{Blob, SdkBody};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::{CallMeta, InvokeError, Invoked, Invoker, Reply, status};
pub use deathstar_http::client::REPLY_LIMIT;
use http_body_util::{LengthLimitError, Limited};
use serde_json::{Value, json};

pub struct LambdaInvoker {
    client: Client,
    /// Signs every call's proof ([`deathstar_http::context::stamp`]): the deployment's secret.
    key: AuthKey,
    /// Physical function name = prefix + catalogue name (e.g. the SAM stack's name + `-`).
    prefix: String,
    /// Largest reply read, in bytes.
    reply_limit: usize,
}

/// Bounds every response body of the client to `.0` bytes: reading past them fails with a
/// [`LengthLimitError`] at the chunk that crosses the limit.
#[derive(Debug)]
struct ReplyLimit(usize);

impl Intercept for ReplyLimit {
    fn name(&self) -> &'static str {
        "ReplyLimit"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response_mut().body_mut();
        let unbounded = std::mem::replace(body, SdkBody::taken());
        *body = SdkBody::from_body_1_x(Limited::new(unbounded, self.0));
        Ok(())
    }
}

/// Whether `error` or one of its sources is the [`ReplyLimit`]'s.
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

impl LambdaInvoker {
    /// From the standard AWS configuration (region, credentials, endpoint) and `DS_LAMBDA_PREFIX`.
    /// Its calls are signed with `key`, the deployment's secret.
    pub async fn from_env(timeout: Duration, key: AuthKey) -> Self {
        Self::load(aws_config::from_env(), timeout, REPLY_LIMIT, key).await
    }

    /// Against a local Invoke API at `endpoint` (`cargo lambda watch`'s), which checks no
    /// signature: any region and credentials do.
    pub async fn local(endpoint: &str, timeout: Duration, key: AuthKey) -> Self {
        Self::local_with_reply_limit(endpoint, timeout, REPLY_LIMIT, key).await
    }

    /// [`LambdaInvoker::local`], refusing replies over `reply_limit` bytes.
    pub async fn local_with_reply_limit(
        endpoint: &str,
        timeout: Duration,
        reply_limit: usize,
        key: AuthKey,
    ) -> Self {
        let loader = aws_config::from_env()
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "local", "local", None, None, "local",
            ));
        Self::load(loader, timeout, reply_limit, key).await
    }

    async fn load(
        loader: aws_config::ConfigLoader,
        timeout: Duration,
        reply_limit: usize,
        key: AuthKey,
    ) -> Self {
        let config = loader
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(timeout)
                    .connect_timeout(Duration::from_secs(3))
                    .build(),
            )
            .load()
            .await;
        let config = aws_sdk_lambda::config::Builder::from(&config)
            .interceptor(ReplyLimit(reply_limit))
            .build();
        LambdaInvoker {
            client: Client::from_conf(config),
            key,
            prefix: std::env::var("DS_LAMBDA_PREFIX").unwrap_or_default(),
            reply_limit,
        }
    }
}

/// An API Gateway HTTP API (v2) event carrying `body` to `function`, its proof signed with `key`.
pub fn http_event(function: &str, body: &Value, meta: &CallMeta, key: &AuthKey) -> Value {
    // The bytes sent are the bytes signed.
    let body = body.to_string();
    let mut headers = serde_json::Map::new();
    headers.insert("content-type".into(), "application/json".into());
    for (name, value) in deathstar_http::context::stamp(meta, function, body.as_bytes(), key) {
        headers.insert(name.into(), value.into());
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": format!("/function/{function}"),
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "routeKey": "$default",
            "stage": "$default",
            "requestId": meta.trace_id().to_string(),
            "http": {
                "method": "POST",
                "path": format!("/function/{function}"),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "deathstar-lambda-invoker",
            },
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

/// The function's reply from an API Gateway response object.
pub fn reply_of(function: &str, response: &Value) -> Result<Reply, InvokeError> {
    let status = response["statusCode"].as_u64().ok_or_else(|| {
        InvokeError::Transport(format!("{function}: not an HTTP response: {response}"))
    })?;
    let text = response["body"].as_str().unwrap_or_default();
    let body = serde_json::from_str(text)
        .map_err(|e| InvokeError::Transport(format!("{function}: reply is not JSON: {e}")))?;
    Ok(Reply {
        status: status as u16,
        body,
    })
}

/// A function that crashed instead of answering (Lambda's `{errorType, errorMessage}`).
fn crashed(function: &str, payload: &[u8]) -> Reply {
    let error: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let message = error["errorMessage"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
    Reply::failure(
        502,
        status::FUNCTION_CRASHED,
        format!("{function}: {message}"),
    )
}

impl Invoker for LambdaInvoker {
    fn transport(&self) -> &'static str {
        "lambda"
    }

    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a> {
        Box::pin(async move {
            if meta
                .deadline
                .is_some_and(|at| at <= tokio::time::Instant::now())
            {
                return Err(InvokeError::DeadlineExceeded);
            }
            let event = http_event(function, &body, meta, &self.key);
            let result = self
                .client
                .invoke()
                .function_name(format!("{}{function}", self.prefix))
                .payload(Blob::new(event.to_string()))
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error) => {
                    // cargo lambda watch answers a crashed handler with a 500 carrying
                    // Lambda's error payload; real Lambda uses 200 + FunctionError (below).
                    if let Some(raw) = error.raw_response()
                        && raw.status().as_u16() == 500
                        && let Some(bytes) = raw.body().bytes()
                    {
                        return Ok(crashed(function, bytes));
                    }
                    if over_limit(&error) {
                        return Err(InvokeError::Transport(format!(
                            "{function}: the reply is larger than {} bytes",
                            self.reply_limit
                        )));
                    }
                    let detail = aws_sdk_lambda::error::DisplayErrorContext(&error);
                    return Err(InvokeError::Transport(format!("{function}: {detail}")));
                }
            };
            let payload = output.payload().map(Blob::as_ref).unwrap_or_default();
            if output.function_error().is_some() {
                return Ok(crashed(function, payload));
            }
            let response: Value = serde_json::from_slice(payload)
                .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
            reply_of(function, &response)
        })
    }
}
