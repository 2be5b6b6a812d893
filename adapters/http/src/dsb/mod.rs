//! DeathStarBench's own HTTP API, mapped onto the functions: its nginx `/wrk2-api/` routes
//! (`wrk2.rs`), so that DSB's wrk2 Lua scripts and `init_social_graph.py` run against this project
//! unchanged, and its browser routes `/api/` (`api.rs`), which act for the user named by the
//! `login_token` cookie that `/api/user/login` sets.
//!
//! Each route is one small mapping onto a frontend function: its parameters (`form.rs`, as DSB
//! sends them; DSB's integer user ids, `ids.rs`), the acting user ([`Actor`]: named in the form
//! on `/wrk2-api/`, the verified login token on `/api/`), one call, DSB's reply (`Success!`,
//! `Successfully upload post`, timelines as DSB's JSON, `post_json.rs`). Errors keep the
//! project's JSON envelope and status.
//!
//! This module holds what both route sets share: the request's context ([`Call`]), calling a
//! function, and composing, following and reading timelines once the user is known.

mod api;
mod form;
mod ids;
mod post_json;
mod wrk2;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use deathstar_handlers::functions::compose::{ComposePostFrontend, ComposePostInput};
use deathstar_handlers::functions::social_graph::{
    Follow, FollowWithUsername, Unfollow, UnfollowWithUsername,
};
use deathstar_handlers::functions::timeline::{ReadTimelineInput, TimelinePostsOutput};
use deathstar_handlers::status;
use deathstar_handlers::{CallMeta, Function, FunctionError, Identity, Registry, Reply, UserId};
use serde::Serialize;

pub use api::cross_site;
pub use form::{Form, parse_form};
pub use ids::dsb_id;

use form::{Edge, FormBody, NewPost, Window};
use post_json::PostsJson;

struct Dsb {
    /// Runs the functions it hosts, and calls the others through its remote invoker; its key
    /// verifies login tokens.
    registry: Registry,
    timeout: Duration,
    browser: BrowserPolicy,
    posts_json: PostsJson,
}

/// What the browser routes (`/api/`) allow and set.
#[derive(Debug, Clone, Default)]
pub struct BrowserPolicy {
    /// Origins (`https://social.example`) whose pages may send state-changing requests, besides
    /// the server's own (the request's `Host`).
    pub allowed_origins: Vec<String>,
    /// Whether the login cookie is `Secure` (sent over HTTPS only): set it behind TLS.
    pub secure_cookie: bool,
}

/// The `/wrk2-api/` and `/api/` routes, calling functions through `registry` (in-process
/// where it hosts them), each request with `timeout` as its deadline; the browser routes with
/// the default [`BrowserPolicy`] (same-origin pages only, cookie not `Secure`).
pub fn router(registry: Registry, timeout: Duration) -> Router {
    router_with_policy(registry, timeout, BrowserPolicy::default())
}

/// [`router`] with the browser routes under `browser`.
pub fn router_with_policy(registry: Registry, timeout: Duration, browser: BrowserPolicy) -> Router {
    let dsb = Dsb::new(registry, timeout, browser);
    wrk2::routes()
        .merge(api::routes(&dsb))
        .route_layer(axum::middleware::from_fn(crate::edge_span::record))
        .with_state(dsb)
}

/// The browser routes (`/api/`) alone, without the load generator's `/wrk2-api/`, which lets
/// anyone act as any user.
pub fn browser_router(registry: Registry, timeout: Duration, browser: BrowserPolicy) -> Router {
    let dsb = Dsb::new(registry, timeout, browser);
    api::routes(&dsb)
        .route_layer(axum::middleware::from_fn(crate::edge_span::record))
        .with_state(dsb)
}

impl Dsb {
    fn new(registry: Registry, timeout: Duration, browser: BrowserPolicy) -> Arc<Dsb> {
        Arc::new(Dsb {
            registry,
            timeout,
            browser,
            posts_json: PostsJson::new(),
        })
    }
}

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

/// The response of a handler's body: what it built, or the refusal.
async fn respond(run: impl Future<Output = Result<Response, Refused>>) -> Response {
    run.await.unwrap_or_else(|refused| *refused)
}

/// A request's context, read once from its headers (`crate::context`): its trace, deadline and
/// identity.
struct Call(CallMeta);

impl FromRequestParts<Arc<Dsb>> for Call {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        dsb: &Arc<Dsb>,
    ) -> Result<Self, Self::Rejection> {
        let auth = dsb.registry.auth();
        let mut meta = crate::context::read_browser(&parts.headers, dsb.timeout, auth);
        // The client login throttling counts, as for `/function/`.
        meta.client = crate::context::client(&parts.extensions);
        if let Some(edge) = crate::edge_span::of_request(&parts.extensions) {
            meta.trace = edge;
        }
        Ok(Call(meta))
    }
}

/// Who a request acts for: named in the form on `/wrk2-api/` (DSB's benchmark API has no
/// login), the verified login token on `/api/`.
struct Actor {
    user_id: UserId,
    username: String,
}

impl Actor {
    /// `user_id` (DSB's integer) and `username` from a `/wrk2-api/` form.
    fn from_form(form: &form::Form) -> Result<Actor, Refused> {
        let [username, dsb_user] = form::required(form, ["username", "user_id"])?;
        Ok(Actor {
            user_id: form::id("user_id", dsb_user)?,
            username: username.into(),
        })
    }
}

impl Call {
    /// The user the request's login token names, or a 401 saying why not.
    fn logged_in(&self) -> Result<Actor, Refused> {
        let message = match &self.0.identity {
            Identity::User(user) => {
                return Ok(Actor {
                    user_id: user.user_id.clone(),
                    username: user.username.clone(),
                });
            }
            Identity::Anonymous => "no login token: log in first".to_owned(),
            Identity::Refused(why) => why.clone(),
        };
        let error = FunctionError::Unauthorized {
            status: status::UNAUTHORIZED,
            message,
        };
        let reply = Reply::error(error, status::UNAUTHORIZED);
        Err(Box::new(crate::into_response(reply, &self.trace_id())))
    }

    fn trace_id(&self) -> String {
        self.0.trace_id().to_string()
    }
}

/// Where a request names the user it acts for.
#[derive(Clone, Copy)]
enum Author {
    /// In the form or query (`/wrk2-api/`): `user_id` (DSB's integer), and `username` to post.
    InForm,
    /// The login token (`/api/`).
    LoggedIn,
}

/// Where a route set names its user, as a type: the compose and timeline routes are written once,
/// for either.
trait Acting: Send + Sync + 'static {
    const AUTHOR: Author;
}

/// `/wrk2-api/`: the user is named in the request.
struct NamedInRequest;

impl Acting for NamedInRequest {
    const AUTHOR: Author = Author::InForm;
}

/// `/api/`: the user is the login token's.
struct LoggedIn;

impl Acting for LoggedIn {
    const AUTHOR: Author = Author::LoggedIn;
}

/// `POST .../post/compose`: the post, and its author as `A` says.
async fn compose<A: Acting>(
    State(dsb): State<Arc<Dsb>>,
    call: Call,
    FormBody(body): FormBody,
) -> Response {
    respond(dsb.compose(&call, &body, A::AUTHOR)).await
}

/// `GET .../{home,user}-timeline/read`: a page of timeline `F`, of the user `A` says.
async fn timeline<F, A>(
    State(dsb): State<Arc<Dsb>>,
    call: Call,
    RawQuery(query): RawQuery,
) -> Response
where
    F: Function<Input = ReadTimelineInput, Output = TimelinePostsOutput>,
    A: Acting,
{
    respond(dsb.timeline::<F>(&call, query.as_deref(), A::AUTHOR)).await
}

/// Whether a follow form makes or removes its edge.
#[derive(Clone, Copy)]
enum Change {
    Follow,
    Unfollow,
}

impl Dsb {
    /// Calls function `F` with this request's context; typed within one process.
    async fn call<F: Function>(&self, call: &Call, input: F::Input) -> Result<F::Output, Refused> {
        self.registry
            .call::<F>(&call.0, input)
            .await
            .map_err(|failure| {
                let reply = Reply {
                    status: failure.http_status,
                    body: failure.body,
                };
                Box::new(crate::into_response(reply, &call.trace_id()))
            })
    }

    /// Composes the post of a compose form (`body`) as the user `author` says; DSB's reply.
    /// Fields are checked in DSB's order: the author's in the form, the post's, then the token.
    async fn compose(&self, call: &Call, body: &[u8], author: Author) -> Result<Response, Refused> {
        let form = form::parse_form(&String::from_utf8_lossy(body));
        let named = match author {
            Author::InForm => Some(Actor::from_form(&form)?),
            Author::LoggedIn => None,
        };
        let post = NewPost::from_form(&form)?;
        let author = match named {
            Some(actor) => actor,
            None => call.logged_in()?,
        };
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
        self.call::<ComposePostFrontend>(call, input).await?;
        Ok("Successfully upload post".into_response())
    }

    /// Makes or removes the edge a follow form (`body`) names: both ends in the form, or the
    /// followee in the form and the logged-in user as the follower.
    async fn change_edge(
        &self,
        call: &Call,
        body: &[u8],
        change: Change,
        whose: Author,
    ) -> Result<(), Refused> {
        let form = form::parse_form(&String::from_utf8_lossy(body));
        let edge = match whose {
            Author::InForm => form::edge(&form)?,
            Author::LoggedIn => {
                form::names_a_followee(&form)?;
                let me = call.logged_in()?;
                form::edge_of(&form, &me.user_id, &me.username)?
            }
        };
        match (edge, change) {
            (Edge::Ids(input), Change::Follow) => drop(self.call::<Follow>(call, input).await?),
            (Edge::Names(input), Change::Follow) => {
                drop(self.call::<FollowWithUsername>(call, input).await?)
            }
            (Edge::Ids(input), Change::Unfollow) => drop(self.call::<Unfollow>(call, input).await?),
            (Edge::Names(input), Change::Unfollow) => {
                drop(self.call::<UnfollowWithUsername>(call, input).await?)
            }
        }
        Ok(())
    }

    /// A page of timeline `F` (home or user) as DSB's JSON post array: the window (`start`,
    /// `stop`) from the query, the user as `whose` says. Checked in DSB's order: a `user_id` in
    /// the query, the window, then the token.
    async fn timeline<F>(
        &self,
        call: &Call,
        query: Option<&str>,
        whose: Author,
    ) -> Result<Response, Refused>
    where
        F: Function<Input = ReadTimelineInput, Output = TimelinePostsOutput>,
    {
        let form = form::parse_form(query.unwrap_or_default());
        let named = match whose {
            Author::InForm => {
                let [dsb_user] = form::required(&form, ["user_id"])?;
                Some(form::id("user_id", dsb_user)?)
            }
            Author::LoggedIn => None,
        };
        let window = Window::from_form(&form)?;
        let user_id = match named {
            Some(user_id) => user_id,
            None => call.logged_in()?.user_id,
        };
        if window.is_empty() {
            return Ok(json_response(b"[]".to_vec()));
        }
        let input = ReadTimelineInput {
            user_id,
            start: window.start,
            stop: window.stop,
        };
        let output = self.call::<F>(call, input).await?;
        let page = self.posts_json.page(&output.posts).map_err(cannot_encode)?;
        Ok(json_response(page))
    }
}

/// `value` as a JSON response, or a 500 if it does not encode.
fn json(value: &impl Serialize) -> Result<Response, Refused> {
    let body = serde_json::to_vec(value).map_err(cannot_encode)?;
    Ok(json_response(body))
}

fn cannot_encode(error: serde_json::Error) -> Refused {
    refuse(FunctionError::Internal(format!(
        "cannot encode the reply: {error}"
    )))
}

fn json_response(body: Vec<u8>) -> Response {
    let content_type = [(header::CONTENT_TYPE, "application/json")];
    (content_type, body).into_response()
}

/// The parsers the routes use, reachable from outside the crate for the fuzz target
/// `dsb_forms` (fuzz/fuzz_targets/dsb_forms.rs). Not an API: it only calls what the routes call.
#[doc(hidden)]
pub mod fuzzing {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::form::{NewPost, Window, edge, id, parse_form};

    /// Parses `body` the ways the routes parse a form body or a query string: the form, then
    /// a post, a timeline window, a follow edge and the `user_id` (register, timeline query)
    /// out of it. Returns the form.
    pub fn parse_request(body: &[u8]) -> std::collections::HashMap<String, String> {
        let form = parse_form(&String::from_utf8_lossy(body));
        let _ = NewPost::from_form(&form);
        let _ = Window::from_form(&form);
        let _ = edge(&form);
        if let Some(user_id) = form.get("user_id") {
            let _ = id("user_id", user_id);
        }
        form
    }

    /// The `login_token` the `/api/` routes would find in a `Cookie` header of `value`.
    pub fn login_token(value: &[u8]) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_bytes(value).ok()?);
        crate::context::login_cookie(&headers).map(str::to_owned)
    }
}
