//! The load generator's HTTP/1.1 connections: at most C keep-alive connections, each a bare
//! hyper client connection, handed out one request at a time.
//!
//! `run` drives tens of thousands of requests per second from the same two cores as the server
//! it measures, so the driver's own cost per request is part of every figure. reqwest (which
//! `init-graph` uses) cost ~150 µs of CPU per request here: URL handling, its pool and timers.
//! This pool is what is left when those are taken away: a stack of idle connections, the
//! request written as given, the body read to its end.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request as the pool sends it: the address is the pool's, the rest is here.
pub type HttpRequest = hyper::Request<Full<Bytes>>;

pub struct Pool {
    /// `host:port` to connect to.
    address: String,
    /// `Host` header value.
    host: String,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    timeout: Duration,
}

impl Pool {
    /// A pool for `url`'s host; nothing is connected until the first request.
    pub fn new(url: &reqwest::Url, timeout: Duration) -> Pool {
        let host = url.host_str().unwrap_or("localhost").to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        Pool {
            address: format!("{host}:{port}"),
            host: match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            },
            idle: Mutex::new(Vec::new()),
            timeout,
        }
    }

    /// Sends `request` on an idle connection (or a new one) and reads the whole response; the
    /// connection goes back to the pool if it can be reused. Errors are classified as in
    /// [`crate::client::classify`]: `timeout`, `connect`, `request`, `body`.
    pub async fn send(&self, request: HttpRequest) -> Result<(u16, Bytes), String> {
        match tokio::time::timeout(self.timeout, self.exchange(request)).await {
            Ok(outcome) => outcome,
            Err(_) => Err("timeout".into()),
        }
    }

    async fn exchange(&self, mut request: HttpRequest) -> Result<(u16, Bytes), String> {
        let idle = self.idle.lock().expect("pool lock").pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        if let Ok(host) = self.host.parse() {
            request.headers_mut().insert(hyper::header::HOST, host);
        }
        // A connection the server closed while idle fails here; the request was not sent.
        if connection.ready().await.is_err() {
            connection = self.connect().await?;
        }
        let response = connection
            .send_request(request)
            .await
            .map_err(|_| "request".to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| "body".to_string())?
            .to_bytes();
        if !connection.is_closed() {
            self.idle.lock().expect("pool lock").push(connection);
        }
        Ok((status, body))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|_| "connect".to_string())?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| "connect".to_string())?;
        // Drives the connection until it closes; its errors show up on the sender.
        tokio::spawn(connection);
        Ok(sender)
    }
}

/// The pool's form of a request built for reqwest (path, query, headers and body kept).
pub fn from_reqwest(request: reqwest::Request) -> Result<HttpRequest, String> {
    let url = request.url();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let body = request
        .body()
        .and_then(|b| b.as_bytes())
        .map(Bytes::copy_from_slice)
        .unwrap_or_default();
    let mut builder = hyper::Request::builder()
        .method(request.method().clone())
        .uri(target);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(body))
        .map_err(|_| "request".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testserver::TestServer;

    #[tokio::test]
    async fn requests_reuse_one_connection_and_read_whole_bodies() {
        let server = TestServer::start(Duration::ZERO).await;
        let url = reqwest::Url::parse(&format!("http://{}/", server.addr)).unwrap();
        let pool = Pool::new(&url, Duration::from_secs(5));
        let http = reqwest::Client::new();
        for _ in 0..3 {
            let request = http.get(url.join("/wrk2-api/home-timeline/read?user_id=1").unwrap());
            let request = from_reqwest(request.build().unwrap()).unwrap();
            let (status, body) = pool.send(request).await.unwrap();
            assert_eq!(status, 200);
            assert!(!body.is_empty());
        }
        assert_eq!(pool.idle.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap()));
        drop(listener);
        let pool = Pool::new(&url.unwrap(), Duration::from_secs(5));
        let request = hyper::Request::get("/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(pool.send(request).await.unwrap_err(), "connect");
    }
}
