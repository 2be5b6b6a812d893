//! The server span of a request at an edge that is no function itself: DeathStarBench's routes
//! (`/wrk2-api/`, `/api/`; DSB's nginx records one per request too) and the web pages. The
//! functions those call are its children; without it their parent would be a span no process
//! exports, and no trace through these routes would have a root.
//!
//! [`record`] is a route layer (it names the span after the matched route); the extractors that
//! build a request's `CallMeta` take its trace from [`of_request`].

use axum::extract::{MatchedPath, Request};
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::Response;
use deathstar_handlers::spans::{self, SpanKind};
use deathstar_handlers::trace::TraceContext;

/// The edge span's trace context, left in the request for its `CallMeta`.
#[derive(Debug, Clone, Copy)]
struct EdgeTrace(TraceContext);

/// Records the request as a server span `<method> <route>` when its trace is recorded. The
/// request's calls belong to the span either way: one sampling decision per request.
pub async fn record(route: Option<MatchedPath>, mut request: Request, next: Next) -> Response {
    let trace = crate::context::trace(request.headers());
    request.extensions_mut().insert(EdgeTrace(trace));
    let method = request.method().clone();
    let name = || {
        let route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str);
        format!("{method} {route}")
    };
    let Some(span) = spans::start(&trace, SpanKind::Server, name) else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    let code = response.status().as_u16();
    let route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str);
    let attributes = vec![
        ("http.request.method", method.as_str().into()),
        ("http.route", route.into()),
        ("http.response.status_code", i64::from(code).into()),
    ];
    span.finish(attributes, (code >= 500).then(|| format!("HTTP {code}")));
    response
}

/// The trace of the request's edge span, where [`record`] runs.
pub fn of_request(extensions: &Extensions) -> Option<TraceContext> {
    extensions.get::<EdgeTrace>().map(|edge| edge.0)
}
