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
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::functions::compose::{ComposePostFrontend, ComposePostInput};
use deathstar_handlers::functions::social_graph::{
    Follow, FollowInput, FollowWithUsername, FollowWithUsernameInput, Unfollow,
    UnfollowWithUsername,
};
use deathstar_handlers::functions::timeline::{ReadTimelineInput, TimelinePostsOutput};
use deathstar_handlers::functions::user::{
    RegisterUserInput, RegisterUserWithId, RegisterUserWithIdInput,
};
use deathstar_handlers::functions::{HomeTimelineReadFrontend, UserTimelineReadFrontend};
use deathstar_handlers::model::Post;
use deathstar_handlers::{Function, Invoker, Reply, invoke_function};
use serde::ser::{Serialize, SerializeStruct, Serializer};

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
    /// Calls function `F` with this request's context; typed within one process.
    async fn call<F: Function>(
        &self,
        input: F::Input,
        headers: &HeaderMap,
    ) -> Result<F::Output, Refused> {
        let meta = crate::call_meta(headers, self.timeout);
        invoke_function::<F>(&*self.invoker, &meta, input)
            .await
            .map_err(|failure| {
                let reply = Reply {
                    status: failure.http_status,
                    body: failure.body,
                };
                Box::new(crate::into_response(reply, &meta.trace_id))
            })
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
        let input = RegisterUserWithIdInput {
            user_id: id(dsb_user)?,
            user: RegisterUserInput {
                username: username.into(),
                first_name: first.into(),
                last_name: last.into(),
                password: password.into(),
            },
        };
        dsb.call::<RegisterUserWithId>(input, &headers).await?;
        Ok("Success!".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn follow(State(dsb): State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    let run = async {
        match edge(&body)? {
            Edge::Ids(input) => drop(dsb.call::<Follow>(input, &headers).await?),
            Edge::Names(input) => drop(dsb.call::<FollowWithUsername>(input, &headers).await?),
        }
        Ok("Success!".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn unfollow(State(dsb): State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    let run = async {
        match edge(&body)? {
            Edge::Ids(input) => drop(dsb.call::<Unfollow>(input, &headers).await?),
            Edge::Names(input) => drop(dsb.call::<UnfollowWithUsername>(input, &headers).await?),
        }
        Ok("Success!".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

/// The two ways DSB names the ends of an edge.
enum Edge {
    Ids(FollowInput),
    Names(FollowWithUsernameInput),
}

/// A follow or unfollow form: by ids (`user_id`, `followee_id`) or by names (`user_name`,
/// `followee_name`).
fn edge(body: &[u8]) -> Result<Edge, Refused> {
    let form = parse_form(&String::from_utf8_lossy(body));
    if let Ok(ids) = required(&form, &["user_id", "followee_id"]) {
        return Ok(Edge::Ids(FollowInput {
            user_id: id(ids[0])?,
            followee_id: id(ids[1])?,
        }));
    }
    let names = required(&form, &["user_name", "followee_name"])?;
    Ok(Edge::Names(FollowWithUsernameInput {
        username: names[0].into(),
        followee_name: names[1].into(),
    }))
}

async fn compose(State(dsb): State<Arc<Dsb>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let run = async {
        let fields = required(&form, &["username", "user_id", "text", "post_type"])?;
        let post_type: u8 = fields[3]
            .trim()
            .parse()
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, "post_type must be 0 to 3"))?;
        // Media lists are JSON arrays inside the form value, e.g. media_ids=["123","456"].
        let list = |key: &str| -> Result<Option<Vec<String>>, Refused> {
            let Some(text) = form.get(key).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            serde_json::from_str(text).map(Some).map_err(|_| {
                let message = format!("{key} must be a JSON array of strings");
                refuse(StatusCode::BAD_REQUEST, message)
            })
        };
        let input = ComposePostInput {
            username: fields[0].into(),
            user_id: id(fields[1])?,
            text: fields[2].into(),
            post_type,
            media_ids: list("media_ids")?,
            media_types: list("media_types")?,
            media_id: None,
            media_type: None,
        };
        dsb.call::<ComposePostFrontend>(input, &headers).await?;
        Ok("Successfully upload post".into_response())
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

async fn home_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline::<HomeTimelineReadFrontend>(state, headers, query).await
}

async fn user_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline::<UserTimelineReadFrontend>(state, headers, query).await
}

async fn timeline<F>(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response
where
    F: Function<Input = ReadTimelineInput, Output = TimelinePostsOutput>,
{
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
            return Ok(json_response(b"[]".to_vec()));
        }
        let input = ReadTimelineInput {
            user_id: id(fields[0])?,
            start,
            stop,
        };
        let output = dsb.call::<F>(input, &headers).await?;
        let posts: Vec<DsbPost> = output.posts.iter().map(|p| DsbPost(p)).collect();
        let body = serde_json::to_vec(&posts).map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot encode posts: {e}"),
            )
        })?;
        Ok(json_response(body))
    };
    run.await.unwrap_or_else(|refused: Refused| *refused)
}

fn json_response(body: Vec<u8>) -> Response {
    let content_type = [(header::CONTENT_TYPE, "application/json")];
    (content_type, body).into_response()
}

/// A post as DSB's timeline JSON has it: ids and timestamp as strings, DSB's integer user ids.
/// Written straight from the post, without an intermediate JSON tree.
struct DsbPost<'a>(&'a Post);

/// A user (creator or mention) with DSB's integer id when it has one.
struct DsbUser<'a> {
    user_id: &'a str,
    username: &'a str,
}

impl Serialize for DsbUser<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut user = serializer.serialize_struct("User", 2)?;
        match dsb_id(self.user_id) {
            Some(id) => user.serialize_field("user_id", &id)?,
            None => user.serialize_field("user_id", self.user_id)?,
        }
        user.serialize_field("username", self.username)?;
        user.end()
    }
}

impl Serialize for DsbPost<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let post = self.0;
        let mentions: Vec<DsbUser> = post
            .user_mentions
            .iter()
            .map(|m| DsbUser {
                user_id: &m.user_id,
                username: &m.username,
            })
            .collect();
        let creator = DsbUser {
            user_id: &post.creator.user_id,
            username: &post.creator.username,
        };
        let mut out = serializer.serialize_struct("Post", 9)?;
        out.serialize_field("post_id", &post.post_id)?;
        out.serialize_field("creator", &creator)?;
        out.serialize_field("req_id", &post.req_id)?;
        out.serialize_field("text", &post.text)?;
        out.serialize_field("user_mentions", &mentions)?;
        out.serialize_field("media", &post.media)?;
        out.serialize_field("urls", &post.urls)?;
        out.serialize_field("timestamp", &post.timestamp.to_string())?;
        out.serialize_field("post_type", &post.post_type)?;
        out.end()
    }
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
