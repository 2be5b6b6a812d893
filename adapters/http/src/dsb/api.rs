//! DeathStarBench's browser routes, `/api/...`, the ones its web pages call: register, log in
//! (which sets the `login_token` cookie), then compose, read timelines and list followers as the
//! user that cookie names.
//!
//! As DSB's nginx does: every route answers `OPTIONS` with 204 and every reply carries
//! `Access-Control-Allow-Origin: *`; register, login and follow redirect (302, what nginx's
//! `ngx.redirect` sends) to the page the browser goes to next; the argument check comes before
//! the token check. The cookie's token is verified here with the deployment's [`AuthKey`]
//! (signature and expiry); a missing or refused token is a 401 in the project's envelope. The
//! identity (user id, username) comes from the token, never from the request.
//!
//! [`AuthKey`]: deathstar_handlers::auth::AuthKey

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::functions::social_graph::{GetFollowees, GetFollowers, UserIdInput};
use deathstar_handlers::functions::timeline::{ReadTimelineInput, TimelinePostsOutput};
use deathstar_handlers::functions::user::{Login, LoginInput, RegisterUser, RegisterUserInput};
use deathstar_handlers::functions::{HomeTimelineReadFrontend, UserTimelineReadFrontend};
use deathstar_handlers::model::FollowEdge;
use deathstar_handlers::status;
use deathstar_handlers::{Function, FunctionError, Reply};

use super::{
    Author, Change, Dsb, FormBody, NewPost, Refused, Window, json, parse_form, printed_id,
    required, respond,
};

/// The cookie holding the login token.
const COOKIE: &str = "login_token";

/// Lifetime of the cookie, in seconds: DSB's `cookie_ttl`. The token in it expires sooner
/// (`auth::TOKEN_TTL_SECS`), as in DSB.
const COOKIE_TTL_SECS: u64 = 86_400;

pub(super) fn routes() -> Router<Arc<Dsb>> {
    Router::new()
        .route("/api/user/register", post(register).options(preflight))
        .route("/api/user/login", post(login).options(preflight))
        .route("/api/user/follow", post(follow).options(preflight))
        .route("/api/user/unfollow", post(unfollow).options(preflight))
        .route("/api/post/compose", post(compose).options(preflight))
        .route(
            "/api/home-timeline/read",
            get(home_timeline).options(preflight),
        )
        .route(
            "/api/user-timeline/read",
            get(user_timeline).options(preflight),
        )
        .route("/api/user/get_follower", get(followers).options(preflight))
        .route("/api/user/get_followee", get(followees).options(preflight))
        .layer(map_response(allow_any_origin))
}

/// DSB's CORS preflight answer (the origin header is added to every reply by
/// [`allow_any_origin`]).
async fn preflight() -> Response {
    let headers = [
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "DNT,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range",
        ),
        (header::ACCESS_CONTROL_MAX_AGE, "1728000"),
    ];
    (StatusCode::NO_CONTENT, headers).into_response()
}

async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// A redirect to `location`, relative to the route as DSB's pages expect.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The user the request's login token names, or a 401.
fn author(dsb: &Dsb, headers: &HeaderMap) -> Result<Author, Refused> {
    let claims = login_token(headers)
        .ok_or_else(|| "no login token: log in first".to_owned())
        .and_then(|token| dsb.auth.verify(token).map_err(|e| e.to_string()))
        .map_err(|message| {
            let error = FunctionError::Unauthorized {
                status: status::UNAUTHORIZED,
                message,
            };
            let trace_id = crate::call_meta(headers, dsb.timeout).trace_id;
            Box::new(crate::into_response(
                Reply::error(error, status::UNAUTHORIZED),
                &trace_id,
            ))
        })?;
    Ok(Author {
        user_id: claims.user_id,
        username: claims.username,
    })
}

/// The first non-blank `login_token` cookie.
pub(super) fn login_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .find(|value| !value.is_empty())
}

/// `RegisterUser` (the project picks the id), then to the login page.
async fn register(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [first, last, username, password] =
            required(&form, &["first_name", "last_name", "username", "password"])?[..]
        else {
            unreachable!("four names give four values")
        };
        let input = RegisterUserInput {
            username: username.into(),
            first_name: first.into(),
            last_name: last.into(),
            password: password.into(),
        };
        dsb.call::<RegisterUser>(input, &headers).await?;
        Ok(found("../../index.html"))
    })
    .await
}

/// Sets the cookie (HttpOnly: page scripts cannot read the token) and goes to the main page.
async fn login(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [username, password] = required(&form, &["username", "password"])?[..] else {
            unreachable!("two names give two values")
        };
        let input = LoginInput {
            username: username.into(),
            password: password.into(),
        };
        let output = dsb.call::<Login>(input, &headers).await?;
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age={COOKIE_TTL_SECS}; HttpOnly",
            output.token
        );
        let location = format!(
            "../../main.html?username={}",
            query_escape(&output.username)
        );
        let headers = [(header::LOCATION, location), (header::SET_COOKIE, cookie)];
        Ok((StatusCode::FOUND, headers).into_response())
    })
    .await
}

/// `text` with everything but URL-unreserved characters percent-encoded. Stored usernames are
/// already plain; this keeps the `Location` header valid whatever they hold.
fn query_escape(text: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    if text.bytes().all(plain) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.bytes()
            .map(|b| match plain(b) {
                true => (b as char).to_string(),
                false => format!("%{b:02X}"),
            })
            .collect(),
    )
}

async fn follow(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    respond(async {
        dsb.change_edge(&headers, &body, Change::Follow).await?;
        Ok(found("../../contact.html"))
    })
    .await
}

async fn unfollow(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    respond(async {
        dsb.change_edge(&headers, &body, Change::Unfollow).await?;
        Ok(StatusCode::OK.into_response())
    })
    .await
}

/// `post_type`, `text` and the media lists from the form; the author from the token.
async fn compose(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let post = NewPost::from_form(&form)?;
        let author = author(&dsb, &headers)?;
        dsb.compose(&headers, author, post).await
    })
    .await
}

async fn home_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline::<HomeTimelineReadFrontend>(state, headers, query).await
}

async fn user_timeline(state: State<Arc<Dsb>>, headers: HeaderMap, query: RawQuery) -> Response {
    timeline::<UserTimelineReadFrontend>(state, headers, query).await
}

/// `start`, `stop` from the query; the user from the token.
async fn timeline<F>(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response
where
    F: Function<Input = ReadTimelineInput, Output = TimelinePostsOutput>,
{
    let form = parse_form(query.as_deref().unwrap_or_default());
    respond(async {
        let window = Window::from_form(&form)?;
        let user_id = author(&dsb, &headers)?.user_id;
        dsb.timeline::<F>(&headers, user_id, window).await
    })
    .await
}

/// `[{"follower_id": "<id>"}, ...]`: who follows the token's user.
async fn followers(State(dsb): State<Arc<Dsb>>, headers: HeaderMap) -> Response {
    respond(async {
        let user_id = author(&dsb, &headers)?.user_id;
        let output = dsb
            .call::<GetFollowers>(UserIdInput { user_id }, &headers)
            .await?;
        json(&edge_list("follower_id", &output.followers))
    })
    .await
}

/// `[{"followee_id": "<id>"}, ...]`: whom the token's user follows.
async fn followees(State(dsb): State<Arc<Dsb>>, headers: HeaderMap) -> Response {
    respond(async {
        let user_id = author(&dsb, &headers)?.user_id;
        let output = dsb
            .call::<GetFollowees>(UserIdInput { user_id }, &headers)
            .await?;
        json(&edge_list("followee_id", &output.followees))
    })
    .await
}

/// DSB's follower list: one `{key: id}` object per edge, ids as [`printed_id`] prints them.
fn edge_list<'a>(
    key: &'static str,
    edges: &'a [FollowEdge],
) -> Vec<BTreeMap<&'static str, Cow<'a, str>>> {
    edges
        .iter()
        .map(|edge| BTreeMap::from([(key, printed_id(&edge.user_id))]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_token_is_found_among_cookies() {
        let mut headers = HeaderMap::new();
        assert_eq!(login_token(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; login_token="),
        );
        assert_eq!(login_token(&headers), None, "a blanked cookie is no token");
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark;login_token=x.y.z ; b=2"),
        );
        assert_eq!(login_token(&headers), Some("x.y.z"));
    }

    #[test]
    fn usernames_are_escaped_in_the_redirect() {
        assert_eq!(query_escape("username_1-a.b"), "username_1-a.b");
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
