//! The `deathstar` binary as a newcomer runs it, opened in Chromium at `/`: the whole ds-net
//! scenario (tests/browser/scenario.mjs) in `DS_AUTH=required`, on embedded storage. With
//! `DS_UPDATE_SCREENSHOTS=1` it also retakes the README's screenshots (docs/screenshots).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, stopped with the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_browser_scenario_runs_on_the_local_server() {
    if !deathstar_tests::browser::available() {
        return;
    }
    let data_dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_deathstar"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("RUST_LOG", "warn")
            .env("DS_AUTH", "required")
            .env("DS_PASSWORD_COST", "minimal")
            .env_remove("MONGO_URI")
            .env_remove("REDIS_SERVER")
            .stdout(Stdio::null())
            .spawn()
            .expect("deathstar starts"),
    );
    let base = format!("http://127.0.0.1:{port}/");
    let started = Instant::now();
    while reqwest::get(format!("{base}healthz")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    deathstar_tests::browser::run_scenario(&base, Some("docs/screenshots")).await;
}
