//! The ds-net scenario in a real browser: `tests/browser/scenario.mjs` (Playwright driving
//! Debian's Chromium) against a deployment's pages. The tools come from
//! `scripts/browser-tools.sh` (`DS_CHROMIUM`, `DS_PLAYWRIGHT`), which `scripts/test.sh` runs;
//! without them the tests say they are skipped, or fail under `DS_REQUIRE_BACKENDS=1`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// Longest a scenario may take: it takes a few seconds; a hung browser must not hang the suite.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Whether the browser tools are here; `false` (skip) only where they need not be.
pub fn available() -> bool {
    let found = ["DS_CHROMIUM", "DS_PLAYWRIGHT"]
        .iter()
        .all(|name| std::env::var_os(name).is_some());
    if !found {
        crate::skip_without(
            "Chromium/Playwright (DS_CHROMIUM, DS_PLAYWRIGHT)",
            "eval \"$(scripts/browser-tools.sh)\"",
        );
    }
    found
}

/// Runs the scenario against the pages at `base` (e.g. `http://127.0.0.1:8080/`); with
/// `DS_UPDATE_SCREENSHOTS=1` and `screenshots`, saves the README's screenshots there.
/// Panics with the scenario's output if it fails.
pub async fn run_scenario(base: &str, screenshots: Option<&str>) {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(workspace().join("tests/browser/scenario.mjs"))
        .arg(base)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = screenshots
        && std::env::var("DS_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1")
    {
        command.arg(workspace().join(dir));
    }
    let child = command
        .spawn()
        .expect("node runs (scripts/browser-tools.sh installs it)");
    let output = tokio::time::timeout(SCENARIO_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the browser scenario took over {SCENARIO_TIMEOUT:?}"))
        .expect("the scenario's output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "the browser scenario failed at {base}:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}
