//! DeathStarBench's `/wrk2-api/` routes, the ones its wrk2 Lua scripts and
//! `init_social_graph.py` call: the acting user is named in the request (`user_id` as DSB's
//! integer, `username`), there is no login.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deathstar_handlers::functions::user::{
    RegisterUserInput, RegisterUserWithId, RegisterUserWithIdInput,
};
use deathstar_handlers::functions::{HomeTimelineReadFrontend, UserTimelineReadFrontend};

use super::form::{FormBody, id, parse_form, required};
use super::{Author, Call, Change, Dsb, NamedInRequest, compose, respond, timeline};

pub(super) fn routes() -> Router<Arc<Dsb>> {
    Router::new()
        .route("/wrk2-api/user/register", post(register))
        .route("/wrk2-api/user/follow", post(follow))
        .route("/wrk2-api/user/unfollow", post(unfollow))
        .route("/wrk2-api/post/compose", post(compose::<NamedInRequest>))
        .route(
            "/wrk2-api/home-timeline/read",
            get(timeline::<HomeTimelineReadFrontend, NamedInRequest>),
        )
        .route(
            "/wrk2-api/user-timeline/read",
            get(timeline::<UserTimelineReadFrontend, NamedInRequest>),
        )
}

/// `RegisterUserWithId`: DSB's integer id is part of the form.
async fn register(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    respond(async {
        let [first, last, username, password, dsb_user] = required(
            &form,
            ["first_name", "last_name", "username", "password", "user_id"],
        )?;
        let input = RegisterUserWithIdInput {
            user_id: id("user_id", dsb_user)?,
            user: RegisterUserInput {
                username: username.into(),
                first_name: first.into(),
                last_name: last.into(),
                password: password.into(),
            },
        };
        dsb.call::<RegisterUserWithId>(&call, input).await?;
        Ok("Success!".into_response())
    })
    .await
}

async fn follow(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    respond(async {
        dsb.change_edge(&call, &body, Change::Follow, Author::InForm)
            .await?;
        Ok("Success!".into_response())
    })
    .await
}

async fn unfollow(State(dsb): State<Arc<Dsb>>, call: Call, FormBody(body): FormBody) -> Response {
    respond(async {
        dsb.change_edge(&call, &body, Change::Unfollow, Author::InForm)
            .await?;
        Ok("Success!".into_response())
    })
    .await
}
