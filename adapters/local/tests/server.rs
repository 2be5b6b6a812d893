//! The `deathstar` binary as a user runs it: a real process on a loopback port, stopped with
//! Ctrl-C (SIGINT) and started again on the same data directory.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// The server as a user starts it: `DS_AUTH=required`.
    async fn start(data_dir: &Path) -> Server {
        Server::start_in(data_dir, "required").await
    }

    async fn start_in(data_dir: &Path, auth: &str) -> Server {
        Server::start_with(data_dir, auth, &[]).await
    }

    async fn start_with(data_dir: &Path, auth: &str, env: &[(&'static str, String)]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_deathstar"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .env("DS_AUTH", auth)
            // The embedded store, whatever servers the test script started.
            .env_remove("MONGO_URI")
            .env_remove("REDIS_SERVER")
            .env_remove("REDIS_PORT")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .spawn()
            .expect("deathstar starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while reqwest::get(format!("{}/healthz", server.base))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "server never came up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    async fn call(&self, function: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/function/{function}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn raw(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> (u16, Value) {
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Ctrl-C, then wait for a clean exit.
    fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no exit after SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The data directory holds password hashes and the signing secret: none of it is readable by
/// other users, from the moment it exists.
#[cfg(unix)]
#[tokio::test]
async fn user_data_and_the_secret_are_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    let mode = |name: &str| {
        let meta = std::fs::metadata(data.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        meta.permissions().mode() & 0o777
    };
    assert_eq!(mode(""), 0o700, "the data directory");
    assert_eq!(mode("deathstar.log"), 0o600);
    assert_eq!(mode("auth-secret"), 0o600);
    server.interrupt();
}

/// An empty secret would sign tokens anyone can forge: the server refuses to start with one,
/// whether given as a flag or found empty in the data directory.
#[test]
fn an_empty_auth_secret_is_refused_at_start_up() {
    let refused = |configure: &dyn Fn(&mut Command)| {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_deathstar"));
        command
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env_remove("DS_AUTH_SECRET")
            .env_remove("MONGO_URI")
            .env_remove("REDIS_SERVER");
        std::fs::write(dir.path().join("auth-secret"), "\n").unwrap();
        configure(&mut command);
        let output = command.output().expect("deathstar runs");
        assert!(!output.status.success(), "started with an empty secret");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let flag = refused(&|c| {
        c.args(["--auth-secret", ""]);
    });
    assert!(
        flag.contains("--auth-secret (DS_AUTH_SECRET) is empty"),
        "{flag}"
    );
    let env = refused(&|c| {
        c.env("DS_AUTH_SECRET", "  ");
    });
    assert!(env.contains("is empty"), "{env}");
    let file = refused(&|_| {});
    assert!(file.contains("auth-secret is empty"), "{file}");
}

/// In `DS_AUTH=open`, whose bodies name the users (`tests/tests/access.rs` checks the tokens):
/// here the store is on trial.
#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), "open").await;
    let (status, alice) = server
        .call(
            "register-user",
            json!({"username": "alice", "first_name": "A", "last_name": "L", "password": "pw"}),
        )
        .await;
    assert_eq!(status, 200);
    let alice_id = alice["user"]["user_id"].as_str().unwrap().to_owned();
    let (_, bob) = server
        .call(
            "register-user",
            json!({"username": "bob", "first_name": "B", "last_name": "O", "password": "pw"}),
        )
        .await;
    let bob_id = bob["user"]["user_id"].as_str().unwrap().to_owned();
    let follow = json!({"user_id": bob_id, "followee_id": alice_id});
    assert_eq!(server.call("social-graph-follow", follow).await.0, 200);
    let (status, media) = server
        .call(
            "media-front-upload-media",
            json!({"filename": "a.gif", "file": "R0lGODlh"}),
        )
        .await;
    assert_eq!(status, 200);
    let compose = json!({
        "user_id": alice_id, "username": "alice", "post_type": 0,
        "text": "hi @bob https://example.com", "media_id": media["media_id"], "media_type": "gif",
    });
    let (status, composed) = server.call("compose-post-frontend", compose).await;
    assert_eq!(status, 200, "{composed}");
    server.interrupt();

    let server = Server::start_in(dir.path(), "open").await;
    let login = json!({"username": "alice", "password": "pw"});
    assert_eq!(server.call("user-service-login", login).await.0, 200);
    let page = json!({"user_id": alice_id, "start": 0, "stop": 10});
    let (_, user_timeline) = server.call("user-timeline-read-frontend", page).await;
    assert_eq!(user_timeline["posts"], json!([composed["post"]]));
    let page = json!({"user_id": bob_id, "start": 0, "stop": 10});
    let (_, home_timeline) = server.call("home-timeline-read-frontend", page).await;
    assert_eq!(home_timeline["posts"], json!([composed["post"]]));
    let (_, followers) = server
        .call("social-graph-get-followers", json!({"user_id": alice_id}))
        .await;
    assert_eq!(followers["followers"][0]["user_id"], bob_id.as_str());
    let shorts = composed["post"]["urls"][0]["shortened_url"].clone();
    let (_, urls) = server
        .call(
            "url-shorten-service-get-extended-urls",
            json!({"shortened_urls": [shorts]}),
        )
        .await;
    assert_eq!(urls["urls"][0]["expanded_url"], "https://example.com");
    let (_, file) = server
        .call(
            "media-front-get-media",
            json!({"media_id": media["media_id"]}),
        )
        .await;
    assert_eq!(file["file"], "data:image/gif;base64,R0lGODlh");
    server.interrupt();
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_the_server_stays_up() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let cases: Vec<(Method, &str, Vec<u8>, u16, &str)> = vec![
        (
            Method::POST,
            "/function/get-user-id",
            b"{not json".to_vec(),
            400,
            "MalformedJsonError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            b"[1,2]".to_vec(),
            400,
            "MalformedJsonError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            b"\"alice\"".to_vec(),
            400,
            "MalformedJsonError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            vec![0xff, 0xfe],
            400,
            "MalformedJsonError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            Vec::new(),
            400,
            "MissingFieldError",
        ),
        (
            Method::GET,
            "/function/get-user-id",
            Vec::new(),
            400,
            "MissingFieldError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            br#"{"username":[]}"#.to_vec(),
            400,
            "InvalidFieldError",
        ),
        (
            Method::POST,
            "/function/get-user-id",
            br#"{"username":"ghost"}"#.to_vec(),
            404,
            "UsernameNotFoundError",
        ),
        (
            Method::POST,
            "/function/no-such-function",
            b"{}".to_vec(),
            404,
            "FunctionNotFoundError",
        ),
        (
            Method::POST,
            "/function/media-front-upload-media",
            vec![b' '; 17 * 1024 * 1024],
            413,
            "PayloadTooLargeError",
        ),
        (
            Method::POST,
            "/function/user-timeline-read-frontend",
            br#"{"user_id":"0123456789abcdef0123456789abcdef","start":"0","stop":10}"#.to_vec(),
            400,
            "InvalidFieldError",
        ),
    ];
    for (method, path, body, status, name) in cases {
        let (got, reply) = server.raw(method.clone(), path, body).await;
        assert_eq!(
            (got, reply["status"].as_str()),
            (status, Some(name)),
            "{method} {path}: {reply}"
        );
        assert!(reply["errors"][0]["message"].is_string(), "{reply}");
    }
    let (status, _) = server.raw(Method::GET, "/healthz", Vec::new()).await;
    assert_eq!(status, 200);
    server.interrupt();
}

/// The README's "Try it" block, pasted into a shell against a fresh server.
#[tokio::test]
async fn the_readme_examples_work_as_printed() {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("## Try it")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("a sh block under Try it");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let script = block.replace("http://127.0.0.1:8080", &server.base);
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .await
        .expect("bash runs");
    assert!(output.status.success(), "{output:?}");
    let replies: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON reply per line"))
        .collect();
    assert_eq!(replies.len(), 4);
    assert!(
        replies.iter().all(|r| r["status"] == "success"),
        "{replies:?}"
    );
    let home = &replies[3]["posts"];
    assert_eq!(home[0]["creator"]["username"], "alice");
    assert_eq!(home[0]["user_mentions"][0]["username"], "bob");
    server.interrupt();
}

/// `GET /metrics` after a compose: the frontend's invocation, its in-process calls and the
/// store operations are counted, with their latencies, and the embedded store's log flushes
/// timed.
#[tokio::test]
async fn metrics_count_the_invocations_and_calls_of_a_compose() {
    use deathstar_tests::scrape::{sample, scrape};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), "open").await;
    let (_, alice) = server
        .call(
            "register-user",
            json!({"username": "alice", "first_name": "A", "last_name": "L", "password": "pw"}),
        )
        .await;
    let alice_id = alice["user"]["user_id"].as_str().unwrap();
    let (status, _) = server
        .call(
            "compose-post-frontend",
            json!({"user_id": alice_id, "username": "alice", "post_type": 0, "text": "hi https://example.com"}),
        )
        .await;
    assert_eq!(status, 200);
    // The log flushes every 100 ms (DS_FSYNC's default).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = scrape(&format!("{}/metrics", server.base)).await;
    let count =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    let frontend = r#"{function="compose-post-frontend",code="200"}"#;
    assert_eq!(
        count(&format!("deathstar_function_invocations_total{frontend}")),
        1.0
    );
    assert_eq!(
        count(&format!(
            "deathstar_function_duration_seconds_count{frontend}"
        )),
        1.0
    );
    for callee in [
        "text-service-upload-text",
        "url-shorten-service-upload-urls",
        "post-storage-service-store-post",
    ] {
        let series =
            format!(r#"deathstar_invoker_calls_total{{callee="{callee}",transport="in_process"}}"#);
        assert_eq!(count(&series), 1.0, "{series}");
    }
    let stored =
        r#"deathstar_store_operations_total{backend="embedded",store="posts",operation="insert"}"#;
    assert_eq!(count(stored), 1.0);
    assert!(count("deathstar_embedded_log_flush_duration_seconds_count") >= 1.0);
    assert_eq!(count("deathstar_http_requests_shed_total"), 0.0);
}

/// A compose on the server exporting to a real Jaeger reads back from Jaeger's query API as
/// one trace under the client's `traceparent`: DeathStarBench's compose tree, every store
/// operation under the invocation that made it. Prints the tree (the README shows one).
#[tokio::test]
async fn a_compose_reads_back_from_jaeger_as_one_span_tree() {
    use deathstar_tests::jaeger::Jaeger;
    let Some(jaeger) = Jaeger::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), "open", &jaeger.exporting()).await;
    let mut ids = Vec::new();
    for name in ["alice", "bob"] {
        let body = json!({"username": name, "first_name": "F", "last_name": "L", "password": "pw"});
        let (_, user) = server.call("register-user", body).await;
        ids.push(user["user"]["user_id"].as_str().unwrap().to_owned());
    }
    let follow = json!({"user_id": ids[1], "followee_id": ids[0]});
    assert_eq!(server.call("social-graph-follow", follow).await.0, 200);
    let url = format!("{}/function/compose-post-frontend", server.base);
    let (trace, client_span) = jaeger.traced_compose(&url, &ids[0], None).await;
    trace.check_compose_tree(&client_span);
    assert!(trace.spans.iter().all(|s| s.service == "deathstar"));
    println!("{}", trace.render());
}
