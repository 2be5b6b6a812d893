//! DeathStarBench's `/wrk2-api/` routes, the ones its wrk2 Lua scripts and
//! `init_social_graph.py` call: the acting user is named in the request (`user_id` as DSB's
//! integer, `username`), there is no login.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::Function;
use deathstar_handlers::functions::timeline::{ReadTimelineInput, TimelinePostsOutput};
use deathstar_handlers::functions::user::{
    RegisterUserInput, RegisterUserWithId, RegisterUserWithIdInput,
};
use deathstar_handlers::functions::{HomeTimelineReadFrontend, UserTimelineReadFrontend};

use super::{Author, Change, Dsb, FormBody, NewPost, Window, id, parse_form, required, respond};

pub(super) fn routes() -> Router<Arc<Dsb>> {
    Router::new()
        .route("/wrk2-api/user/register", post(register))
        .route("/wrk2-api/user/follow", post(follow))
        .route("/wrk2-api/user/unfollow", post(unfollow))
        .route("/wrk2-api/post/compose", post(compose))
        .route("/wrk2-api/home-timeline/read", get(home_timeline))
        .route("/wrk2-api/user-timeline/read", get(user_timeline))
}

/// `RegisterUserWithId`: DSB's integer id is part of the form.
async fn register(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [first, last, username, password, dsb_user] = required(
            &form,
            &["first_name", "last_name", "username", "password", "user_id"],
        )?[..] else {
            unreachable!("five names give five values")
        };
        let input = RegisterUserWithIdInput {
            user_id: id("user_id", dsb_user)?,
            user: RegisterUserInput {
                username: username.into(),
                first_name: first.into(),
                last_name: last.into(),
                password: password.into(),
            },
        };
        dsb.call::<RegisterUserWithId>(input, &headers).await?;
        Ok("Success!".into_response())
    })
    .await
}

async fn follow(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    respond(async {
        dsb.change_edge(&headers, &body, Change::Follow).await?;
        Ok("Success!".into_response())
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
        Ok("Success!".into_response())
    })
    .await
}

async fn compose(
    State(dsb): State<Arc<Dsb>>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [username, dsb_user] = required(&form, &["username", "user_id"])?[..] else {
            unreachable!("two names give two values")
        };
        let post = NewPost::from_form(&form)?;
        let author = Author {
            user_id: id("user_id", dsb_user)?,
            username: username.into(),
        };
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

/// `user_id`, `start`, `stop` from the query.
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
        let dsb_user = required(&form, &["user_id"])?[0];
        let window = Window::from_form(&form)?;
        dsb.timeline::<F>(&headers, id("user_id", dsb_user)?, window)
            .await
    })
    .await
}
