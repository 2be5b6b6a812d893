//! The OpenFaaS gateway [`Invoker`]: calls `<gateway>/function/<name>` over HTTP (reqwest,
//! pooled connections), or a per-function URL for direct in-cluster calls, carrying the call's
//! context in headers (see [`crate::context::stamp`]). A reply larger than [`REPLY_LIMIT`] is a
//! transport failure, found while reading it chunk by chunk: a callee gone wrong cannot make its
//! caller hold an unbounded body in memory.

use std::time::Duration;

use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::{CallMeta, InvokeError, Invoked, Invoker, Reply, status};
use serde_json::Value;

/// Where a function lives.
#[derive(Debug, Clone)]
pub enum FunctionUrls {
    /// `<gateway>/function/<name>` (OpenFaaS's gateway, e.g. `http://gateway.openfaas:8080`).
    Gateway(String),
    /// A template where `{name}` is replaced, e.g. `http://{name}.openfaas-fn:8080`.
    Template(String),
}

impl FunctionUrls {
    pub fn url(&self, function: &str) -> String {
        match self {
            FunctionUrls::Gateway(base) => {
                format!("{}/function/{function}", base.trim_end_matches('/'))
            }
            FunctionUrls::Template(template) => template.replace("{name}", function),
        }
    }
}

/// Largest callee reply an invoker reads, by default: twice the request body limit, so the
/// largest reply of any function (a media file of 8 MiB as a base64 data URL, ~11 MiB) fits.
pub const REPLY_LIMIT: usize = 32 * 1024 * 1024;

pub struct GatewayInvoker {
    client: reqwest::Client,
    /// Signs every call's proof ([`crate::context::stamp`]): the deployment's secret.
    key: AuthKey,
    urls: FunctionUrls,
    /// Longest any one call may take, whatever the deadline says.
    timeout: Duration,
    /// Largest reply read, in bytes.
    reply_limit: usize,
}

impl GatewayInvoker {
    /// Calls the functions at `urls` as a function of the deployment whose secret is `key`.
    pub fn new(urls: FunctionUrls, timeout: Duration, key: AuthKey) -> Self {
        let client = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .expect("a TLS-less reqwest client builds");
        GatewayInvoker {
            client,
            key,
            urls,
            timeout,
            reply_limit: REPLY_LIMIT,
        }
    }

    /// The same invoker, refusing replies over `limit` bytes.
    pub fn with_reply_limit(self, limit: usize) -> Self {
        GatewayInvoker {
            reply_limit: limit,
            ..self
        }
    }
}

/// The body of `response` from `function`, read chunk by chunk; a transport failure as soon as
/// it is known to be over `limit` bytes (from its `Content-Length`, or once that many arrived).
async fn read_limited(
    function: &str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, InvokeError> {
    let too_large = || {
        InvokeError::Transport(format!(
            "{function}: the reply is larger than {limit} bytes"
        ))
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| failed(function, e))?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
}

/// Why a call to `function` got no reply: its deadline, or the transport.
fn failed(function: &str, error: reqwest::Error) -> InvokeError {
    if error.is_timeout() {
        InvokeError::DeadlineExceeded
    } else {
        InvokeError::Transport(format!("{function}: {error}"))
    }
}

impl Invoker for GatewayInvoker {
    fn transport(&self) -> &'static str {
        "gateway"
    }

    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a> {
        Box::pin(async move {
            let timeout = match meta.deadline {
                Some(at) => at
                    .checked_duration_since(tokio::time::Instant::now())
                    .ok_or(InvokeError::DeadlineExceeded)?
                    .min(self.timeout),
                None => self.timeout,
            };
            // The bytes sent are the bytes signed.
            let body = serde_json::to_vec(&body)
                .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
            let headers = crate::context::stamp(meta, function, &body, &self.key);
            let mut request = self
                .client
                .post(self.urls.url(function))
                .timeout(timeout)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| failed(function, e))?;
            let status = response.status().as_u16();
            let bytes = read_limited(function, response, self.reply_limit).await?;
            // The gateway itself answers in plain text (a 502 on a function timeout, say):
            // keep its words in the envelope.
            Ok(match serde_json::from_slice(&bytes) {
                Ok(body) => Reply { status, body },
                Err(_) => {
                    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
                    Reply::failure(status, status::GATEWAY, text)
                }
            })
        })
    }
}
