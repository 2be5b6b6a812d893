//! The machine's ceiling for the benchmarks (docs/BENCHMARKS.md): axum's hello world, served
//! the way the project's servers are (multi-threaded Tokio runtime, HTTP/1.1 keep-alive,
//! `TCP_NODELAY`).
//!
//! `cargo run --release -p deathstar-http --example hello -- 127.0.0.1:8081`

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or("127.0.0.1:8081".into());
    // `/healthz` too, so that the same health-check load measures this no-op server.
    let app = Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route("/healthz", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(&listen)
        .await?
        .tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
    axum::serve(listener, app).await
}
