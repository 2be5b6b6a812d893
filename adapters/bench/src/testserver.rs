//! A minimal HTTP/1.1 keep-alive server for tests: records every request, waits a fixed delay,
//! then answers 500 to paths containing "compose" and 200 to everything else.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub content_type: Option<String>,
    pub traceparent: Option<String>,
    pub body: String,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut sock: TcpStream, delay: Duration, received: Arc<Mutex<Vec<Received>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                break end + 4;
            }
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.lines();
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default().to_string();
        let mut content_length = 0;
        let mut content_type = None;
        let mut traceparent = None;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => content_length = value.trim().parse().unwrap(),
                    "content-type" => content_type = Some(value.trim().to_string()),
                    "traceparent" => traceparent = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        while buf.len() < head_end + content_length {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + content_length]).into_owned();
        buf.drain(..head_end + content_length);
        let compose = target.contains("compose");
        received.lock().unwrap().push(Received {
            method,
            target,
            content_type,
            traceparent,
            body,
        });
        tokio::time::sleep(delay).await;
        let reply = if compose {
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 11\r\n\r\ncompose off"
        } else {
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        };
        if sock.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

impl TestServer {
    pub async fn start(delay: Duration) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, delay, log.clone()));
            }
        });
        TestServer { addr, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
