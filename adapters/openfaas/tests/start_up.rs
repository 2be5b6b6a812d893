//! What `deathstar-openfaas` refuses before it serves anything: an empty signing secret would
//! let anyone forge login tokens, so a set-but-empty `DS_AUTH_SECRET` stops the process.

use std::process::Command;

#[test]
fn an_empty_auth_secret_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_deathstar-openfaas"))
        .env("DS_FUNCTIONS", "get-user-id")
        .env("DS_LISTEN", "127.0.0.1:0")
        .env("DS_DATA_DIR", dir.path())
        .env("DS_AUTH_SECRET", " ")
        .env_remove("MONGO_URI")
        .env_remove("REDIS_SERVER")
        .output()
        .expect("deathstar-openfaas runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with an empty secret");
    assert!(stderr.contains("(DS_AUTH_SECRET) is empty"), "{stderr}");
}
