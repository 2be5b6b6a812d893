//! Storage outages: while Redis or MongoDB is down or hung, calls answer within their timeout
//! with a 503 `StorageUnavailableError` (or are served from MongoDB, when only the Redis
//! cache is missing); when the server is back, the same process serves again by itself, and no
//! post is lost. Each test runs its own server process, so stopping it disturbs no other test.
//! Needs `MONGO_URI` and the server binaries `scripts/with-services.sh` provides.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deathstar_backends::BackendConfig;
use deathstar_tests::{Backend, Net, texts};
use serde_json::{Value, json};

const STORE_TIMEOUT: Duration = Duration::from_secs(1);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process of our own, on a fixed port so that it can come back on it.
struct Server {
    program: String,
    args: Vec<String>,
    port: u16,
    child: Option<Child>,
}

impl Server {
    fn start(program: &str, args: Vec<String>, port: u16) -> Server {
        let mut server = Server {
            program: program.to_owned(),
            args,
            port,
            child: None,
        };
        server.restart();
        server
    }

    fn restart(&mut self) {
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program));
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} never came up",
                self.program
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A hung (SIGSTOPped) server must be woken to die cleanly.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.stop();
    }
}

fn redis_server() -> Server {
    redis_server_with(&[])
}

/// A redis-server on a free loopback port, with `extra` configuration.
fn redis_server_with(extra: &[&str]) -> Server {
    let program = std::env::var("DS_REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
    let port = free_port();
    let args = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    let args = args.iter().chain(extra).map(|a| a.to_string()).collect();
    Server::start(&program, args, port)
}

fn ferretdb(dir: &std::path::Path) -> Server {
    let program =
        std::env::var("DS_FERRETDB_BIN").expect("DS_FERRETDB_BIN (scripts/with-services.sh)");
    let port = free_port();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let args = vec![
        "--handler=sqlite".to_owned(),
        format!("--sqlite-url=file:{}/", dir.join("data").display()),
        format!("--state-dir={}", dir.display()),
        format!("--listen-addr=127.0.0.1:{port}"),
        "--telemetry=disable".to_owned(),
        "--debug-addr=-".to_owned(),
        "--log-level=error".to_owned(),
    ];
    Server::start(&program, args, port)
}

/// The test's configuration, or `None` (skip) where the suite has no MongoDB.
fn config() -> Option<BackendConfig> {
    let shared = Backend::MongoRedis.config()?;
    Some(BackendConfig {
        timeout: STORE_TIMEOUT,
        ..shared
    })
}

async fn compose(net: &Net, user_id: &str, text: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let body = json!({"user_id": user_id, "username": "alice", "post_type": 0, "text": text});
    let reply = net.call("compose-post-frontend", body).await;
    (reply.status, reply.body, started.elapsed())
}

/// Retries `compose` until it succeeds: the first calls after a restart may meet the dead
/// connection before the reconnect.
async fn compose_when_back(net: &Net, user_id: &str, text: &str) {
    let started = Instant::now();
    loop {
        let (status, body, _) = compose(net, user_id, text).await;
        if status == 200 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never recovered: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_redis_outage_is_a_503_and_loses_no_post() {
    let Some(config) = config() else { return };
    let mut redis = redis_server();
    let config = BackendConfig {
        redis_server: Some("127.0.0.1".into()),
        redis_port: Some(redis.port),
        ..config
    };
    let net = Net::over_http_on(config).await;
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    net.compose(&alice, "alice", "one").await;
    assert_eq!(texts(&net.timeline("home", &bob, 0, 10).await), ["one"]);

    // Hung: every Redis command times out.
    redis.signal("-STOP");
    let (status, body, took) = compose(&net, &alice, "while hung").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{body}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    redis.signal("-CONT");

    // Down: the cache is gone; writes are refused, reads come from MongoDB.
    redis.stop();
    let (status, body, took) = compose(&net, &alice, "while down").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{body}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(texts(&net.timeline("home", &bob, 0, 10).await), ["one"]);
    assert_eq!(texts(&net.timeline("user", &alice, 0, 10).await), ["one"]);

    // Back, empty: the same process serves again and rebuilds timelines from MongoDB.
    redis.restart();
    compose_when_back(&net, &alice, "two").await;
    assert_eq!(
        texts(&net.timeline("home", &bob, 0, 10).await),
        ["two", "one"]
    );
    assert_eq!(
        texts(&net.timeline("user", &alice, 0, 10).await),
        ["two", "one"]
    );
    net.compose(&alice, "alice", "three").await;
    assert_eq!(
        texts(&net.timeline("home", &bob, 0, 10).await),
        ["three", "two", "one"]
    );
}

/// Every function over HTTP on the MongoDB at `port` and no Redis, so that nothing answers
/// from a cache while MongoDB is stopped or hung.
async fn over_http_on_mongo_alone(shared: BackendConfig, port: u16) -> Net {
    let config = BackendConfig {
        mongo_uri: Some(format!("mongodb://127.0.0.1:{port}/")),
        redis_server: None,
        ..shared
    };
    Net::over_http_on(config).await
}

#[tokio::test]
async fn a_mongodb_outage_is_a_503_and_recovers() {
    let Some(shared) = config() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut mongo = ferretdb(dir.path());
    let net = over_http_on_mongo_alone(shared, mongo.port).await;
    let alice = net.register("alice").await;
    net.compose(&alice, "alice", "one").await;

    mongo.stop();
    let started = Instant::now();
    let reply = net.call("get-user-id", json!({"username": "alice"})).await;
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{}",
        reply.body
    );
    let (status, body, took) = compose(&net, &alice, "while down").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "took {took:?}");

    mongo.restart();
    compose_when_back(&net, &alice, "two").await;
    assert_eq!(
        texts(&net.timeline("user", &alice, 0, 10).await),
        ["two", "one"]
    );
}

#[tokio::test]
async fn a_hung_mongodb_is_a_503_within_the_store_timeout_and_recovers() {
    let Some(shared) = config() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mongo = ferretdb(dir.path());
    let net = over_http_on_mongo_alone(shared, mongo.port).await;
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    net.compose(&alice, "alice", "one").await;

    // Hung mid-flow: the server holds its connections open and answers nothing. Each call
    // gives up after one store timeout; a call making several storage calls in a row gives up
    // at the first.
    mongo.signal("-STOP");
    // Room for the rest of the call on a loaded machine; without the bound it takes seconds more.
    let margin = Duration::from_secs(1);
    let started = Instant::now();
    let reply = net.call("get-user-id", json!({"username": "alice"})).await;
    let took = started.elapsed();
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{}",
        reply.body
    );
    assert!(took < STORE_TIMEOUT + margin, "a read took {took:?}");
    let (status, body, took) = compose(&net, &alice, "while hung").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("StorageUnavailableError")),
        "{body}"
    );
    assert!(took < STORE_TIMEOUT + margin, "a compose took {took:?}");
    let started = Instant::now();
    let page = net
        .call(
            "home-timeline-read-frontend",
            json!({"user_id": bob, "start": 0, "stop": 10}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        took < STORE_TIMEOUT + margin,
        "a timeline read took {took:?}"
    );

    // Woken: the same process serves again, on connections of a recovered pool.
    mongo.signal("-CONT");
    compose_when_back(&net, &alice, "two").await;
    let reads = (0..16).map(|_| net.timeline("home", &bob, 0, 10));
    for page in futures::future::join_all(reads).await {
        let texts = texts(&page);
        // What was answered 200 is there, newest first. The compose answered 503 while hung
        // may have been stored once the server woke, as any write whose answer timed out.
        assert_eq!(texts.first(), Some(&"two"), "{texts:?}");
        assert!(texts.contains(&"one"), "{texts:?}");
    }
    net.compose(&alice, "alice", "three").await;
    assert_eq!(texts(&net.timeline("user", &alice, 0, 1).await), ["three"]);
}

/// One read through the Redis post cache at `address`: it succeeds, or fails within the store
/// timeout (a refused login or handshake never hangs a call).
async fn read_through(
    address: &deathstar_backends::redis::Server<'_>,
) -> Result<(), deathstar_handlers::store::StoreError> {
    use deathstar_handlers::store::PostCache;
    let cache =
        deathstar_backends::redis::Redis::new(address, STORE_TIMEOUT, "credentials_")?.post_cache();
    let started = Instant::now();
    let read = cache.get_many(&["1".to_owned()]).await;
    assert!(
        started.elapsed() < STORE_TIMEOUT * 3,
        "{:?}",
        started.elapsed()
    );
    read.map(drop)
}

/// A Redis that requires a password (`requirepass`) or an ACL user's is reached with it; without
/// it, or with another user's, a call is refused (503, never a hang).
#[tokio::test]
async fn a_redis_with_a_password_or_an_acl_user_is_reached_only_with_it() {
    use deathstar_backends::redis::Server as Address;

    if config().is_none() {
        return;
    }
    let acl_user = ["--user", "ds", "on", ">ds pass ✓", "~*", "&*", "+@all"];
    let server = redis_server_with(&[&["--requirepass", "s3cret:@/ü"][..], &acl_user].concat());
    let cases = [
        (None, Some("s3cret:@/ü"), true),
        (Some("ds"), Some("ds pass ✓"), true),
        (None, None, false),
        (None, Some("wrong"), false),
        (Some("ds"), Some("s3cret:@/ü"), false),
    ];
    for (username, password, reached) in cases {
        let address = Address {
            host: "127.0.0.1",
            port: server.port,
            username,
            password,
            tls: None,
        };
        let read = read_through(&address).await;
        assert_eq!(read.is_ok(), reached, "{username:?}/{password:?}: {read:?}");
    }
}

/// A Redis behind TLS is reached with `rediss://` and the authority that signed its
/// certificate; not with the system's roots alone (a certificate of nobody's), nor in plain text.
#[tokio::test]
async fn a_redis_behind_tls_is_reached_with_its_authority_only() {
    use deathstar_backends::redis::{Server as Address, Tls};

    if config().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(
        path("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test authority",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.crt"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &path("server.key"),
        "-out",
        &path("server.csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-days",
        "1",
        "-in",
        &path("server.csr"),
        "-CA",
        &path("ca.crt"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-extfile",
        &path("san.ext"),
        "-out",
        &path("server.crt"),
    ]);
    let program = std::env::var("DS_REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
    let port = free_port();
    let args = [
        "--port",
        "0",
        "--tls-port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--tls-cert-file",
        &path("server.crt"),
        "--tls-key-file",
        &path("server.key"),
        "--tls-ca-cert-file",
        &path("ca.crt"),
        "--tls-auth-clients",
        "no",
        "--requirepass",
        "pw",
    ];
    let _server = Server::start(&program, args.map(str::to_owned).to_vec(), port);
    let authority = std::fs::read(path("ca.crt")).unwrap();
    let cases = [
        (
            Some(Tls {
                ca_pem: Some(&authority),
            }),
            true,
        ),
        (Some(Tls { ca_pem: None }), false),
        (None, false),
    ];
    for (tls, reached) in cases {
        let address = Address {
            host: "127.0.0.1",
            port,
            username: None,
            password: Some("pw"),
            tls,
        };
        let read = read_through(&address).await;
        assert_eq!(read.is_ok(), reached, "{tls:?}: {read:?}");
    }
}
