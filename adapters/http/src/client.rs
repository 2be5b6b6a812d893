//! The OpenFaaS gateway [`Invoker`]: calls `<gateway>/function/<name>` over HTTP (reqwest,
//! pooled connections), or a per-function URL for direct in-cluster calls, carrying the call's
//! context in headers (see [`crate::context::stamp`]). A reply larger than [`REPLY_LIMIT`] is a
//! transport failure, found while reading it chunk by chunk: a callee gone wrong cannot make its
//! caller hold an unbounded body in memory.

use std::time::Duration;

use deathstar_handlers::{CallMeta, InvokeError, Invoker, Reply};
use futures::future::BoxFuture;
use serde_json::{Value, json};

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
    urls: FunctionUrls,
    /// Longest any one call may take, whatever the deadline says.
    timeout: Duration,
    /// Largest reply read, in bytes.
    reply_limit: usize,
}

impl GatewayInvoker {
    pub fn new(urls: FunctionUrls, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .expect("a TLS-less reqwest client builds");
        GatewayInvoker {
            client,
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
        let chunk = response.chunk().await.map_err(|e| {
            if e.is_timeout() {
                InvokeError::DeadlineExceeded
            } else {
                InvokeError::Transport(format!("{function}: {e}"))
            }
        })?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
}

impl Invoker for GatewayInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        body: Value,
        meta: &'a CallMeta,
    ) -> BoxFuture<'a, Result<Reply, InvokeError>> {
        Box::pin(async move {
            let timeout = match meta.deadline {
                Some(at) => at
                    .checked_duration_since(tokio::time::Instant::now())
                    .ok_or(InvokeError::DeadlineExceeded)?
                    .min(self.timeout),
                None => self.timeout,
            };
            let mut request = self
                .client
                .post(self.urls.url(function))
                .timeout(timeout)
                .json(&body);
            for (name, value) in crate::context::stamp(meta) {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    InvokeError::DeadlineExceeded
                } else {
                    InvokeError::Transport(format!("{function}: {e}"))
                }
            })?;
            let status = response.status().as_u16();
            let bytes = read_limited(function, response, self.reply_limit).await?;
            // The gateway itself answers in plain text (a 502 on a function timeout, say):
            // keep its words in the envelope.
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                json!({
                    "status": "GatewayError",
                    "errors": [{"message": String::from_utf8_lossy(&bytes).trim().to_owned()}],
                })
            });
            Ok(Reply { status, body })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A callee on a loopback port that answers every request with `head` and then, when
    /// `endless`, 64 KiB chunks of a JSON string for as long as the caller reads.
    async fn callee(head: &'static str, endless: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = stream.read(&mut request).await;
                    stream.write_all(head.as_bytes()).await?;
                    let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
                    if endless {
                        loop {
                            stream.write_all(chunk.as_bytes()).await?;
                        }
                    }
                    Ok::<(), std::io::Error>(())
                });
            }
        });
        url
    }

    async fn call(url: String, limit: usize) -> Result<Reply, InvokeError> {
        let invoker = GatewayInvoker::new(FunctionUrls::Template(url), Duration::from_secs(20))
            .with_reply_limit(limit);
        let meta = CallMeta::root().with_timeout(Duration::from_secs(20));
        let started = std::time::Instant::now();
        let result = invoker.invoke("callee", json!({}), &meta).await;
        assert!(started.elapsed() < Duration::from_secs(10), "read too long");
        result
    }

    #[tokio::test]
    async fn an_endless_reply_is_a_transport_failure_once_over_the_limit() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n1\r\n\"\r\n";
        // Never ends: only a read that stops at the limit returns at all.
        let error = call(callee(head, true).await, 1 << 20).await.unwrap_err();
        let InvokeError::Transport(message) = error else {
            panic!("not a transport failure: {error:?}")
        };
        assert!(message.contains("larger than 1048576 bytes"), "{message}");
    }

    #[tokio::test]
    async fn a_reply_announcing_a_length_over_the_limit_is_refused_before_reading() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    content-length: 10000000000\r\n\r\n\"";
        let error = call(callee(head, false).await, 1 << 20).await.unwrap_err();
        assert!(matches!(error, InvokeError::Transport(m) if m.contains("larger than")));
    }

    #[tokio::test]
    async fn a_reply_within_the_limit_is_read_whole() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    content-length: 20\r\n\r\n{\"status\":\"success\"}";
        let reply = call(callee(head, false).await, 20).await.unwrap();
        assert_eq!(
            (reply.status, reply.body),
            (200, json!({"status": "success"}))
        );
    }
}
