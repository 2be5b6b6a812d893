//! DeathStarBench's own HTTP API (its nginx `/wrk2-api/` routes), mapped onto the functions,
//! so that DSB's wrk2 Lua scripts and `init_social_graph.py` run against this project
//! unchanged.
//!
//! Parameters come as DSB sends them: form bodies (not percent-encoded: raw spaces, `@`, `:`,
//! `/`, quotes) and query strings. DSB's user ids are small integers; here a user id is 32 hex
//! characters, so DSB id `U` is the user id `format!("{U:032x}")` ([`user_id`]) and back
//! ([`dsb_id`]): `user_id=5` is `00000000000000000000000000000005`, and usernames are as sent
//! (`username_5`). Replies are DSB's: `Success!`, `Successfully upload post`, timelines as JSON
//! arrays with ids and timestamps as strings. Errors keep the project's JSON envelope and status.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::{Invoker, Reply};
use serde_json::{Map, Value, json};

/// The project's user id for DeathStarBench's integer user id.
pub fn user_id(dsb_id: u64) -> String {
    format!("{dsb_id:032x}")
}

/// DeathStarBench's integer id for a user id made by [`user_id`], as DSB prints it.
pub fn dsb_id(user_id: &str) -> Option<String> {
    u64::from_str_radix(user_id, 16)
        .ok()
        .filter(|_| user_id.len() == 32 && user_id.starts_with("0000000000000000"))
        .map(|id| id.to_string())
}

struct Dsb {
    invoker: Arc<dyn Invoker>,
    timeout: Duration,
}

/// The `/wrk2-api/` routes, calling functions through `invoker`.
pub fn router(invoker: Arc<dyn Invoker>, timeout: Duration) -> Router {
    Router::new()
        .route("/wrk2-api/user/register", post(register))
        .route("/wrk2-api/user/follow", post(follow))
        .route("/wrk2-api/user/unfollow", post(unfollow))
        .route("/wrk2-api/post/compose", post(compose))
        .route("/wrk2-api/home-timeline/read", get(home_timeline))
        .route("/wrk2-api/user-timeline/read", get(user_timeline))
        .with_state(Arc::new(Dsb { invoker, timeout }))
}

type Form = HashMap<String, String>;

/// A refused request: the response to send instead (boxed: it is large, and the rare path).
type Refused = Box<Response>;

fn refuse(status: StatusCode, message: impl Into<String>) -> Refused {
    Box::new((status, message.into()).into_response())
}

/// Parses `a=b&c=d` leniently, as DSB's nginx does: percent-escapes and `+` (a space, as
/// `init_social_graph.py`'s aiohttp encodes it) are decoded; everything else (raw spaces, `@`,
/// `"`... as wrk's Lua scripts send them) is kept verbatim.
pub fn parse_form(text: &str) -> Form {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields `names`, or DSB's 400 "Incomplete arguments".
fn required<'a>(form: &'a Form, names: &[&str]) -> Result<Vec<&'a str>, Refused> {
    names
        .iter()
        .map(|name| {
            form.get(*name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "Incomplete arguments"))
        })
        .collect()
}

/// A DSB integer id as the project's user id, or a 400.
fn id(value: &str) -> Result<String, Refused> {
    value
        .trim()
        .parse::<u64>()
        .map(user_id)
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("not a user id: {value}")))
}

impl Dsb {
    async fn call(
        &self,
        function: &str,
        body: Value,
        headers: &HeaderMap,
    ) -> Result<Value, Refused> {
        let meta = crate::call_meta(headers, self.timeout);
        let trace_id = meta.trace_id.clone();
        match self.invoker.invoke(function, body, &meta).await {
            Ok(Reply { status: 200, body }) => Ok(body),
            Ok(reply) => Err(Box::new(crate::into_response(reply, &trace_id))),
            Err(e) => Err(refuse(StatusCode::BAD_GATEWAY, e.to_string())),
        }
    }
}

async fn register(State(dsb): State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let run = async {
        let [first, last, username, password, dsb_user] = required(
            &form,
            &["first_name", "last_name", "username", "password", "user_id"],
        )?[..] else {
            unreachable!("five names give five values")
        };
        let body = json!({
            "user_id": id(dsb_user)?, "username": username, "first_name": first,
            "last_name": last, "password": password,
        });
        dsb.call("register-user-with-id", body, &headers).await?;
        Ok("Success!".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn follow(state: State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    edge(
        state,
        headers,
        body,
        "social-graph-follow",
        "social-graph-follow-with-username",
    )
    .await
}

async fn unfollow(state: State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    edge(
        state,
        headers,
        body,
        "social-graph-unfollow",
        "social-graph-unfollow-with-username",
    )
    .await
}

/// Follow or unfollow, by ids (`user_id`, `followee_id`) or by names (`user_name`, `followee_name`).
async fn edge(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    body: Bytes,
    by_id: &str,
    by_name: &str,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let run = async {
        let (function, body) = if let Ok(ids) = required(&form, &["user_id", "followee_id"]) {
            (
                by_id,
                json!({"user_id": id(ids[0])?, "followee_id": id(ids[1])?}),
            )
        } else {
            let names = required(&form, &["user_name", "followee_name"])?;
            (
                by_name,
                json!({"username": names[0], "followee_name": names[1]}),
            )
        };
        dsb.call(function, body, &headers).await?;
        Ok("Success!".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn compose(State(dsb): State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let run = async {
        let fields = required(&form, &["username", "user_id", "text", "post_type"])?;
        let post_type: u8 = fields[3]
            .trim()
            .parse()
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, "post_type must be 0 to 3"))?;
        let mut body = json!({
            "username": fields[0], "user_id": id(fields[1])?, "text": fields[2], "post_type": post_type,
        });
        // Media lists are JSON arrays inside the form value, e.g. media_ids=["123","456"].
        for key in ["media_ids", "media_types"] {
            if let Some(list) = form.get(key).filter(|v| !v.is_empty()) {
                let parsed: Value = serde_json::from_str(list).map_err(|_| {
                    refuse(
                        StatusCode::BAD_REQUEST,
                        format!("{key} must be a JSON array"),
                    )
                })?;
                body[key] = parsed;
            }
        }
        dsb.call("compose-post-frontend", body, &headers).await?;
        Ok("Successfully upload post".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn home_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline(state, headers, query, "home-timeline-read-frontend").await
}

async fn user_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline(state, headers, query, "user-timeline-read-frontend").await
}

async fn timeline(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    function: &str,
) -> Response {
    let form = parse_form(query.as_deref().unwrap_or_default());
    let run = async {
        let fields = required(&form, &["user_id", "start", "stop"])?;
        let number = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("not a number: {v}")))
        };
        let (start, stop) = (number(fields[1])?, number(fields[2])?);
        // DSB answers an empty or backwards window with an empty list, not an error.
        if stop <= start || start < 0 {
            return Ok(axum::Json(json!([])).into_response());
        }
        let body = json!({"user_id": id(fields[0])?, "start": start, "stop": stop});
        let reply = dsb.call(function, body, &headers).await?;
        let posts: Vec<Value> = reply["posts"]
            .as_array()
            .map(|posts| posts.iter().map(dsb_post).collect())
            .unwrap_or_default();
        Ok(axum::Json(Value::Array(posts)).into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

/// A post as DSB's timeline JSON has it: ids and timestamp as strings, DSB's integer user ids.
fn dsb_post(post: &Value) -> Value {
    let user = |u: &Value| {
        let id = u["user_id"].as_str().unwrap_or_default();
        json!({"user_id": dsb_id(id).unwrap_or_else(|| id.to_owned()), "username": u["username"]})
    };
    let mut out = Map::new();
    out.insert("post_id".into(), post["post_id"].clone());
    out.insert("creator".into(), user(&post["creator"]));
    out.insert("req_id".into(), post["req_id"].clone());
    out.insert("text".into(), post["text"].clone());
    let mentions = post["user_mentions"]
        .as_array()
        .map(|m| m.iter().map(user).collect());
    out.insert(
        "user_mentions".into(),
        Value::Array(mentions.unwrap_or_default()),
    );
    out.insert("media".into(), post["media"].clone());
    out.insert("urls".into(), post["urls"].clone());
    out.insert("timestamp".into(), post["timestamp"].to_string().into());
    out.insert("post_type".into(), post["post_type"].clone());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsb_ids_map_to_user_ids_and_back() {
        assert_eq!(user_id(5), "00000000000000000000000000000005");
        assert_eq!(dsb_id(&user_id(961)).as_deref(), Some("961"));
        assert_eq!(dsb_id("c7b8310836914fa88df83b71a926fa2e"), None);
    }

    #[test]
    fn forms_are_parsed_as_dsb_sends_them() {
        let form = parse_form(
            "username=username_1&user_id=1&text=hi @username_2 http://a.b/c \"q\"&media_ids=[\"01\"]&post_type=0",
        );
        assert_eq!(form["text"], "hi @username_2 http://a.b/c \"q\"");
        assert_eq!(form["media_ids"], "[\"01\"]");
        let escaped = parse_form("a=x%20y%2&b=%zz&c=a+b%5B%22");
        assert_eq!(escaped["a"], "x y%2");
        assert_eq!(escaped["b"], "%zz");
        assert_eq!(escaped["c"], "a b[\"");
    }
}
