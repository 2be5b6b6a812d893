//! Both remote invokers read a callee's reply only up to their limit: a callee that answers
//! without end (or announces more than the limit) is a transport failure within seconds, not a
//! process holding a runaway reply whole; a reply within the limit is read whole.

use std::time::Duration;

use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::{CallMeta, InvokeError, Invoker, Reply};
use deathstar_http::client::{FunctionUrls, GatewayInvoker};
use deathstar_lambda::invoker::LambdaInvoker;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A callee on a loopback port that answers every request with `head` and then, when
/// `endless`, 64 KiB chunks for as long as the caller reads. Its base URL.
async fn callee(head: String, endless: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let head = head.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 16384];
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

/// Which invoker calls the callee.
#[derive(Clone, Copy, Debug)]
enum Via {
    Gateway,
    Lambda,
}

/// Calls the callee at `url` through `via`, reading at most `limit` bytes of reply.
async fn call(via: Via, url: String, limit: usize) -> Result<Reply, InvokeError> {
    let timeout = Duration::from_secs(20);
    let key = AuthKey::new("k");
    let invoker: Box<dyn Invoker> = match via {
        Via::Gateway => Box::new(
            GatewayInvoker::new(FunctionUrls::Template(format!("{url}/")), timeout, key)
                .with_reply_limit(limit),
        ),
        Via::Lambda => {
            let invoker = LambdaInvoker::local_with_reply_limit(&url, timeout, limit, key);
            Box::new(invoker.await)
        }
    };
    let meta = CallMeta::root().with_timeout(timeout);
    let started = std::time::Instant::now();
    let result = invoker.invoke("callee", json!({}), &meta).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{via:?}: read too long"
    );
    result
}

fn chunked(first_chunk: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\n\r\n{first_chunk}"
    )
}

fn with_length(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn an_endless_reply_is_a_transport_failure_once_over_the_limit() {
    // Never ends: only a read that stops at the limit returns at all.
    for (via, head) in [
        (Via::Gateway, chunked("1\r\n\"\r\n")),
        (Via::Lambda, chunked("")),
    ] {
        let error = call(via, callee(head, true).await, 1 << 20)
            .await
            .unwrap_err();
        let InvokeError::Transport(message) = error else {
            panic!("{via:?}: not a transport failure: {error:?}")
        };
        assert!(
            message.contains("larger than 1048576 bytes"),
            "{via:?}: {message}"
        );
    }
}

#[tokio::test]
async fn a_reply_announcing_a_length_over_the_limit_is_refused_before_reading() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                content-length: 10000000000\r\n\r\n\""
        .to_owned();
    let error = call(Via::Gateway, callee(head, false).await, 1 << 20)
        .await
        .unwrap_err();
    assert!(matches!(error, InvokeError::Transport(m) if m.contains("larger than")));
}

#[tokio::test]
async fn a_reply_within_the_limit_is_read_whole() {
    // The gateway answers the envelope; Lambda's Invoke API an API Gateway response around it.
    let envelope = r#"{"status":"success"}"#;
    let lambda = r#"{"statusCode":200,"body":"{\"status\":\"success\"}"}"#;
    for (via, body) in [(Via::Gateway, envelope), (Via::Lambda, lambda)] {
        let url = callee(with_length(body), false).await;
        let reply = call(via, url, body.len()).await.unwrap();
        assert_eq!(
            (reply.status, reply.body),
            (200, json!({"status": "success"})),
            "{via:?}"
        );
    }
}
