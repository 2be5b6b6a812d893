//! DeathStarBench's own HTTP API, mapped onto the functions: its nginx `/wrk2-api/` routes
//! (`wrk2.rs`), so that DSB's wrk2 Lua scripts and `init_social_graph.py` run against this project
//! unchanged, and its browser routes `/api/` (`api.rs`), which act for the user named by the
//! `login_token` cookie that `/api/user/login` sets.
//!
//! Parameters come as DSB sends them: form bodies (not percent-encoded: raw spaces, `@`, `:`,
//! `/`, quotes) and query strings. DSB's user ids are small integers; here a user id is 32 hex
//! characters, so DSB id `U` is the user id `format!("{U:032x}")` ([`user_id`]) and back
//! ([`dsb_id`]): `user_id=5` is `00000000000000000000000000000005`, and usernames are as sent
//! (`username_5`). Replies are DSB's: `Success!`, `Successfully upload post`, timelines as JSON
//! arrays with ids and timestamps as strings. Errors keep the project's JSON envelope and status.
//!
//! This module holds what both route sets share: the id mapping, form parsing, calling a
//! function, and composing, following and reading timelines once the user is known.

mod api;
mod wrk2;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::functions::compose::{ComposePostFrontend, ComposePostInput};
use deathstar_handlers::functions::social_graph::{
    Follow, FollowInput, FollowWithUsername, FollowWithUsernameInput, Unfollow,
    UnfollowWithUsername,
};
use deathstar_handlers::functions::timeline::{ReadTimelineInput, TimelinePostsOutput};
use deathstar_handlers::model::Post;
use deathstar_handlers::{Function, FunctionError, Registry, Reply};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The project's user id for DeathStarBench's integer user id.
pub fn user_id(dsb_id: u64) -> String {
    format!("{dsb_id:032x}")
}

/// DeathStarBench's integer id for a user id made by [`user_id`], as DSB prints it.
pub fn dsb_id(user_id: &str) -> Option<String> {
    // Every post on a timeline page passes here: look at the cheap things first.
    let low = user_id
        .strip_prefix("0000000000000000")
        .filter(|low| low.len() == 16 && low.bytes().all(|b| b.is_ascii_hexdigit()))?;
    u64::from_str_radix(low, 16).ok().map(|id| id.to_string())
}

/// A user id as the DSB routes print it: DSB's integer when [`dsb_id`] maps it, else the
/// project's id.
fn printed_id(user_id: &str) -> Cow<'_, str> {
    dsb_id(user_id).map_or(Cow::Borrowed(user_id), Cow::Owned)
}

struct Dsb {
    /// Runs the functions it hosts, and calls the others through its remote invoker.
    registry: Registry,
    timeout: Duration,
    /// Verifies the `login_token` cookie of the `/api/` routes.
    auth: AuthKey,
    /// DSB's JSON of recently served posts. Posts never change once stored, and escaping a
    /// post's text was the largest cost of a timeline read (docs/BENCHMARKS.md): a page is
    /// now mostly copies of ready bytes.
    posts_json: PostsJson,
}

type PostsJson = quick_cache::sync::Cache<String, Bytes, JsonWeight>;

/// Bytes served from the JSON cache at most.
const POSTS_JSON_BYTES: u64 = 64 << 20;

#[derive(Clone)]
struct JsonWeight;

impl quick_cache::Weighter<String, Bytes> for JsonWeight {
    fn weight(&self, key: &String, json: &Bytes) -> u64 {
        (key.len() + json.len()) as u64
    }
}

/// The `/wrk2-api/` and `/api/` routes, calling functions through `registry` (in-process
/// where it hosts them); `auth` must be the key that `user-service-login` signs tokens with.
pub fn router(registry: Registry, timeout: Duration, auth: AuthKey) -> Router {
    let dsb = Dsb {
        registry,
        timeout,
        auth,
        posts_json: PostsJson::with_weighter(32_768, POSTS_JSON_BYTES, JsonWeight),
    };
    wrk2::routes()
        .merge(api::routes())
        .with_state(Arc::new(dsb))
}

type Form = HashMap<String, String>;

/// A refused request: the response to send instead (boxed: it is large, and the rare path).
type Refused = Box<Response>;

/// `error` in the project's envelope. DSB's nginx answers refusals in plain text; here every
/// route answers them as every function does, so one client handles all errors alike.
fn refuse(error: FunctionError) -> Refused {
    Box::new(crate::into_response(
        Reply::error(error, "DeathStarBenchRouteError"),
        "",
    ))
}

/// Largest form body taken: axum's default body limit, far above any DSB form.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// A form body. Axum refuses a body over its limit (or cut short) in plain text; this answers
/// in the envelope instead: 413 for size, 400 otherwise.
struct FormBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        Bytes::from_request(request, state)
            .await
            .map(FormBody)
            .map_err(|rejection| {
                let error = match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => {
                        FunctionError::PayloadTooLarge { limit: FORM_LIMIT }
                    }
                    _ => FunctionError::MalformedBody(rejection.body_text()),
                };
                *refuse(error)
            })
    }
}

/// The response of a handler's body: what it built, or the refusal.
async fn respond(run: impl Future<Output = Result<Response, Refused>>) -> Response {
    run.await.unwrap_or_else(|refused| *refused)
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

/// The fields `names`, or a 400 `MissingFieldError` naming the first one missing (DSB's
/// "Incomplete arguments").
fn required<'a>(form: &'a Form, names: &[&str]) -> Result<Vec<&'a str>, Refused> {
    names
        .iter()
        .map(|name| {
            form.get(*name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| refuse(FunctionError::MissingField((*name).to_owned())))
        })
        .collect()
}

/// The DSB integer id in `field` as the project's user id, or a 400.
fn id(field: &str, value: &str) -> Result<String, Refused> {
    value.trim().parse::<u64>().map(user_id).map_err(|_| {
        refuse(FunctionError::invalid(
            field,
            "must be a DeathStarBench user id (an integer)",
        ))
    })
}

/// Who a request acts for: from the form on `/wrk2-api/`, from the login token on `/api/`.
struct Author {
    user_id: String,
    username: String,
}

/// A post to compose, from the form fields both APIs share: `text`, `post_type` and optional
/// `media_ids`, `media_types`.
struct NewPost {
    text: String,
    post_type: u8,
    media_ids: Option<Vec<String>>,
    media_types: Option<Vec<String>>,
}

impl NewPost {
    fn from_form(form: &Form) -> Result<NewPost, Refused> {
        let [text, post_type] = required(form, &["text", "post_type"])?[..] else {
            unreachable!("two names give two values")
        };
        let post_type: u8 = post_type
            .trim()
            .parse()
            .map_err(|_| refuse(FunctionError::invalid("post_type", "must be 0 to 3")))?;
        // Media lists are JSON arrays inside the form value, e.g. media_ids=["123","456"].
        let list = |key: &str| -> Result<Option<Vec<String>>, Refused> {
            let Some(text) = form.get(key).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            serde_json::from_str(text).map(Some).map_err(|_| {
                refuse(FunctionError::invalid(
                    key,
                    "must be a JSON array of strings",
                ))
            })
        };
        Ok(NewPost {
            text: text.into(),
            post_type,
            media_ids: list("media_ids")?,
            media_types: list("media_types")?,
        })
    }
}

/// Positions `start` (inclusive) to `stop` (exclusive) of a timeline, from the query.
#[derive(Clone, Copy)]
struct Window {
    start: i64,
    stop: i64,
}

impl Window {
    fn from_form(form: &Form) -> Result<Window, Refused> {
        let fields = required(form, &["start", "stop"])?;
        let number = |field: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| refuse(FunctionError::invalid(field, "must be an integer")))
        };
        Ok(Window {
            start: number("start", fields[0])?,
            stop: number("stop", fields[1])?,
        })
    }

    /// DSB answers an empty or backwards window with an empty list, not an error.
    fn is_empty(self) -> bool {
        self.stop <= self.start || self.start < 0
    }
}

/// Whether a follow form makes or removes its edge.
#[derive(Clone, Copy)]
enum Change {
    Follow,
    Unfollow,
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
            user_id: id("user_id", ids[0])?,
            followee_id: id("followee_id", ids[1])?,
        }));
    }
    let names = required(&form, &["user_name", "followee_name"])?;
    Ok(Edge::Names(FollowWithUsernameInput {
        username: names[0].into(),
        followee_name: names[1].into(),
    }))
}

impl Dsb {
    /// Calls function `F` with this request's context; typed within one process.
    async fn call<F: Function>(
        &self,
        input: F::Input,
        headers: &HeaderMap,
    ) -> Result<F::Output, Refused> {
        let meta = crate::call_meta(headers, self.timeout);
        self.registry
            .call::<F>(&meta, input)
            .await
            .map_err(|failure| {
                let reply = Reply {
                    status: failure.http_status,
                    body: failure.body,
                };
                Box::new(crate::into_response(reply, &meta.trace_id))
            })
    }

    /// Composes `post` as `author`; DSB's reply.
    async fn compose(
        &self,
        headers: &HeaderMap,
        author: Author,
        post: NewPost,
    ) -> Result<Response, Refused> {
        let input = ComposePostInput {
            username: author.username,
            user_id: author.user_id,
            text: post.text,
            post_type: post.post_type,
            media_ids: post.media_ids,
            media_types: post.media_types,
            media_id: None,
            media_type: None,
        };
        self.call::<ComposePostFrontend>(input, headers).await?;
        Ok("Successfully upload post".into_response())
    }

    /// Makes or removes the edge a follow form (`body`) names.
    async fn change_edge(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        change: Change,
    ) -> Result<(), Refused> {
        match (edge(body)?, change) {
            (Edge::Ids(input), Change::Follow) => drop(self.call::<Follow>(input, headers).await?),
            (Edge::Names(input), Change::Follow) => {
                drop(self.call::<FollowWithUsername>(input, headers).await?)
            }
            (Edge::Ids(input), Change::Unfollow) => {
                drop(self.call::<Unfollow>(input, headers).await?)
            }
            (Edge::Names(input), Change::Unfollow) => {
                drop(self.call::<UnfollowWithUsername>(input, headers).await?)
            }
        }
        Ok(())
    }

    /// `window` of `user_id`'s timeline `F` (home or user), as DSB's JSON post array.
    async fn timeline<F>(
        &self,
        headers: &HeaderMap,
        user_id: String,
        window: Window,
    ) -> Result<Response, Refused>
    where
        F: Function<Input = ReadTimelineInput, Output = TimelinePostsOutput>,
    {
        if window.is_empty() {
            return Ok(json_response(b"[]".to_vec()));
        }
        let input = ReadTimelineInput {
            user_id,
            start: window.start,
            stop: window.stop,
        };
        let output = self.call::<F>(input, headers).await?;
        let mut body = Vec::with_capacity(2048 * output.posts.len() + 2);
        body.push(b'[');
        for (i, post) in output.posts.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let cached = self.posts_json.get(&post.post_id);
            let json = match cached {
                Some(json) => json,
                None => {
                    let json = Bytes::from(serde_json::to_vec(&DsbPost(post)).map_err(|e| {
                        refuse(FunctionError::Internal(format!(
                            "cannot encode the reply: {e}"
                        )))
                    })?);
                    self.posts_json.insert(post.post_id.clone(), json.clone());
                    json
                }
            };
            body.extend_from_slice(&json);
        }
        body.push(b']');
        Ok(json_response(body))
    }
}

/// `value` as a JSON response, or a 500 if it does not encode.
fn json(value: &impl Serialize) -> Result<Response, Refused> {
    let body = serde_json::to_vec(value).map_err(|e| {
        refuse(FunctionError::Internal(format!(
            "cannot encode the reply: {e}"
        )))
    })?;
    Ok(json_response(body))
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
        user.serialize_field("user_id", &printed_id(self.user_id))?;
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

/// The parsers above, reachable from outside the crate for the fuzz target `dsb_forms`
/// (fuzz/fuzz_targets/dsb_forms.rs). Not an API: it only calls what the routes call.
#[doc(hidden)]
pub mod fuzzing {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{NewPost, Window, edge, id, parse_form};

    /// Parses `body` the ways the routes parse a form body or a query string: the form, then
    /// a post, a timeline window, a follow edge and the `user_id` (register, timeline query)
    /// out of it. Returns the form.
    pub fn parse_request(body: &[u8]) -> std::collections::HashMap<String, String> {
        let form = parse_form(&String::from_utf8_lossy(body));
        let _ = NewPost::from_form(&form);
        let _ = Window::from_form(&form);
        let _ = edge(body);
        if let Some(user_id) = form.get("user_id") {
            let _ = id("user_id", user_id);
        }
        form
    }

    /// The `login_token` the `/api/` routes would find in a `Cookie` header of `value`.
    pub fn login_token(value: &[u8]) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_bytes(value).ok()?);
        super::api::login_token(&headers).map(str::to_owned)
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
