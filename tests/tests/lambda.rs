//! The Lambda bootstraps as processes: what one refuses at start-up, and the whole-network
//! flows with every function as a bootstrap under `cargo lambda watch` (AWS's local emulator,
//! one process per function), calls between functions going through the Lambda invoker
//! against watch's Invoke API.
//!
//! Here, not in the Lambda crate's own tests: there, `cargo test` would link all 31
//! bootstraps once more for the tests, with the test build's features, beside the build that
//! `cargo lambda watch` runs (2.4 GB of disk and as many link steps). Here the one build is
//! `cargo build -p deathstar-lambda --bins`, which watch then reuses.
//!
//! Needs `cargo lambda` (`DS_PLATFORM_BIN` from `scripts/platform-tools.sh`) and MongoDB +
//! Redis (the bootstraps are separate processes, so they cannot share an embedded store).
//! Without them the tests skip, unless `DS_REQUIRE_BACKENDS=1`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deathstar_handlers::auth::AuthKey;
use deathstar_lambda::invoker::LambdaInvoker;
use deathstar_tests::{Backend, Net, TEST_SECRET, flows_on};

/// `cargo lambda watch` and the function processes it started, stopped together.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        // Its own process group: kill the emulator and every bootstrap it runs.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// The workspace's root.
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The bootstraps, built once (as `cargo lambda watch` builds them, so that it finds them
/// built instead of building each on its first call, all at once); the directory they are in.
async fn bootstraps() -> PathBuf {
    static BUILT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let status = tokio::process::Command::new(env!("CARGO"))
                .args(["build", "-p", "deathstar-lambda", "--bins"])
                .current_dir(WORKSPACE)
                .status()
                .await
                .unwrap();
            assert!(status.success(), "building the bootstraps failed");
        })
        .await;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(WORKSPACE).join("target"), PathBuf::from);
    target.join("debug")
}

/// An empty signing secret would let anyone forge login tokens, so a set-but-empty
/// `DS_AUTH_SECRET` stops a bootstrap before it asks the runtime for an event.
#[tokio::test]
async fn an_empty_auth_secret_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(bootstraps().await.join("get-user-id"))
        .env("DS_DATA_DIR", dir.path())
        .env("DS_AUTH_SECRET", "")
        .env_remove("MONGO_URI")
        .env_remove("REDIS_SERVER")
        .output()
        .expect("the bootstrap runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with an empty secret");
    assert!(stderr.contains("(DS_AUTH_SECRET) is empty"), "{stderr}");
}

async fn watch() -> Option<Net> {
    let (watch, endpoint) = start_watch().await?;
    // The test calls functions the way they call each other.
    let invoker = aws_invoker(&endpoint).await;
    Some(Net::via_invoker(Arc::new(invoker), vec![Box::new(watch)]))
}

/// `cargo lambda watch` serving every bootstrap, and its address.
async fn start_watch() -> Option<(Watch, String)> {
    start_watch_with(&[]).await
}

/// [`start_watch`], with `env` added to every bootstrap's environment.
async fn start_watch_with(env: &[(&'static str, String)]) -> Option<(Watch, String)> {
    let config = Backend::MongoRedis.config()?;
    let Ok(platform_bin) = std::env::var("DS_PLATFORM_BIN") else {
        deathstar_tests::skip_without(
            "cargo lambda (DS_PLATFORM_BIN)",
            "scripts/platform-tools.sh provides it",
        );
        return None;
    };
    bootstraps().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let path = format!(
        "{platform_bin}:{}",
        std::env::var("PATH").unwrap_or_default()
    );
    // Every variable reaches the bootstraps: watch passes its environment on.
    let mut command = Command::new(env!("CARGO"));
    command
        .args([
            "lambda",
            "watch",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .args(["--package", "deathstar-lambda"])
        .current_dir(WORKSPACE)
        .env("PATH", path)
        .env("DS_AUTH_SECRET", TEST_SECRET)
        .env("DS_PASSWORD_COST", "minimal")
        .env("DS_NAMESPACE", &config.namespace)
        .env("MONGO_URI", config.mongo_uri.as_deref().unwrap())
        .env("REDIS_SERVER", config.redis_server.as_deref().unwrap())
        .env("REDIS_PORT", config.redis_port.unwrap_or(6379).to_string())
        .env("AWS_ENDPOINT_URL_LAMBDA", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("RUST_LOG", "warn")
        // watch strips `/lambda-url/ds-net` before the pages see the path.
        .env("DS_WEB_BASE", "/lambda-url/ds-net")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let watch = Watch(command.spawn().expect("cargo lambda watch starts"));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "watch never listened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    Some((watch, endpoint))
}

/// The `ds-net` bootstrap's pages at its Function URL under `cargo lambda watch`, every page
/// calling the other bootstraps through the Invoke API, in `DS_AUTH=required`: the whole
/// browser scenario (tests/browser/scenario.mjs).
#[tokio::test]
async fn the_browser_scenario_runs_on_cargo_lambda_watch() {
    if !deathstar_tests::browser::available() {
        return;
    }
    let Some((_watch, endpoint)) = start_watch().await else {
        return;
    };
    deathstar_tests::browser::run_scenario(&format!("{endpoint}/lambda-url/ds-net/"), None).await;
}

/// A compose at the frontend's Function URL, every function a bootstrap exporting to a real
/// Jaeger, reads back as one trace across the bootstraps. Their batch processors would wait a
/// minute to send: the spans arrive at once only because each invocation flushes its own
/// before it replies, as a Lambda must before it is frozen.
#[tokio::test]
async fn a_compose_on_cargo_lambda_watch_is_one_trace_flushed_per_invocation() {
    use deathstar_tests::jaeger::Jaeger;
    let Some(jaeger) = Jaeger::start().await else {
        return;
    };
    let mut env = jaeger.exporting();
    env.retain(|(key, _)| *key != "OTEL_BSP_SCHEDULE_DELAY");
    env.push(("OTEL_BSP_SCHEDULE_DELAY", "60000".into()));
    let Some((watch, endpoint)) = start_watch_with(&env).await else {
        return;
    };
    let net = Net::via_invoker(
        Arc::new(aws_invoker(&endpoint).await),
        vec![Box::new(watch)],
    );
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    let login = net
        .ok(
            "user-service-login",
            serde_json::json!({"username": "alice", "password": "pw-alice"}),
        )
        .await;
    let url = format!("{endpoint}/lambda-url/compose-post-frontend");
    let token = login["token"].as_str();
    let (trace, client_span) = jaeger.traced_compose(&url, &alice, token).await;
    trace.check_compose_tree(&client_span);
    println!("{}", trace.render());
}

/// The bootstraps' Invoke API, called as a function of the deployment calls it: its calls carry
/// a proof signed with the deployment's secret, so the default `DS_AUTH=required` admits them
/// (and they act for the users their bodies name).
async fn aws_invoker(endpoint: &str) -> LambdaInvoker {
    let key = AuthKey::new(TEST_SECRET);
    LambdaInvoker::local(endpoint, Duration::from_secs(120), key).await
}

flows_on!(cargo_lambda_watch, watch().await);
