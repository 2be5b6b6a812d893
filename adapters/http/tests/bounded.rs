//! Bounded work at the HTTP edge: past `max_in_flight` requests in flight, a request is shed
//! with a 503 `OverloadedError` and `Retry-After`, before its body is read or storage touched,
//! on the function routes and DeathStarBench's alike, but never `/healthz`; and a body that
//! trickles in past the request's deadline is answered with a 408 envelope within it.
//!
//! A request whose body is still arriving holds its permit, so a half-sent request over a raw
//! socket fills the limit deterministically.

use std::time::{Duration, Instant};

use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::store::embedded;
use deathstar_http::{HttpOptions, dsb, router_with};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    base: String,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn serve(options: HttpOptions) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let auth = AuthKey::random();
    let registry = Registry::in_process(embedded::open(dir.path()).unwrap(), auth);
    let dsb = dsb::router(registry.clone(), options.timeout);
    let app = router_with(registry, options, dsb);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        addr,
        _dir: dir,
    }
}

/// A request whose headers promise a 1,000-byte body of which only a little is sent.
async fn half_sent(server: &Server, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{{\"username\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// The status and JSON body of the response on `stream`.
async fn response_of(stream: &mut TcpStream) -> (u16, Value) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buffer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|l| l.trim().parse::<usize>().ok())
                .expect("a content-length");
            if body.len() >= length {
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                return (status, serde_json::from_str(body).unwrap());
            }
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before a response: {text}");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn post(server: &Server, path: &str, body: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Posts until the server sheds (the half-sent request may not be admitted yet).
async fn until_shed(server: &Server, path: &str, body: &str) -> reqwest::Response {
    let started = Instant::now();
    loop {
        let response = post(server, path, body).await;
        if response.status() == 503 {
            return response;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never shed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn options(max_in_flight: usize, timeout: Duration) -> HttpOptions {
    HttpOptions {
        max_in_flight,
        timeout,
        ..HttpOptions::default()
    }
}

const REGISTER: &str = r#"{"username":"shed","first_name":"S","last_name":"H","password":"pw"}"#;

#[tokio::test]
async fn over_the_limit_a_request_is_shed_with_503_retry_after_and_the_envelope() {
    let server = serve(options(1, Duration::from_secs(20))).await;
    let holder = half_sent(&server, "/function/get-user-id").await;

    let shed = until_shed(&server, "/function/register-user", REGISTER).await;
    assert_eq!(shed.headers()["retry-after"], "1");
    assert_eq!(shed.headers()["content-type"], "application/json");
    let body: Value = shed.json().await.unwrap();
    assert_eq!(body["status"], "OverloadedError", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 requests in flight")
    );

    // DeathStarBench's routes are behind the same limit.
    let dsb = post(
        &server,
        "/wrk2-api/user/register",
        "username=shed&user_id=1",
    )
    .await;
    assert_eq!(dsb.status(), 503);
    assert_eq!(dsb.headers()["retry-after"], "1");
    let body: Value = dsb.json().await.unwrap();
    assert_eq!(body["status"], "OverloadedError", "{body}");

    // Alive, though full.
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // The permit is back once the holder is gone; nothing shed was done.
    drop(holder);
    let started = Instant::now();
    let found = loop {
        let found = post(&server, "/function/get-user-id", r#"{"username":"shed"}"#).await;
        if found.status() != 503 {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the permit never came back"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        found.status(),
        404,
        "the shed registration must not have run"
    );
    assert_eq!(
        post(&server, "/function/register-user", REGISTER)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn with_no_limit_nothing_is_shed() {
    let server = serve(options(0, Duration::from_secs(20))).await;
    let _holders = [
        half_sent(&server, "/function/get-user-id").await,
        half_sent(&server, "/function/get-user-id").await,
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reply = post(&server, "/function/register-user", REGISTER).await;
    assert_eq!(reply.status(), 200);
}

/// What a client that trickles its body to `path` gets: a 408 envelope at the deadline, not a
/// hang; its permit is freed, so the next request on `path` is served.
async fn trickled_body_times_out(path: &str, next_body: &str, next_status: u16) {
    let timeout = Duration::from_millis(400);
    let server = serve(options(1, timeout)).await;
    let started = Instant::now();
    let mut stream = half_sent(&server, path).await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), response_of(&mut stream))
        .await
        .expect("an answer, not a hang");
    let took = started.elapsed();
    assert_eq!(
        (status, body["status"].as_str()),
        (408, Some("RequestTimeoutError")),
        "{path}: {body}"
    );
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(1),
        "{path} took {took:?}"
    );
    let reply = post(&server, path, next_body).await;
    assert_eq!(reply.status(), next_status, "{path}");
}

#[tokio::test]
async fn a_body_trickling_past_the_deadline_is_a_408_envelope_within_it() {
    trickled_body_times_out("/function/register-user", REGISTER, 200).await;
}

#[tokio::test]
async fn a_dsb_form_trickling_past_the_deadline_is_a_408_envelope_within_it() {
    let form = "first_name=A&last_name=B&username=dsb&password=pw&user_id=7";
    trickled_body_times_out("/wrk2-api/user/register", form, 200).await;
}

#[tokio::test]
async fn the_callers_shorter_deadline_bounds_the_body_read_too() {
    let server = serve(options(4, Duration::from_secs(20))).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = "POST /function/get-user-id HTTP/1.1\r\nhost: test\r\nx-ds-deadline-ms: 300\r\n\
                content-length: 50\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), response_of(&mut stream))
        .await
        .expect("an answer, not a hang");
    assert_eq!(status, 408, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
