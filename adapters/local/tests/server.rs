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
    async fn start(data_dir: &Path) -> Server {
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
            // The embedded store, whatever servers the test script started.
            .env_remove("MONGO_URI")
            .env_remove("REDIS_SERVER")
            .env_remove("REDIS_PORT")
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

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
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

    let server = Server::start(dir.path()).await;
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
    assert_eq!(replies.len(), 5);
    assert!(
        replies.iter().all(|r| r["status"] == "success"),
        "{replies:?}"
    );
    let home = &replies[4]["posts"];
    assert_eq!(home[0]["creator"]["username"], "alice");
    assert_eq!(home[0]["user_mentions"][0]["username"], "bob");
    server.interrupt();
}

/// DeathStarBench's `/wrk2-api/` routes, with bodies exactly as its scripts send them:
/// aiohttp's url-encoded forms (`init_social_graph.py`) and wrk's raw ones (the Lua scripts).
#[tokio::test]
async fn deathstarbench_routes_take_dsb_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let client = reqwest::Client::new();
    let send = |method: reqwest::Method, path: String, body: String| {
        let request = client
            .request(method, format!("{}{path}", server.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    for i in 0..3 {
        let form = format!(
            "first_name=first_name_{i}&last_name=last_name_{i}&username=username_{i}&password=password_{i}&user_id={i}"
        );
        let reply = send(
            reqwest::Method::POST,
            "/wrk2-api/user/register".into(),
            form,
        )
        .await;
        assert_eq!(reply, (200, "Success!".into()));
    }
    for (a, b) in [(1, 0), (0, 1), (2, 0)] {
        let form = format!("user_name=username_{a}&followee_name=username_{b}");
        let reply = send(reqwest::Method::POST, "/wrk2-api/user/follow".into(), form).await;
        assert_eq!(reply, (200, "Success!".into()));
    }
    // wrk's compose body: not percent-encoded.
    let text = "abcXYZ019 @username_1 @username_2 http://aAbB0123456789";
    let form = format!(
        "username=username_0&user_id=0&text={text}&media_ids=[\"123456789012345678\"]&media_types=[\"png\"]&post_type=0"
    );
    let reply = send(reqwest::Method::POST, "/wrk2-api/post/compose".into(), form).await;
    assert_eq!(reply, (200, "Successfully upload post".into()));
    // aiohttp's compose body: url-encoded, spaces as '+'.
    let form = "username=username_0&user_id=0&text=second+post+%40username_1&media_ids=%5B%5D&media_types=%5B%5D&post_type=0";
    let reply = send(
        reqwest::Method::POST,
        "/wrk2-api/post/compose".into(),
        form.into(),
    )
    .await;
    assert_eq!(reply, (200, "Successfully upload post".into()));

    let (status, body) = send(
        reqwest::Method::GET,
        "/wrk2-api/home-timeline/read?user_id=1&start=0&stop=10".into(),
        String::new(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(posts.as_array().unwrap().len(), 2);
    let first = &posts[0];
    assert_eq!(first["text"], "second post @username_1");
    assert_eq!(
        first["creator"],
        json!({"user_id": "0", "username": "username_0"})
    );
    assert!(
        first["timestamp"].as_str().unwrap().parse::<u64>().is_ok(),
        "{first}"
    );
    let second = &posts[1];
    assert_eq!(
        second["media"],
        json!([{"media_id": "123456789012345678", "media_type": "png"}])
    );
    let mentions: Vec<&str> = second["user_mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(mentions, ["1", "2"]);
    // User 2 follows user 0: both posts reach it.
    let (_, body) = send(
        reqwest::Method::GET,
        "/wrk2-api/home-timeline/read?user_id=2&start=0&stop=10".into(),
        String::new(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, body) = send(
        reqwest::Method::GET,
        "/wrk2-api/user-timeline/read?user_id=0&start=1&stop=11".into(),
        String::new(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["text"]
            .as_str()
            .unwrap(),
        second["text"].as_str().unwrap()
    );
    // DSB's window rules and argument checks.
    let (status, body) = send(
        reqwest::Method::GET,
        "/wrk2-api/user-timeline/read?user_id=0&start=5&stop=5".into(),
        String::new(),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    let (status, body) = send(
        reqwest::Method::POST,
        "/wrk2-api/post/compose".into(),
        "username=username_0".into(),
    )
    .await;
    let refusal: Value = serde_json::from_str(&body).expect("the envelope");
    assert_eq!(
        (status, &refusal["status"], &refusal["errors"][0]["field"]),
        (400, &json!("MissingFieldError"), &json!("user_id"))
    );
    let (status, _) = send(
        reqwest::Method::POST,
        "/wrk2-api/user/register".into(),
        "first_name=a&last_name=b&username=username_0&password=p&user_id=9".into(),
    )
    .await;
    assert_eq!(status, 409, "a taken username");
    let reply = send(
        reqwest::Method::POST,
        "/wrk2-api/user/unfollow".into(),
        "user_id=2&followee_id=0".into(),
    )
    .await;
    assert_eq!(reply, (200, "Success!".into()));
    server.interrupt();
}

/// DeathStarBench's browser routes, `/api/`: register and log in as its pages do, then act as
/// the user the `login_token` cookie names.
#[tokio::test]
async fn browser_api_routes_use_the_login_cookie() {
    use deathstar_handlers::auth::{AuthKey, Claims};
    use reqwest::Method;

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    // Redirects are part of the contract: see them, do not follow them.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    struct Reply {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: String,
    }
    impl Reply {
        fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
                .to_str()
                .unwrap()
        }
        fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
        }
    }
    let send = |method: Method, path: &str, body: &str, token: Option<&str>| {
        let mut request = client
            .request(method, format!("{}{path}", server.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.header("Cookie", format!("theme=dark; login_token={token}"));
        }
        let is_api = path.starts_with("/api/");
        async move {
            let response = request.send().await.unwrap();
            let reply = Reply {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: response.text().await.unwrap(),
            };
            if is_api {
                assert_eq!(reply.header("access-control-allow-origin"), "*");
            }
            reply
        }
    };

    for name in ["alice", "bob", "carol"] {
        let form = format!("first_name={name}&last_name=L&username={name}&password=pw_{name}");
        let reply = send(Method::POST, "/api/user/register", &form, None).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(reply.header("location"), "../../index.html");
    }
    // A user with a DSB id, registered as wrk2 does: lists print it as DSB's integer.
    let form = "first_name=d&last_name=d&username=dave&password=pw&user_id=7";
    assert_eq!(
        send(Method::POST, "/wrk2-api/user/register", form, None)
            .await
            .status,
        200
    );
    let reply = send(Method::POST, "/api/user/register", "username=x", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("first_name"))
    );
    let form = "first_name=a&last_name=b&username=alice&password=p";
    let reply = send(Method::POST, "/api/user/register", form, None).await;
    assert_eq!(reply.status, 409, "a taken username");

    let login = |name: &'static str| {
        let send = &send;
        async move {
            let form = format!("username={name}&password=pw_{name}");
            let reply = send(Method::POST, "/api/user/login", &form, None).await;
            assert_eq!(reply.status, 302, "{}", reply.body);
            assert_eq!(
                reply.header("location"),
                format!("../../main.html?username={name}")
            );
            let cookie = reply.header("set-cookie");
            let token = cookie
                .strip_prefix("login_token=")
                .and_then(|rest| rest.split(';').next())
                .unwrap_or_else(|| panic!("{cookie}"))
                .to_owned();
            assert!(cookie.contains("; Path=/"), "{cookie}");
            assert!(cookie.contains("; Max-Age=86400"), "{cookie}");
            token
        }
    };
    let alice = login("alice").await;
    let bob = login("bob").await;
    let carol = login("carol").await;
    let reply = send(
        Method::POST,
        "/api/user/login",
        "username=alice&password=wrong",
        None,
    )
    .await;
    assert_eq!(reply.status, 401);
    assert!(reply.headers.get("set-cookie").is_none());
    let reply = send(Method::POST, "/api/user/login", "username=alice", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("password"))
    );

    let mut ids = std::collections::HashMap::new();
    for name in ["alice", "bob", "carol"] {
        let (_, reply) = server
            .call("get-user-id", json!({ "username": name }))
            .await;
        ids.insert(name, reply["user_id"].as_str().unwrap().to_owned());
    }

    // Follows by name, as the contact page sends them.
    for (who, whom) in [
        ("bob", "alice"),
        ("carol", "alice"),
        ("dave", "alice"),
        ("alice", "bob"),
    ] {
        let form = format!("user_name={who}&followee_name={whom}");
        let reply = send(Method::POST, "/api/user/follow", &form, None).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(reply.header("location"), "../../contact.html");
    }
    let reply = send(Method::POST, "/api/user/follow", "user_name=bob", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("followee_name"))
    );
    let reply = send(
        Method::POST,
        "/api/user/unfollow",
        "user_name=carol&followee_name=alice",
        None,
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));

    // Compose as create-post.js does (not percent-encoded); the author is the token's user.
    let form = "post_type=0&text=hello @bob http://example.com/x&media_ids=[\"123\"]&media_types=[\"png\"]";
    let reply = send(Method::POST, "/api/post/compose", form, Some(&alice)).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "Successfully upload post")
    );
    let reply = send(
        Method::POST,
        "/api/post/compose",
        "post_type=0",
        Some(&alice),
    )
    .await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("text"))
    );

    let reply = send(
        Method::GET,
        "/api/user-timeline/read?start=0&stop=10",
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let posts = reply.json();
    assert_eq!(posts.as_array().unwrap().len(), 1, "{posts}");
    assert_eq!(
        posts[0]["creator"],
        json!({"user_id": ids["alice"], "username": "alice"})
    );
    assert_eq!(
        posts[0]["media"],
        json!([{"media_id": "123", "media_type": "png"}])
    );
    assert!(
        posts[0]["timestamp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    // Bob follows alice; carol no longer does.
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=0&stop=10",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()[0]["text"], posts[0]["text"]);
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=0&stop=10",
        "",
        Some(&carol),
    )
    .await;
    assert_eq!((reply.status, reply.json()), (200, json!([])));
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=3&stop=3",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "[]"));

    let reply = send(Method::GET, "/api/user/get_follower", "", Some(&alice)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!([{"follower_id": ids["bob"]}, {"follower_id": "7"}])
    );
    let reply = send(Method::GET, "/api/user/get_followee", "", Some(&alice)).await;
    assert_eq!(reply.json(), json!([{"followee_id": ids["bob"]}]));

    // Preflight.
    for path in [
        "/api/post/compose",
        "/api/user/get_followee",
        "/api/user/login",
    ] {
        let reply = send(Method::OPTIONS, path, "", None).await;
        assert_eq!((reply.status, reply.body.as_str()), (204, ""), "{path}");
        assert!(
            reply
                .header("access-control-allow-methods")
                .contains("POST")
        );
    }

    // No token, a token signed with another key, a token whose claims were changed, an
    // expired one (signed with the server's own key, which it keeps in its data directory).
    let forged = AuthKey::new("not the server's").issue(&ids["bob"], "bob");
    let [header, _, signature] = alice.split('.').collect::<Vec<_>>()[..] else {
        panic!("{alice}")
    };
    let bobs_claims = bob.split('.').nth(1).unwrap();
    let tampered = format!("{header}.{bobs_claims}.{signature}");
    let secret = std::fs::read_to_string(dir.path().join("auth-secret")).unwrap();
    let expired = AuthKey::new(secret.trim()).sign(&Claims {
        user_id: ids["alice"].clone(),
        username: "alice".into(),
        timestamp: "1000000000".into(),
        ttl: "3600".into(),
    });
    for token in [
        None,
        Some(""),
        Some("garbage"),
        Some(&forged),
        Some(&tampered),
        Some(&expired),
    ] {
        for (method, path, body) in [
            (Method::POST, "/api/post/compose", "post_type=0&text=sneaky"),
            (Method::GET, "/api/user-timeline/read?start=0&stop=10", ""),
            (Method::GET, "/api/home-timeline/read?start=0&stop=10", ""),
            (Method::GET, "/api/user/get_follower", ""),
            (Method::GET, "/api/user/get_followee", ""),
        ] {
            let reply = send(method, path, body, token).await;
            assert_eq!(reply.status, 401, "{path} with {token:?}: {}", reply.body);
            assert_eq!(
                reply.json()["status"],
                "UnauthorizedError",
                "{}",
                reply.body
            );
        }
    }
    let reply = send(Method::GET, "/api/user-timeline/read?stop=10", "", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("start")),
        "arguments are checked before the token, as DSB does"
    );
    // Nothing was posted by the refused requests.
    let reply = send(
        Method::GET,
        "/api/user-timeline/read?start=0&stop=10",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!(reply.json(), json!([]));
    server.interrupt();
}
