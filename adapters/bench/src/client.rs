//! The two API flavours the driver speaks.
//!
//! * `dsb`: DeathStarBench's NGINX routes under `/wrk2-api/`, form bodies and query strings with
//!   `Content-Type: application/x-www-form-urlencoded` on every request (GETs included), integer
//!   user ids, and the compose body not percent-encoded — as the wrk2 Lua scripts and
//!   `init_social_graph.py` send them.
//! * `gateway`: this project's JSON functions at `POST <target>/function/<name>`, with user ids
//!   mapped by [`dsb_user_id`].
//! * `lambda`: the same JSON bodies through AWS Lambda's Invoke API,
//!   `POST <target>/2015-03-31/functions/<name>/invocations`, each wrapped in the API Gateway
//!   (HTTP API v2) event the `lambda_http` bootstraps take; the status counted is the one in
//!   the function's response object. Requests are not SigV4-signed: the target is a local
//!   Invoke API (`cargo lambda watch`, `sam local start-lambda`), not AWS itself.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::ValueEnum;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, RequestBuilder, Url};
use serde::Serialize;

use crate::workload::{ComposeParams, POST_TYPE, Request, TimelineParams, username};

pub const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// DeathStarBench's `/wrk2-api/` routes (form bodies, integer user ids).
    Dsb,
    /// This project's `/function/<name>` JSON functions (32-hex user ids).
    Gateway,
    /// The same functions through a local Lambda Invoke API (`cargo lambda watch`).
    Lambda,
}

/// The project's user id of DeathStarBench user `i`: `i` as 32 lowercase hex digits,
/// zero-padded (`0` → `000…000`, `961` → `000…3c1`). The project's user ids are 32 lowercase
/// hex characters, DeathStarBench's are small integers; this is the one place that maps them,
/// so graphs loaded and workloads run through the gateway name the same users. It is
/// injective, so distinct DSB users stay distinct.
pub fn dsb_user_id(i: u64) -> String {
    format!("{i:032x}")
}

/// Builds the requests of one flavour against one target.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: Client,
    api: Api,
    urls: Urls,
    /// `host:port` to connect to, and the `Host` header.
    address: String,
    host: String,
}

/// The five endpoint URLs, parsed once (parsing a URL per request costs more than building
/// the rest of it).
#[derive(Debug, Clone)]
struct Urls {
    register: Url,
    follow: Url,
    compose: Url,
    home_timeline: Url,
    user_timeline: Url,
    healthz: Url,
}

impl Urls {
    fn new(base: &Url, api: Api) -> Result<Self> {
        let root = base.as_str().trim_end_matches('/');
        let url = |dsb: &str, function: &str| -> Result<Url> {
            let path = match api {
                Api::Dsb => dsb.to_string(),
                Api::Gateway => format!("/function/{function}"),
                Api::Lambda => format!("/2015-03-31/functions/{function}/invocations"),
            };
            Url::parse(&format!("{root}{path}")).context("building an endpoint URL")
        };
        Ok(Urls {
            register: url("/wrk2-api/user/register", "register-user-with-id")?,
            follow: url("/wrk2-api/user/follow", "social-graph-follow-with-username")?,
            compose: url("/wrk2-api/post/compose", "compose-post-frontend")?,
            home_timeline: url(
                "/wrk2-api/home-timeline/read",
                "home-timeline-read-frontend",
            )?,
            user_timeline: url(
                "/wrk2-api/user-timeline/read",
                "user-timeline-read-frontend",
            )?,
            healthz: Url::parse(&format!("{root}/healthz")).context("building the health URL")?,
        })
    }
}

#[derive(Serialize)]
struct RegisterBody<'a> {
    user_id: &'a str,
    username: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    password: &'a str,
}

#[derive(Serialize)]
struct FollowBody<'a> {
    username: &'a str,
    followee_name: &'a str,
}

#[derive(Serialize)]
struct ComposeBody<'a> {
    user_id: &'a str,
    username: &'a str,
    post_type: u8,
    text: &'a str,
    media_ids: &'a [String],
    media_types: &'a [String],
}

#[derive(Serialize)]
struct TimelineBody<'a> {
    user_id: &'a str,
    start: u64,
    stop: u64,
}

/// Checks that `target` is an http(s) URL and drops a trailing slash.
pub fn parse_target(target: &str) -> Result<Url> {
    let url = Url::parse(target).with_context(|| format!("--target {target:?} is not a URL"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        bail!("--target {target:?} must be an http:// or https:// URL");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("--target {target:?} must not have a query or fragment");
    }
    Ok(url)
}

impl ApiClient {
    /// A client with at most `connections` idle keep-alive HTTP/1.1 connections kept per host
    /// and a per-request `timeout` (from send to the end of the body).
    pub fn new(target: &str, api: Api, connections: usize, timeout: Duration) -> Result<Self> {
        let base = parse_target(target)?;
        let http = Client::builder()
            .http1_only()
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .context("building the HTTP client")?;
        let urls = Urls::new(&base, api)?;
        let name = base.host_str().unwrap_or("localhost");
        let port = base.port_or_known_default().unwrap_or(80);
        let host = match base.port() {
            Some(port) => format!("{name}:{port}"),
            None => name.to_owned(),
        };
        Ok(ApiClient {
            http,
            api,
            urls,
            address: format!("{name}:{port}"),
            host,
        })
    }

    pub fn api(&self) -> Api {
        self.api
    }

    fn form<'a>(&self, url: &'a Url, body: String) -> Parts<'a> {
        Parts {
            method: "POST",
            url,
            query: None,
            content_type: Some(FORM),
            body: body.into_bytes(),
        }
    }

    /// A JSON function call: the body as is to the gateway, wrapped in an event for Lambda.
    fn json<'a>(&self, url: &'a Url, body: &impl Serialize) -> Parts<'a> {
        let body = serde_json::to_vec(body).expect("bodies serialise");
        let body = match self.api {
            Api::Lambda => {
                let inner = String::from_utf8(body).expect("JSON is UTF-8");
                serde_json::to_vec(&lambda_event(url.path(), inner)).expect("events serialise")
            }
            _ => body,
        };
        Parts {
            method: "POST",
            url,
            query: None,
            content_type: Some("application/json"),
            body,
        }
    }

    /// The status a response counts as: the HTTP status, or for Lambda the status in the
    /// function's response object (a function that crashed, with no object, counts as 502).
    pub fn status_of(&self, http_status: u16, body: &[u8]) -> u16 {
        if self.api != Api::Lambda || http_status != 200 {
            return http_status;
        }
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|response| response["statusCode"].as_u64())
            .map_or(502, |status| status as u16)
    }

    /// Sends `req` and reads the whole body (latency ends with the last byte), with the status
    /// as [`ApiClient::status_of`] counts it. A transport failure comes back as its class (see
    /// [`classify`]).
    pub async fn execute(&self, req: RequestBuilder) -> Result<(u16, Bytes), String> {
        let resp = req.send().await.map_err(|e| classify(&e))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| classify(&e))?;
        Ok((self.status_of(status, &body), body))
    }

    /// The reqwest form of a request (what `init-graph` sends).
    pub fn build(&self, parts: Parts<'_>) -> RequestBuilder {
        let mut url = parts.url.clone();
        url.set_query(parts.query.as_deref());
        let mut builder = match parts.method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(content_type) = parts.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        if !parts.body.is_empty() || parts.method != "GET" {
            builder = builder.body(parts.body);
        }
        builder
    }

    /// Appends the wire form of a request to `out` ([`crate::wire`]), with `extra` headers.
    pub fn encode(&self, parts: &Parts<'_>, extra: &[(&str, &[u8])], out: &mut Vec<u8>) {
        let path = parts.url.path();
        let target = match &parts.query {
            Some(query) => std::borrow::Cow::Owned(format!("{path}?{query}")),
            None => std::borrow::Cow::Borrowed(path),
        };
        let mut headers: Vec<(&str, &[u8])> = Vec::with_capacity(extra.len() + 1);
        if let Some(content_type) = parts.content_type {
            headers.push(("content-type", content_type.as_bytes()));
        }
        headers.extend_from_slice(extra);
        crate::wire::encode(
            out,
            parts.method,
            &target,
            &self.host,
            &headers,
            &parts.body,
        );
    }

    /// `host:port` to connect to.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Registers DSB user `i`: `first_name_i`, `last_name_i`, `username_i`, `password_i`, id `i`.
    pub fn register(&self, i: u64) -> RequestBuilder {
        self.build(self.register_parts(i))
    }

    fn register_parts(&self, i: u64) -> Parts<'_> {
        match self.api {
            Api::Dsb => self.form(
                &self.urls.register,
                format!(
                    "first_name=first_name_{i}&last_name=last_name_{i}&username=username_{i}\
                     &password=password_{i}&user_id={i}"
                ),
            ),
            Api::Gateway | Api::Lambda => self.json(
                &self.urls.register,
                &RegisterBody {
                    user_id: &dsb_user_id(i),
                    username: &username(i),
                    first_name: &format!("first_name_{i}"),
                    last_name: &format!("last_name_{i}"),
                    password: &format!("password_{i}"),
                },
            ),
        }
    }

    /// `username_<follower>` follows `username_<followee>` (the username form of follow).
    pub fn follow(&self, follower: u64, followee: u64) -> RequestBuilder {
        let parts = match self.api {
            Api::Dsb => self.form(
                &self.urls.follow,
                format!("user_name=username_{follower}&followee_name=username_{followee}"),
            ),
            Api::Gateway | Api::Lambda => self.json(
                &self.urls.follow,
                &FollowBody {
                    username: &username(follower),
                    followee_name: &username(followee),
                },
            ),
        };
        self.build(parts)
    }

    pub fn compose(&self, p: &ComposeParams) -> RequestBuilder {
        self.build(self.compose_parts(p))
    }

    fn compose_parts(&self, p: &ComposeParams) -> Parts<'_> {
        match self.api {
            Api::Dsb => self.form(&self.urls.compose, p.form_body()),
            Api::Gateway | Api::Lambda => self.json(
                &self.urls.compose,
                &ComposeBody {
                    user_id: &dsb_user_id(p.user),
                    username: &p.username(),
                    post_type: POST_TYPE,
                    text: &p.text,
                    media_ids: &p.media_ids,
                    media_types: &p.media_types,
                },
            ),
        }
    }

    fn timeline<'a>(&self, url: &'a Url, t: &TimelineParams) -> Parts<'a> {
        match self.api {
            // DSB's scripts send the form content type on GETs too.
            Api::Dsb => Parts {
                method: "GET",
                url,
                query: Some(t.query()),
                content_type: Some(FORM),
                body: Vec::new(),
            },
            Api::Gateway | Api::Lambda => self.json(
                url,
                &TimelineBody {
                    user_id: &dsb_user_id(t.user),
                    start: t.start,
                    stop: t.stop,
                },
            ),
        }
    }

    pub fn home_timeline(&self, t: &TimelineParams) -> RequestBuilder {
        self.build(self.timeline(&self.urls.home_timeline, t))
    }

    pub fn user_timeline(&self, t: &TimelineParams) -> RequestBuilder {
        self.build(self.timeline(&self.urls.user_timeline, t))
    }

    /// The parts of one generated workload request.
    pub fn parts(&self, r: &Request) -> Parts<'_> {
        match r {
            Request::HomeTimeline(t) => self.timeline(&self.urls.home_timeline, t),
            Request::UserTimeline(t) => self.timeline(&self.urls.user_timeline, t),
            Request::Compose(p) => self.compose_parts(p),
            // The server's own health check, whatever the API: its ceiling.
            Request::Healthz => Parts {
                method: "GET",
                url: &self.urls.healthz,
                query: None,
                content_type: None,
                body: Vec::new(),
            },
        }
    }

    /// The HTTP request for one generated workload request.
    pub fn request(&self, r: &Request) -> RequestBuilder {
        self.build(self.parts(r))
    }
}

/// One request, before either client sends it: what [`ApiClient::build`] (reqwest) and
/// [`ApiClient::encode`] (the wire) turn into bytes, so both send the same thing.
#[derive(Debug)]
pub struct Parts<'a> {
    pub method: &'static str,
    pub url: &'a Url,
    pub query: Option<String>,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
}

/// The API Gateway HTTP API (v2) event a `lambda_http` bootstrap takes, around a JSON body.
fn lambda_event(path: &str, body: String) -> serde_json::Value {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "routeKey": "$default",
            "stage": "$default",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "deathstar-bench"},
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

/// The class of a transport error: `timeout`, `connect`, `body` (the response broke off),
/// `request` (the request could not be written) or `other`.
pub fn classify(e: &reqwest::Error) -> String {
    let class = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else if e.is_request() {
        "request"
    } else {
        "other"
    };
    class.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Generator;

    fn client(api: Api) -> ApiClient {
        ApiClient::new("http://127.0.0.1:8080/", api, 4, Duration::from_secs(1)).unwrap()
    }

    fn body(r: &reqwest::Request) -> String {
        String::from_utf8(r.body().unwrap().as_bytes().unwrap().to_vec()).unwrap()
    }

    fn content_type(r: &reqwest::Request) -> &str {
        r.headers()[CONTENT_TYPE].to_str().unwrap()
    }

    #[test]
    fn user_id_mapping() {
        assert_eq!(dsb_user_id(0), "00000000000000000000000000000000");
        assert_eq!(dsb_user_id(961), "000000000000000000000000000003c1");
        assert_eq!(dsb_user_id(u64::MAX), "0000000000000000ffffffffffffffff");
        assert!((0..1000).all(|i| {
            let id = dsb_user_id(i);
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }));
    }

    #[test]
    fn dsb_requests() {
        let c = client(Api::Dsb);
        let r = c.register(5).build().unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(
            r.url().as_str(),
            "http://127.0.0.1:8080/wrk2-api/user/register"
        );
        assert_eq!(content_type(&r), FORM);
        assert_eq!(
            body(&r),
            "first_name=first_name_5&last_name=last_name_5&username=username_5&password=password_5&user_id=5"
        );
        let r = c.follow(3, 9).build().unwrap();
        assert_eq!(r.url().path(), "/wrk2-api/user/follow");
        assert_eq!(body(&r), "user_name=username_3&followee_name=username_9");
        let t = TimelineParams {
            user: 4,
            start: 17,
            stop: 27,
        };
        let r = c.home_timeline(&t).build().unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(
            r.url().as_str(),
            "http://127.0.0.1:8080/wrk2-api/home-timeline/read?user_id=4&start=17&stop=27"
        );
        assert_eq!(content_type(&r), FORM);
        let r = c.user_timeline(&t).build().unwrap();
        assert_eq!(r.url().path(), "/wrk2-api/user-timeline/read");
        let p = Generator::new(962, 1).compose();
        let r = c.compose(&p).build().unwrap();
        assert_eq!(r.url().path(), "/wrk2-api/post/compose");
        assert_eq!(content_type(&r), FORM);
        // Sent verbatim: not percent-encoded.
        assert_eq!(body(&r), p.form_body());
        assert!(body(&r).contains(" @username_") && body(&r).contains("[\""));
    }

    #[test]
    fn gateway_requests() {
        let c = ApiClient::new(
            "http://gw:8080/base",
            Api::Gateway,
            4,
            Duration::from_secs(1),
        )
        .unwrap();
        let json =
            |r: &reqwest::Request| -> serde_json::Value { serde_json::from_str(&body(r)).unwrap() };
        let r = c.register(10).build().unwrap();
        assert_eq!(
            r.url().as_str(),
            "http://gw:8080/base/function/register-user-with-id"
        );
        assert_eq!(content_type(&r), "application/json");
        assert_eq!(
            json(&r),
            serde_json::json!({"user_id": dsb_user_id(10), "username": "username_10",
                "first_name": "first_name_10", "last_name": "last_name_10", "password": "password_10"})
        );
        let r = c.follow(1, 2).build().unwrap();
        assert_eq!(
            r.url().path(),
            "/base/function/social-graph-follow-with-username"
        );
        assert_eq!(
            json(&r),
            serde_json::json!({"username": "username_1", "followee_name": "username_2"})
        );
        let t = TimelineParams {
            user: 255,
            start: 0,
            stop: 10,
        };
        let r = c.home_timeline(&t).build().unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(r.url().path(), "/base/function/home-timeline-read-frontend");
        assert_eq!(
            json(&r),
            serde_json::json!({"user_id": "000000000000000000000000000000ff", "start": 0, "stop": 10})
        );
        let r = c.user_timeline(&t).build().unwrap();
        assert_eq!(r.url().path(), "/base/function/user-timeline-read-frontend");
        let p = Generator::new(962, 1).compose();
        let r = c.compose(&p).build().unwrap();
        assert_eq!(r.url().path(), "/base/function/compose-post-frontend");
        let v = json(&r);
        assert_eq!(v["user_id"], dsb_user_id(p.user));
        assert_eq!(v["username"], p.username());
        assert_eq!(v["post_type"], 0);
        assert_eq!(v["text"], p.text);
        assert_eq!(v["media_ids"], serde_json::json!(p.media_ids));
        assert_eq!(v["media_types"], serde_json::json!(p.media_types));
    }

    #[test]
    fn lambda_requests_wrap_the_gateway_bodies_in_an_event() {
        let c = client(Api::Lambda);
        let r = c.follow(1, 2).build().unwrap();
        assert_eq!(
            r.url().as_str(),
            "http://127.0.0.1:8080/2015-03-31/functions/social-graph-follow-with-username/invocations"
        );
        let event: serde_json::Value = serde_json::from_str(&body(&r)).unwrap();
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["requestContext"]["http"]["method"], "POST");
        let inner: serde_json::Value =
            serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            inner,
            serde_json::json!({"username": "username_1", "followee_name": "username_2"})
        );
    }

    #[test]
    fn lambda_statuses_come_from_the_response_object() {
        let c = client(Api::Lambda);
        assert_eq!(
            c.status_of(200, br#"{"statusCode": 404, "body": "{}"}"#),
            404
        );
        assert_eq!(
            c.status_of(200, br#"{"statusCode": 200, "body": "{}"}"#),
            200
        );
        // A crash: Lambda's error object, no response object.
        assert_eq!(
            c.status_of(200, br#"{"errorType": "Panic", "errorMessage": "x"}"#),
            502
        );
        // `cargo lambda watch` answers a function error with a 500 of its own.
        assert_eq!(c.status_of(500, b"boom"), 500);
        // The other APIs count the HTTP status.
        assert_eq!(
            client(Api::Gateway).status_of(200, br#"{"statusCode": 404}"#),
            200
        );
    }

    #[test]
    fn targets_are_checked() {
        assert!(parse_target("http://127.0.0.1:8080").is_ok());
        assert!(parse_target("https://example.com/x/").is_ok());
        for bad in [
            "127.0.0.1:8080",
            "ftp://host/",
            "not a url",
            "http://h/?q=1",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
