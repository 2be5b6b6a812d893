//! The OpenFaaS gateway [`Invoker`]: calls `<gateway>/function/<name>` over HTTP (reqwest,
//! pooled connections), or a per-function URL for direct in-cluster calls, carrying the call's
//! context in headers (see [`crate::meta_headers`]).

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

pub struct GatewayInvoker {
    client: reqwest::Client,
    urls: FunctionUrls,
    /// Longest any one call may take, whatever the deadline says.
    timeout: Duration,
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
        }
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
            for (name, value) in crate::meta_headers(meta) {
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
            let bytes = response
                .bytes()
                .await
                .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
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
