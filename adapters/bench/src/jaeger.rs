//! Fetching the sampled requests' traces from Jaeger's query API (`GET <base>/api/traces/<id>`,
//! its v1 JSON), the I/O half of `run --traces`; [`crate::breakdown`] does the arithmetic.
//!
//! Servers export through batch processors, so a run's last spans reach Jaeger up to a
//! schedule delay (`OTEL_BSP_SCHEDULE_DELAY`, 5 s by default) after the last response: before
//! fetching, [`wait_for_export`] polls the last few sampled traces until their span counts
//! stop changing, within a bound. Fetches then run a few at a time (Jaeger answers from
//! memory, but it shares the machine). The JSON is read into serde structs that name only the
//! fields used; anything else Jaeger sends is ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;

use crate::breakdown::{Breakdown, Fetched, Span, TraceSample, breakdown};
use crate::traced::Sampled;

/// Traces fetched at once.
const CONCURRENCY: usize = 8;
/// The last sampled traces [`Jaeger::wait_for_export`] watches.
const PROBES: usize = 3;

/// `GET /api/traces/<id>`.
#[derive(Debug, Deserialize)]
struct TracesResponse {
    #[serde(default)]
    data: Option<Vec<JaegerTrace>>,
}

#[derive(Debug, Deserialize)]
struct JaegerTrace {
    #[serde(default)]
    spans: Vec<JaegerSpan>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JaegerSpan {
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    #[serde(default)]
    references: Vec<JaegerReference>,
    /// µs since the epoch.
    start_time: i64,
    /// µs.
    duration: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JaegerReference {
    #[serde(default)]
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

fn span_id(hex: &str) -> Option<u64> {
    u64::from_str_radix(hex, 16).ok()
}

/// The spans of a query-API answer (all traces in it, though one is asked for); a span whose
/// id is not hex is left out, a reference that is not is no parent.
pub fn parse_trace(body: &[u8]) -> Result<Vec<Span>> {
    let response: TracesResponse =
        serde_json::from_slice(body).context("reading Jaeger's trace JSON")?;
    let spans = response
        .data
        .unwrap_or_default()
        .into_iter()
        .flat_map(|t| t.spans)
        .filter_map(|s| {
            // CHILD_OF is the parent; FOLLOWS_FROM only if there is nothing else.
            let parent = s
                .references
                .iter()
                .find(|r| r.ref_type == "CHILD_OF")
                .or_else(|| s.references.first())
                .and_then(|r| span_id(&r.span_id));
            Some(Span {
                id: span_id(&s.span_id)?,
                parent,
                name: s.operation_name,
                start_us: s.start_time,
                duration_us: s.duration,
            })
        })
        .collect();
    Ok(spans)
}

/// The query API at `base` (e.g. `http://127.0.0.1:16686`).
#[derive(Debug, Clone)]
pub struct Jaeger {
    http: Client,
    base: Url,
}

/// Checks that `base` is an http(s) URL without query or fragment; the trailing slash is
/// dropped.
pub fn parse_query_url(base: &str) -> Result<Url> {
    let url = Url::parse(base).with_context(|| format!("--traces {base:?} is not a URL"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        bail!("--traces {base:?} must be an http:// or https:// URL (Jaeger's query API)");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("--traces {base:?} must not have a query or fragment");
    }
    Ok(url)
}

impl Jaeger {
    pub fn new(base: &str) -> Result<Self> {
        let base = parse_query_url(base)?;
        let http = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the query API's HTTP client")?;
        Ok(Jaeger { http, base })
    }

    fn trace_url(&self, trace_hex: &str) -> String {
        format!(
            "{}/api/traces/{trace_hex}",
            self.base.as_str().trim_end_matches('/')
        )
    }

    /// One trace: found, missing (404 or no spans), or why the query failed.
    pub async fn fetch(&self, trace_hex: &str) -> Fetched {
        let response = match self.http.get(self.trace_url(trace_hex)).send().await {
            Ok(r) => r,
            Err(e) => return Fetched::Failed(crate::client::classify(&e)),
        };
        match response.status() {
            StatusCode::NOT_FOUND => return Fetched::Missing,
            s if !s.is_success() => return Fetched::Failed(format!("HTTP {}", s.as_u16())),
            _ => {}
        }
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Fetched::Failed(crate::client::classify(&e)),
        };
        match parse_trace(&body) {
            Ok(spans) if spans.is_empty() => Fetched::Missing,
            Ok(spans) => Fetched::Found(spans),
            Err(e) => Fetched::Failed(format!("{e:#}")),
        }
    }

    /// Checks the query API answers at all (a 404 for an unknown trace is an answer), so a
    /// wrong `--traces` fails before the run rather than after it.
    pub async fn check(&self) -> Result<()> {
        let url = self.trace_url("00000000000000000000000000000001");
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("--traces: the query API at {url} does not answer"))?;
        if response.status().is_server_error() {
            bail!("--traces: {url} answered {}", response.status());
        }
        Ok(())
    }

    async fn span_count(&self, trace_hex: &str) -> usize {
        match self.fetch(trace_hex).await {
            Fetched::Found(spans) => spans.len(),
            Fetched::Missing | Fetched::Failed(_) => 0,
        }
    }

    /// Waits until the span counts of `probes` (the last traces sampled) are non-zero and the
    /// same on two polls `interval` apart, or `bound` has passed; says which on stderr.
    pub async fn wait_for_export(&self, probes: &[String], interval: Duration, bound: Duration) {
        if probes.is_empty() {
            return;
        }
        let deadline = Instant::now() + bound;
        let started = Instant::now();
        let mut previous: Vec<usize> = Vec::new();
        loop {
            let mut counts = Vec::with_capacity(probes.len());
            for probe in probes {
                counts.push(self.span_count(probe).await);
            }
            if counts == previous && counts.iter().all(|&n| n > 0) {
                eprintln!(
                    "traces: exported spans settled after {:.1}s",
                    started.elapsed().as_secs_f64()
                );
                return;
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "traces: span counts of the last traces still changing (or zero) after \
                     {:.1}s: {counts:?}; fetching anyway",
                    bound.as_secs_f64()
                );
                return;
            }
            previous = counts;
            tokio::time::sleep(interval).await;
        }
    }

    /// Fetches `traces`, `concurrency` at a time; results in the same order.
    pub async fn fetch_all(&self, traces: &[String], concurrency: usize) -> Vec<Fetched> {
        let traces: Arc<Vec<String>> = Arc::new(traces.to_vec());
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (jaeger, traces, next) = (self.clone(), traces.clone(), next.clone());
            workers.spawn(async move {
                let mut got = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(trace) = traces.get(i) else {
                        return got;
                    };
                    got.push((i, jaeger.fetch(trace).await));
                }
            });
        }
        let mut results = vec![Fetched::Missing; traces.len()];
        while let Some(done) = workers.join_next().await {
            match done {
                Ok(got) => got.into_iter().for_each(|(i, f)| results[i] = f),
                // A worker that panicked leaves its traces "missing"; never seen, but not fatal.
                Err(e) => eprintln!("traces: a fetch worker failed: {e}"),
            }
        }
        results
    }
}

/// After a run: waits for the export of `sampled`'s last traces (at most `wait`), fetches at
/// most `limit` of them chosen at random, and breaks them down.
pub async fn collect(
    jaeger: &Jaeger,
    ratio: f64,
    mut sampled: Vec<Sampled>,
    limit: usize,
    wait: Duration,
) -> Breakdown {
    let total = sampled.len() as u64;
    // `sampled` is in finishing order: the last ones are exported last.
    let probes: Vec<String> = sampled
        .iter()
        .rev()
        .take(PROBES)
        .map(|s| s.tag.trace_hex())
        .collect();
    jaeger
        .wait_for_export(&probes, Duration::from_millis(500), wait)
        .await;
    if sampled.len() > limit {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        sampled.shuffle(&mut rand::rngs::SmallRng::from_os_rng());
        sampled.truncate(limit);
        eprintln!("traces: fetching {limit} of {total} sampled (--trace-limit)");
    }
    let ids: Vec<String> = sampled.iter().map(|s| s.tag.trace_hex()).collect();
    let started = Instant::now();
    let fetched = jaeger.fetch_all(&ids, CONCURRENCY).await;
    eprintln!(
        "traces: fetched {} traces in {:.1}s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    let samples: Vec<TraceSample> = sampled
        .iter()
        .zip(fetched)
        .map(|(s, fetched)| TraceSample {
            kind: s.kind,
            latency_us: s.latency_us,
            client_span: s.tag.span_id,
            fetched,
        })
        .collect();
    breakdown(jaeger.base.as_str(), ratio, total, &samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a compose's trace as Jaeger v1.76 returns it, with fields the parser
    /// does not use (tags, logs, processes, warnings) kept in.
    const TRACE: &str = r#"{"data":[{"traceID":"0123456789abcdef0011223344556677","spans":[
      {"traceID":"0123456789abcdef0011223344556677","spanID":"00000000000000a1","flags":1,
       "operationName":"compose-post-frontend","references":[{"refType":"CHILD_OF",
       "traceID":"0123456789abcdef0011223344556677","spanID":"00000000000000c1"}],
       "startTime":1764684000000000,"duration":2500,"tags":[{"key":"faas.trigger","type":"string",
       "value":"http"},{"key":"http.response.status_code","type":"int64","value":200}],
       "logs":[],"processID":"p1","warnings":["invalid parent span IDs=00000000000000c1; skipping clock skew adjustment"]},
      {"traceID":"0123456789abcdef0011223344556677","spanID":"b2","operationName":"posts insert",
       "references":[{"refType":"CHILD_OF","traceID":"0123456789abcdef0011223344556677",
       "spanID":"00000000000000a1"}],"startTime":1764684000000100,"duration":900,"tags":[],
       "processID":"p1"},
      {"spanID":"not hex","operationName":"x","startTime":0,"duration":1}],
      "processes":{"p1":{"serviceName":"deathstar","tags":[]}},"warnings":null}],
      "total":0,"limit":0,"offset":0,"errors":null}"#;

    #[test]
    fn jaeger_json_becomes_spans() {
        let spans = parse_trace(TRACE.as_bytes()).unwrap();
        assert_eq!(
            spans,
            [
                Span {
                    id: 0xa1,
                    parent: Some(0xc1),
                    name: "compose-post-frontend".into(),
                    start_us: 1_764_684_000_000_000,
                    duration_us: 2500,
                },
                Span {
                    id: 0xb2,
                    parent: Some(0xa1),
                    name: "posts insert".into(),
                    start_us: 1_764_684_000_000_100,
                    duration_us: 900,
                },
            ]
        );
        assert!(
            parse_trace(br#"{"data":null,"errors":[{"code":404}]}"#)
                .unwrap()
                .is_empty()
        );
        assert!(parse_trace(b"<html>").is_err());
    }

    #[test]
    fn query_urls_are_checked() {
        assert!(parse_query_url("http://127.0.0.1:16686/").is_ok());
        for bad in ["127.0.0.1:16686", "ftp://h/", "http://h/?x=1"] {
            assert!(parse_query_url(bad).is_err(), "{bad}");
        }
        let j = Jaeger::new("http://127.0.0.1:16686/").unwrap();
        assert_eq!(j.trace_url("ab"), "http://127.0.0.1:16686/api/traces/ab");
    }

    /// A stand-in query API: trace `…01` has two spans, `…02` answers 500, others 404.
    async fn query_api() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let (status, body) =
                        if head.contains("/api/traces/0000000000000000000000000000000a ") {
                            ("200 OK", TRACE)
                        } else if head.contains("/api/traces/0000000000000000000000000000000b ") {
                            ("500 Internal Server Error", "boom")
                        } else {
                            (
                                "404 Not Found",
                                r#"{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}"#,
                            )
                        };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn fetches_count_missing_and_failed_traces() {
        let jaeger = Jaeger::new(&query_api().await).unwrap();
        jaeger.check().await.unwrap();
        let ids: Vec<String> = ["a", "b", "c", "a"]
            .iter()
            .map(|s| format!("{s:0>32}"))
            .collect();
        let got = jaeger.fetch_all(&ids, 2).await;
        assert!(
            matches!(&got[0], Fetched::Found(s) if s.len() == 2),
            "{got:?}"
        );
        assert_eq!(got[1], Fetched::Failed("HTTP 500".into()));
        assert_eq!(got[2], Fetched::Missing);
        assert!(matches!(&got[3], Fetched::Found(_)));
        // Settles at once: the probe's count is the same on the first two polls.
        let started = Instant::now();
        jaeger
            .wait_for_export(&ids[..1], Duration::from_millis(10), Duration::from_secs(5))
            .await;
        assert!(started.elapsed() < Duration::from_secs(1));
        // A probe that never appears gives up at the bound.
        let started = Instant::now();
        jaeger
            .wait_for_export(
                &ids[2..3],
                Duration::from_millis(10),
                Duration::from_millis(100),
            )
            .await;
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
}
