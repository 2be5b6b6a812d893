//! The machine's ceiling for the benchmarks (docs/BENCHMARKS.md): axum's hello world, served
//! the way the project's servers are (multi-threaded Tokio runtime, HTTP/1.1 keep-alive).
//!
//! `cargo run --release -p deathstar-http --example hello -- 127.0.0.1:8081`

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or("127.0.0.1:8081".into());
    // `/healthz` too, so that the same health-check load measures this no-op server.
    let app = Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route("/healthz", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await
}
