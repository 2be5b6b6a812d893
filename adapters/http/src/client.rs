//! The OpenFaaS gateway [`Invoker`]: calls `<gateway>/function/<name>` over HTTP/1.1 (hyper's
//! pooled client: keep-alive connections reused across calls), or a per-function URL for
//! direct in-cluster calls, carrying the call's context in headers (see
//! [`crate::context::stamp`]). A reply larger than [`REPLY_LIMIT`] is a transport failure,
//! found while reading it: a callee gone wrong cannot make its caller hold an unbounded body in
//! memory.
//!
//! [`Invoker::invoke_wire`] is its fast way: the body goes out as the caller serialised it and
//! the reply comes back as bytes, for the caller to decode straight into its output type (no
//! JSON tree either way, docs/BENCHMARKS.md).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use bytes::Bytes;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::{
    CallMeta, InvokeError, Invoked, InvokedWire, Invoker, Reply, WireReply, status,
};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::{Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
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

/// Idle keep-alive connections kept per host (the gateway is one host): as many as a process
/// has requests in flight at most ([`crate::DEFAULT_MAX_IN_FLIGHT`]), so that the connections a
/// burst opened are all reused by the next one rather than closed and opened again.
pub const POOL_IDLE_PER_HOST: usize = crate::DEFAULT_MAX_IN_FLIGHT;

/// Functions whose parsed URL is kept ([`GatewayInvoker::uri`]): every function of the
/// catalogue, with room to spare; a caller naming ever new functions cannot grow it unbounded.
const URI_CACHE_LIMIT: usize = 256;

/// An HTTP/1.1 client for calls between functions: pooled keep-alive connections, no Nagle
/// delay on the small requests and replies, idle connections closed after 90 s (below the
/// gateway's and watchdog's own idle timeouts, so the client is the one that closes).
pub fn pooled_client<B>(idle_per_host: usize) -> Client<HttpConnector, B>
where
    B: Body + Send + 'static,
    B::Data: Send,
{
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(idle_per_host)
        // Without a timer, the pool never expires an idle connection.
        .pool_timer(TokioTimer::new())
        .build(connector)
}

pub struct GatewayInvoker {
    client: Client<HttpConnector, Full<Bytes>>,
    /// Signs every call's proof ([`crate::context::stamp`]): the deployment's secret.
    key: AuthKey,
    urls: FunctionUrls,
    /// Each function's URL, parsed once: a call formats and parses none (a `Uri` clones by
    /// reference count).
    uris: RwLock<HashMap<String, Uri>>,
    /// Longest any one call may take, whatever the deadline says.
    timeout: Duration,
    /// Largest reply read, in bytes.
    reply_limit: usize,
}

impl GatewayInvoker {
    /// Calls the functions at `urls` as a function of the deployment whose secret is `key`.
    pub fn new(urls: FunctionUrls, timeout: Duration, key: AuthKey) -> Self {
        GatewayInvoker {
            client: pooled_client(POOL_IDLE_PER_HOST),
            key,
            urls,
            uris: RwLock::new(HashMap::new()),
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

    /// `function`'s URL, parsed.
    fn uri(&self, function: &str) -> Result<Uri, InvokeError> {
        // A poisoned lock only loses the cache: the URL is parsed anew.
        if let Some(uri) = self.uris.read().ok().and_then(|m| m.get(function).cloned()) {
            return Ok(uri);
        }
        let uri: Uri = self
            .urls
            .url(function)
            .parse()
            .map_err(|e| InvokeError::Transport(format!("{function}: bad URL: {e}")))?;
        if let Ok(mut uris) = self.uris.write()
            && uris.len() < URI_CACHE_LIMIT
        {
            uris.insert(function.to_owned(), uri.clone());
        }
        Ok(uri)
    }

    /// Posts `body` to `function` with the call's context: the reply's status and bytes.
    async fn send(
        &self,
        function: &str,
        body: Vec<u8>,
        meta: &CallMeta,
    ) -> Result<(u16, Bytes), InvokeError> {
        let timeout = match meta.deadline {
            Some(at) => at
                .checked_duration_since(tokio::time::Instant::now())
                .ok_or(InvokeError::DeadlineExceeded)?
                .min(self.timeout),
            None => self.timeout,
        };
        // The bytes sent are the bytes signed.
        let headers = crate::context::stamp(meta, function, &body, &self.key);
        let mut request =
            Request::post(self.uri(function)?).header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| InvokeError::Transport(format!("{function}: {}", chain(&e))))?;
            let status = response.status().as_u16();
            let bytes = read_limited(function, response.into_body(), self.reply_limit).await?;
            Ok((status, bytes))
        };
        // The whole exchange, reply read included, within the call's time.
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(InvokeError::DeadlineExceeded))
    }
}

/// An error and its causes, one after the other: hyper's own words ("client error
/// (Connect)") say little without them.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The body of a reply from `function`; a transport failure as soon as it is known to be over
/// `limit` bytes (from its `Content-Length`, or once that many arrived). A body of one chunk
/// (the usual small reply) is handed on without a copy.
async fn read_limited(function: &str, body: Incoming, limit: usize) -> Result<Bytes, InvokeError> {
    let too_large = || {
        InvokeError::Transport(format!(
            "{function}: the reply is larger than {limit} bytes"
        ))
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
        Err(e) => Err(InvokeError::Transport(format!(
            "{function}: {}",
            chain(e.as_ref())
        ))),
    }
}

/// The gateway itself answers in plain text (a 502 on a function timeout, say): its words, in
/// the envelope.
fn gateway_failure(status: u16, bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes).trim().to_owned();
    Reply::failure(status, status::GATEWAY, text)
}

impl Invoker for GatewayInvoker {
    fn transport(&self) -> &'static str {
        "gateway"
    }

    fn invoke<'a>(&'a self, function: &'a str, body: Value, meta: &'a CallMeta) -> Invoked<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&body)
                .map_err(|e| InvokeError::Transport(format!("{function}: {e}")))?;
            let (status, bytes) = self.send(function, body, meta).await?;
            Ok(match serde_json::from_slice(&bytes) {
                Ok(body) => Reply { status, body },
                Err(_) => gateway_failure(status, &bytes),
            })
        })
    }

    fn invoke_wire<'a>(
        &'a self,
        function: &'a str,
        body: Vec<u8>,
        meta: &'a CallMeta,
    ) -> InvokedWire<'a> {
        Box::pin(async move {
            let (status, bytes) = self.send(function, body, meta).await?;
            // A success goes on as it came (its caller's typed decode checks it); a failure
            // that is no JSON is the gateway's plain text, put in the envelope. Checked
            // without building a tree.
            if status != 200 && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
                return Ok(WireReply::from(gateway_failure(status, &bytes)));
            }
            Ok(WireReply {
                status,
                body: Vec::from(bytes),
            })
        })
    }
}
