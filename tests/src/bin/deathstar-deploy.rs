//! `deathstar-deploy`: a multi-process deployment on this machine, as on OpenFaaS but without
//! Kubernetes: every function in a `deathstar-openfaas` process of its own on a loopback port
//! (or, with `--fused`, compose's call tree in one process), and a stand-in gateway on
//! `--listen` that routes `/function/<name>` to them and serves DeathStarBench's `/wrk2-api/`
//! and `/api/` routes through them; ds-net's pages are at `/function/ds-net/`. Functions
//! call each other through the gateway. The processes share MongoDB and Redis: `MONGO_URI`,
//! `REDIS_SERVER`, `REDIS_PORT` must be set (`scripts/with-services.sh` starts throwaway ones).
//! Stops, with its processes, on Ctrl-C.
//!
//! ```sh
//! cargo build --release -p deathstar-openfaas -p deathstar-tests
//! scripts/with-services.sh target/release/deathstar-deploy --listen 127.0.0.1:8080
//! ```

use deathstar_backends::BackendConfig;
use deathstar_handlers::AuthMode;
use deathstar_tests::processes;

// Every request allocates many small strings and vectors; glibc's malloc took a third of the
// CPU under load (docs/BENCHMARKS.md), mimalloc's thread-local free lists far less. As the
// all-in-one server does, so that a per-function deployment is compared on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: deathstar-deploy [--fused] [--listen ADDR] [--bin PATH] [--secret S] [--auth required|open]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut fused = false;
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut bin = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("deathstar-openfaas")))
        .map_or("deathstar-openfaas".to_owned(), |p| p.display().to_string());
    let mut secret = std::env::var("DS_AUTH_SECRET").unwrap_or_else(|_| "deathstar".into());
    // As every adapter: DS_AUTH, `required` unless said otherwise.
    let mut auth = std::env::var("DS_AUTH").unwrap_or_else(|_| "required".into());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--fused" => fused = true,
            "--listen" => listen = value("--listen"),
            "--bin" => bin = value("--bin"),
            "--secret" => secret = value("--secret"),
            "--auth" => auth = value("--auth"),
            _ => {
                eprintln!("{USAGE}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let mode: AuthMode = match auth.parse() {
        Ok(mode) => mode,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let config = BackendConfig::from_env();
    if config.mongo_uri.is_none() || config.redis_server.is_none() {
        eprintln!("MONGO_URI and REDIS_SERVER must be set (scripts/with-services.sh sets them)");
        return std::process::ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let groups = processes::layout(fused);
    let count = groups.len();
    let deployment = processes::launch(&bin, groups, &config, &secret, mode, &[], listener).await;
    eprintln!(
        "deathstar-deploy: {count} processes ({}, DS_AUTH={mode}), gateway at {url}, the web pages at {url}/function/ds-net/; Ctrl-C stops them",
        if fused {
            "compose fused"
        } else {
            "one per function"
        },
        url = deployment.gateway_url
    );
    // SIGTERM too (what a script's `kill` sends; a background job ignores SIGINT): dropping the
    // deployment stops its processes, which a TERM that ended this one at once left running.
    deathstar_startup::shutdown_signal().await;
    drop(deployment);
    std::process::ExitCode::SUCCESS
}
