//! What a Lambda bootstrap refuses before it asks the runtime for an event: an empty signing
//! secret would let anyone forge login tokens, so a set-but-empty `DS_AUTH_SECRET` stops it.

use std::process::Command;

#[test]
fn an_empty_auth_secret_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_get-user-id"))
        .env("DS_DATA_DIR", dir.path())
        .env("DS_AUTH_SECRET", "")
        .env_remove("MONGO_URI")
        .env_remove("REDIS_SERVER")
        .output()
        .expect("the bootstrap runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with an empty secret");
    assert!(stderr.contains("DS_AUTH_SECRET is empty"), "{stderr}");
}
