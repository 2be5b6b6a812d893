//! HTTP/1.1 on a bare tokio `TcpStream`, as lean as a load generator can make it: a request is
//! bytes written as given, a response is read into one reused buffer and parsed in place
//! (httparse), its body delimited by `Content-Length`, chunked coding or the connection's end.
//!
//! The open-loop driver shares two cores with the server it measures, so whatever it spends
//! per request is taken from the server. hyper's client connection (what `run` used before)
//! cost a task, a channel hop and header maps per request; here a request is one `write_all`
//! and, for a small reply, one `read`.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head accepted, and the size the read buffer starts at.
const MAX_HEAD: usize = 64 * 1024;
/// Largest response body accepted: far beyond any reply of this project's (a page of posts).
const MAX_BODY: usize = 64 * 1024 * 1024;
const MAX_HEADERS: usize = 64;

/// Why an exchange failed, in the classes [`crate::stats`] counts: the request could not be
/// written (`request`) or the response was broken, cut off or too large (`body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    Request,
    Body,
}

impl WireError {
    pub fn class(self) -> &'static str {
        match self {
            WireError::Request => "request",
            WireError::Body => "body",
        }
    }
}

/// One response: its status and body (borrowed from the connection's buffer).
#[derive(Debug)]
pub struct Response<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

/// How the body of a response ends.
enum Framing {
    Length(usize),
    Chunked,
    /// Until the server closes the connection (HTTP/1.0 style).
    Close,
}

/// One keep-alive connection; one request at a time (no pipelining).
pub struct Connection {
    stream: TcpStream,
    /// Bytes read from the socket, from the start of the current response.
    buf: Vec<u8>,
    /// A chunked body, decoded.
    chunked: Vec<u8>,
    /// False once the server said `Connection: close` or the framing needed the close.
    reusable: bool,
}

impl Connection {
    pub async fn connect(address: &str) -> io::Result<Connection> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(MAX_HEAD),
            chunked: Vec::new(),
            reusable: true,
        })
    }

    /// Whether another request may be sent on this connection.
    pub fn is_reusable(&self) -> bool {
        self.reusable
    }

    /// Writes `request` (a whole HTTP/1.1 request) and reads its response.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<Response<'_>, WireError> {
        self.stream
            .write_all(request)
            .await
            .map_err(|_| WireError::Request)?;
        self.buf.clear();
        let Head {
            status,
            len: head_len,
            framing,
            close,
        } = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            if self.buf.len() >= MAX_HEAD || self.fill().await? == 0 {
                // A connection the server closed while idle fails here, before any byte.
                return Err(if self.buf.is_empty() {
                    WireError::Request
                } else {
                    WireError::Body
                });
            }
        };
        if close || matches!(framing, Framing::Close) {
            self.reusable = false;
        }
        let body = match framing {
            Framing::Length(len) => {
                let end = head_len.checked_add(len).ok_or(WireError::Body)?;
                while self.buf.len() < end {
                    if self.fill().await? == 0 {
                        return Err(WireError::Body);
                    }
                }
                head_len..end
            }
            Framing::Close => {
                while self.fill().await? > 0 {
                    if self.buf.len() - head_len > MAX_BODY {
                        return Err(WireError::Body);
                    }
                }
                head_len..self.buf.len()
            }
            Framing::Chunked => {
                self.read_chunked(head_len).await?;
                return Ok(Response {
                    status,
                    body: &self.chunked,
                });
            }
        };
        Ok(Response {
            status,
            body: &self.buf[body],
        })
    }

    /// Reads more bytes; 0 means the server closed the connection.
    async fn fill(&mut self) -> Result<usize, WireError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(self.buf.capacity().max(4096));
        }
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|_| WireError::Body)?;
        if n == 0 {
            self.reusable = false;
        }
        Ok(n)
    }

    /// Decodes a chunked body that starts at `at` into `self.chunked` (trailers skipped).
    async fn read_chunked(&mut self, mut at: usize) -> Result<(), WireError> {
        self.chunked.clear();
        loop {
            let (size_len, size) = loop {
                match httparse::parse_chunk_size(&self.buf[at..]) {
                    Ok(httparse::Status::Complete((n, size))) => break (n, size),
                    Ok(httparse::Status::Partial) => {
                        if self.fill().await? == 0 {
                            return Err(WireError::Body);
                        }
                    }
                    Err(_) => return Err(WireError::Body),
                }
            };
            let size = usize::try_from(size).map_err(|_| WireError::Body)?;
            if self.chunked.len() + size > MAX_BODY {
                return Err(WireError::Body);
            }
            at += size_len;
            if size == 0 {
                // Trailers (usually none), then the final CRLF.
                loop {
                    if let Some(end) = find(&self.buf[at..], b"\r\n") {
                        if end == 0 {
                            return Ok(());
                        }
                        at += end + 2;
                    } else if self.fill().await? == 0 {
                        return Err(WireError::Body);
                    }
                }
            }
            while self.buf.len() < at + size + 2 {
                if self.fill().await? == 0 {
                    return Err(WireError::Body);
                }
            }
            self.chunked.extend_from_slice(&self.buf[at..at + size]);
            if &self.buf[at + size..at + size + 2] != b"\r\n" {
                return Err(WireError::Body);
            }
            at += size + 2;
        }
    }
}

/// What a response head says.
struct Head {
    status: u16,
    /// Its length in bytes: the body starts there.
    len: usize,
    framing: Framing,
    /// `Connection: close`.
    close: bool,
}

/// The response head, once all of it is in `buf`.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(WireError::Body),
    };
    let status = response.code.ok_or(WireError::Body)?;
    let mut framing = Framing::Close;
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("connection") {
            close |= contains_token(header.value, b"close");
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if contains_token(header.value, b"chunked") {
                framing = Framing::Chunked;
            }
        } else if header.name.eq_ignore_ascii_case("content-length")
            && !matches!(framing, Framing::Chunked)
        {
            let len = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&len| len <= MAX_BODY)
                .ok_or(WireError::Body)?;
            framing = Framing::Length(len);
        }
    }
    // No body, whatever the headers say (RFC 9112 §6.3); 1xx is never sent to us (no Expect).
    if status == 204 || status == 304 || (100..200).contains(&status) {
        framing = Framing::Length(0);
    }
    Ok(Some(Head {
        status,
        len: head_len,
        framing,
        close,
    }))
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Appends one HTTP/1.1 request to `out`: request line, `Host`, the given headers, a
/// `Content-Length` (always, so a server never waits for a body that is not coming) and the body.
pub fn encode(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) {
    use std::io::Write;
    out.reserve(128 + target.len() + body.len());
    let _ = write!(out, "{method} {target} HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let _ = write!(out, "content-length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers every request it reads with the next of `replies`, in pieces of
    /// `piece` bytes (to exercise partial reads), then closes.
    async fn scripted(replies: Vec<Vec<u8>>, piece: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            for reply in replies {
                let mut seen = Vec::new();
                while find(&seen, b"\r\n\r\n").is_none() {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                for part in reply.chunks(piece) {
                    socket.write_all(part).await.unwrap();
                    socket.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        address
    }

    fn get(target: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, "GET", target, "test", &[], b"");
        out
    }

    #[tokio::test]
    async fn reads_length_chunked_and_close_framed_bodies_on_one_connection() {
        let replies = vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_vec(),
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab\xc3\r\n4;x=y\r\n\xa9\xe2\x80\x8f\r\n0\r\nx-trailer: 1\r\n\r\n".to_vec(),
            b"HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n".to_vec(),
            b"HTTP/1.0 503 Service Unavailable\r\n\r\nbusy".to_vec(),
        ];
        for piece in [1, 7, 4096] {
            let address = scripted(replies.clone(), piece).await;
            let mut c = Connection::connect(&address).await.unwrap();
            let r = c.exchange(&get("/a")).await.unwrap();
            assert_eq!((r.status, r.body), (200, &b"hello"[..]));
            let r = c.exchange(&get("/b")).await.unwrap();
            // Chunks split a multi-byte character (é, then U+200F RIGHT-TO-LEFT MARK).
            assert_eq!(r.status, 404);
            assert_eq!(std::str::from_utf8(r.body).unwrap(), "abé\u{200f}");
            let r = c.exchange(&get("/c")).await.unwrap();
            assert_eq!((r.status, r.body), (204, &b""[..]));
            assert!(c.is_reusable());
            let r = c.exchange(&get("/d")).await.unwrap();
            assert_eq!((r.status, r.body), (503, &b"busy"[..]));
            assert!(!c.is_reusable());
        }
    }

    #[tokio::test]
    async fn connection_close_is_honoured() {
        let address = scripted(
            vec![
                b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\ncontent-length: 0\r\n\r\n"
                    .to_vec(),
            ],
            4096,
        )
        .await;
        let mut c = Connection::connect(&address).await.unwrap();
        assert_eq!(c.exchange(&get("/")).await.unwrap().status, 200);
        assert!(!c.is_reusable());
    }

    #[tokio::test]
    async fn broken_responses_are_body_errors_and_a_silent_close_is_a_request_error() {
        let cases: Vec<(&[u8], WireError)> = vec![
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
                WireError::Body,
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
                WireError::Body,
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n",
                WireError::Body,
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                WireError::Body,
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcd\r\n",
                WireError::Body,
            ),
            (b"garbage\r\n\r\n", WireError::Body),
            (b"HTTP/1.1 200 OK\r\ncontent-le", WireError::Body),
            (b"", WireError::Request),
        ];
        for (reply, want) in cases {
            let address = scripted(vec![reply.to_vec()], 4096).await;
            let mut c = Connection::connect(&address).await.unwrap();
            let got = c.exchange(&get("/")).await.map(|r| r.status);
            assert_eq!(
                got.unwrap_err(),
                want,
                "{:?}",
                String::from_utf8_lossy(reply)
            );
        }
    }

    #[test]
    fn requests_always_carry_a_length() {
        let mut out = Vec::new();
        encode(
            &mut out,
            "POST",
            "/f?x=1",
            "h:1",
            &[("content-type", b"application/json")],
            "{\"t\":\"שלום 🎉\"}".as_bytes(),
        );
        let text = String::from_utf8(out).unwrap();
        let body = "{\"t\":\"שלום 🎉\"}";
        assert_eq!(
            text,
            format!(
                "POST /f?x=1 HTTP/1.1\r\nhost: h:1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
        );
    }
}
