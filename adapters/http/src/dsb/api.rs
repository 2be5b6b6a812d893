//! DeathStarBench's browser routes, `/api/...`, the ones its web pages call: register, log in
//! (which sets the `login_token` cookie), then compose, read timelines and list followers as the
//! user that cookie names.
//!
//! As DSB's nginx does: every route answers `OPTIONS` with 204 and every reply carries
//! `Access-Control-Allow-Origin: *`; register, login and follow redirect (302, what nginx's
//! `ngx.redirect` sends) to the page the browser goes to next; the argument check comes before
//! the token check. The cookie's token is verified at the edge with the deployment's
//! [`AuthKey`] (signature and expiry, `crate::context`); a missing or refused token is a 401 in
//! the project's envelope. The identity (user id, username) comes from the token, never from
//! the request.
//!
//! [`AuthKey`]: deathstar_handlers::auth::AuthKey

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::auth::TOKEN_TTL_SECS;
use deathstar_handlers::functions::social_graph::{GetFollowees, GetFollowers, UserIdInput};
use deathstar_handlers::functions::user::{Login, LoginInput, RegisterUser, RegisterUserInput};
use deathstar_handlers::functions::{HomeTimelineReadFrontend, UserTimelineReadFrontend};
use deathstar_handlers::model::FollowEdge;
use deathstar_handlers::{FunctionError, status};

use super::form::{FormBody, parse_form, required};
use super::ids::printed_id;
use super::{
    Author, Call, Change, Dsb, LoggedIn, Refused, compose, json, refuse, respond, timeline,
};

/// Lifetime of the cookie, in seconds: the token's, so a browser does not keep sending a token
/// that no longer verifies (DSB's cookie outlived its token by 23 hours).
const COOKIE_TTL_SECS: u64 = TOKEN_TTL_SECS;

pub(super) fn routes(dsb: &Arc<Dsb>) -> Router<Arc<Dsb>> {
    Router::new()
        .route("/api/user/register", post(register).options(preflight))
        .route("/api/user/login", post(login).options(preflight))
        .route("/api/user/logout", post(logout).options(preflight))
        .route("/api/user/follow", post(follow).options(preflight))
        .route("/api/user/unfollow", post(unfollow).options(preflight))
        .route(
            "/api/post/compose",
            post(compose::<LoggedIn>).options(preflight),
        )
        .route(
            "/api/home-timeline/read",
            get(timeline::<HomeTimelineReadFrontend, LoggedIn>).options(preflight),
        )
        .route(
            "/api/user-timeline/read",
            get(timeline::<UserTimelineReadFrontend, LoggedIn>).options(preflight),
        )
        .route("/api/user/get_follower", get(followers).options(preflight))
        .route("/api/user/get_followee", get(followees).options(preflight))
        .layer(map_response(allow_any_origin))
        .route_layer(from_fn_with_state(dsb.clone(), same_site_only))
}

/// Refuses a state-changing request (any but `GET`, `HEAD`, `OPTIONS`) that a page of another
/// site made the browser send (CSRF): its `Origin` is neither the server's own nor allowed, or,
/// without an `Origin`, its `Sec-Fetch-Site` says `cross-site`. A request with neither header
/// came from no browser page (curl, a script) and passes: it carries no one's cookie unasked.
async fn same_site_only(State(dsb): State<Arc<Dsb>>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || !cross_site(request.headers(), &dsb.browser.allowed_origins) {
        return next.run(request).await;
    }
    let error = FunctionError::Forbidden {
        status: status::CROSS_SITE,
        message: "a page of another site may not send this request".into(),
    };
    *refuse(error)
}

/// Whether `headers` say a page of a site other than this server's and `allowed`'s sent them.
/// The server is the request's `Host`, or the `X-Forwarded-Host` a proxy in front (OpenFaaS's
/// gateway) set: a page cannot make a browser send that header, so it cannot pass as either.
pub fn cross_site(headers: &HeaderMap, allowed: &[String]) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::ORIGIN.as_str()) {
        Some(origin) => {
            let authority = origin
                .split_once("://")
                .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
                .map(|(_, authority)| authority);
            let forwarded =
                text("x-forwarded-host").map(|hosts| hosts.split(',').next().unwrap_or("").trim());
            let own = authority.is_some_and(|authority| {
                [text(header::HOST.as_str()), forwarded]
                    .into_iter()
                    .flatten()
                    .any(|host| authority.eq_ignore_ascii_case(host))
            });
            !own && !allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
        }
        None => text("sec-fetch-site") == Some("cross-site"),
    }
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

/// `RegisterUser` (the project picks the id), then to the login page.
async fn register(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [first, last, username, password] =
            required(&form, ["first_name", "last_name", "username", "password"])?;
        let input = RegisterUserInput {
            username: username.into(),
            first_name: first.into(),
            last_name: last.into(),
            password: password.into(),
        };
        dsb.call::<RegisterUser>(&call, input).await?;
        Ok(found("../../index.html"))
    })
    .await
}

/// Sets the cookie (HttpOnly: page scripts cannot read the token) and goes to the main page.
async fn login(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [username, password] = required(&form, ["username", "password"])?;
        let input = LoginInput {
            username: username.into(),
            password: password.into(),
        };
        let output = dsb.call::<Login>(&call, input).await?;
        let cookie = dsb.cookie(&output.token, COOKIE_TTL_SECS);
        let location = format!(
            "../../main.html?username={}",
            query_escape(&output.username)
        );
        let headers = [(header::LOCATION, location), (header::SET_COOKIE, cookie)];
        Ok((StatusCode::FOUND, headers).into_response())
    })
    .await
}

/// Clears the login cookie and goes to the start page. The token itself stays valid until it
/// expires (tokens are not stored, so none is revoked); the browser no longer sends it.
async fn logout(State(dsb): State<Arc<Dsb>>) -> Response {
    let headers = [
        (header::LOCATION, "../../index.html".to_owned()),
        (header::SET_COOKIE, dsb.cookie("", 0)),
    ];
    (StatusCode::FOUND, headers).into_response()
}

impl Dsb {
    /// The login cookie holding `token` for `max_age` seconds, `Secure` as the policy says.
    fn cookie(&self, token: &str, max_age: u64) -> String {
        crate::context::set_login_cookie(token, max_age, self.browser.secure_cookie)
    }
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

async fn follow(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    respond(async {
        dsb.change_edge(&call, &body, Change::Follow, Author::LoggedIn)
            .await?;
        Ok(found("../../contact.html"))
    })
    .await
}

async fn unfollow(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    respond(async {
        dsb.change_edge(&call, &body, Change::Unfollow, Author::LoggedIn)
            .await?;
        Ok(StatusCode::OK.into_response())
    })
    .await
}

/// `[{"follower_id": "<id>"}, ...]`: who follows the token's user.
async fn followers(State(dsb): State<Arc<Dsb>>, call: Call) -> Response {
    respond(edges(&dsb, &call, Side::Followers)).await
}

/// `[{"followee_id": "<id>"}, ...]`: whom the token's user follows.
async fn followees(State(dsb): State<Arc<Dsb>>, call: Call) -> Response {
    respond(edges(&dsb, &call, Side::Followees)).await
}

/// Which end of the token's user's edges a list names.
#[derive(Clone, Copy)]
enum Side {
    Followers,
    Followees,
}

/// The token's user's edges on `side`, as DSB lists them.
async fn edges(dsb: &Dsb, call: &Call, side: Side) -> Result<Response, Refused> {
    let input = UserIdInput {
        user_id: call.logged_in()?.user_id,
    };
    match side {
        Side::Followers => {
            let output = dsb.call::<GetFollowers>(call, input).await?;
            json(&edge_list("follower_id", &output.followers))
        }
        Side::Followees => {
            let output = dsb.call::<GetFollowees>(call, input).await?;
            json(&edge_list("followee_id", &output.followees))
        }
    }
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
    fn a_page_is_of_this_site_when_its_origin_is_the_host_or_the_proxys_forwarded_host() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_str(value).unwrap());
            }
            map
        };
        let own = headers(&[("origin", "http://ds.test"), ("host", "ds.test")]);
        assert!(!cross_site(&own, &[]));
        let proxied = headers(&[
            ("origin", "https://social.example"),
            ("host", "10.0.0.7:8082"),
            ("x-forwarded-host", "social.example, inner"),
        ]);
        assert!(!cross_site(&proxied, &[]));
        let other = headers(&[("origin", "https://evil.example"), ("host", "ds.test")]);
        assert!(cross_site(&other, &[]));
        assert!(!cross_site(&other, &["https://evil.example".to_owned()]));
        let scheme = headers(&[("origin", "ftp://ds.test"), ("host", "ds.test")]);
        assert!(cross_site(&scheme, &[]));
        let fetched = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&fetched, &[]) && !cross_site(&HeaderMap::new(), &[]));
    }

    #[test]
    fn usernames_are_escaped_in_the_redirect() {
        assert_eq!(query_escape("username_1-a.b"), "username_1-a.b");
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
