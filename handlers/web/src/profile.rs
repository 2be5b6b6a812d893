//! A user's profile: their name, their posts a page at a time, how many follow them and whom
//! they follow (each a list of links), and a button to follow or unfollow them. Following and
//! unfollowing act for the logged-in user only, whoever the form names as the follower.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use deathstar_handlers::functions::UserTimelineReadFrontend;
use deathstar_handlers::functions::social_graph::{
    FollowWithUsername, FollowWithUsernameInput, GetFollowees, GetFollowers, UnfollowWithUsername,
    UserIdInput,
};
use deathstar_handlers::functions::timeline::ReadTimelineInput;
use deathstar_handlers::functions::user::{
    GetUserId, GetUserIdInput, GetUsers, GetUsersInput, MAX_USER_IDS,
};
use deathstar_handlers::model::{FollowEdge, PublicUser};
use deathstar_handlers::{UserId, status};
use deathstar_http::dsb::parse_form;
use maud::{Markup, html};

use crate::account::field;
use crate::layout::{Nav, form_token, html_response, page};
use crate::paging::Page;
use crate::post_text::profile_path;
use crate::timeline::{pager, post_list};
use crate::visitor::Visitor;

/// `GET /profile/{username}`: the profile and the user's timeline.
pub(crate) async fn profile(
    visitor: Visitor,
    Path(username): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let user_id = match user_id_of(&visitor, &username).await {
        Ok(user_id) => user_id,
        Err(missing) => return missing,
    };
    let page_number = Page::from_query(query.get("page").map(String::as_str));
    let (start, stop) = page_number.window();
    let edges = || UserIdInput {
        user_id: user_id.clone(),
    };
    let timeline = ReadTimelineInput {
        user_id: user_id.clone(),
        start,
        stop,
    };
    let users = GetUsersInput {
        user_ids: vec![user_id.clone()],
    };
    let (user, posts, followers, followees) = futures::join!(
        visitor.fetch::<GetUsers>(users),
        visitor.fetch::<UserTimelineReadFrontend>(timeline),
        visitor.fetch::<GetFollowers>(edges()),
        visitor.fetch::<GetFollowees>(edges()),
    );
    let (user, posts, followers, followees) = match (user, posts, followers, followees) {
        (Ok(user), Ok(posts), Ok(followers), Ok(followees)) => (
            user.users,
            posts.posts,
            followers.followers,
            followees.followees,
        ),
        (Err(failed), ..) | (_, Err(failed), ..) | (.., Err(failed), _) | (.., Err(failed)) => {
            return failed;
        }
    };
    let name = user.first().map_or(username.clone(), full_name);
    let base = &visitor.base;
    let is_me = visitor.me.as_ref().is_some_and(|me| me.user_id == user_id);
    let i_follow = visitor
        .me
        .as_ref()
        .is_some_and(|me| followers.iter().any(|edge| me.user_id == *edge.user_id));
    let path = format!("/profile/{username}");
    let main = html! {
        section.card.profile-head {
            h1 { (name) }
            p.handle { "@" (username) }
            ul.counts {
                li { a href=(base.link(&format!("{path}/followers"))) { (count(followers.len(), "follower", "followers")) } }
                li { a href=(base.link(&format!("{path}/following"))) { (followees.len()) " following" } }
            }
            @if is_me {
                @if query.contains_key("posted") {
                    p.notice role="status" { "Posted. Your followers see it on their home timeline." }
                }
            } @else if visitor.me.is_some() {
                (follow_button(&visitor, &username, i_follow, "profile"))
            } @else {
                p { a href=(base.link("/login")) { "Log in" } " to follow @" (username) "." }
            }
        }
        h2 { "Posts" }
        @if posts.is_empty() && page_number == Page::FIRST {
            p.empty {
                @if is_me {
                    "You have not posted yet. Write your first post on "
                    a href=(base.home()) { "Home" } "."
                } @else {
                    "@" (username) " has not posted yet."
                }
            }
        } @else {
            (post_list(&visitor, posts.iter().map(|p| &**p)))
            (pager(base, &path, page_number, posts.len()))
        }
    };
    let current = if is_me { Nav::Profile } else { Nav::None };
    html_response(
        StatusCode::OK,
        page(&visitor, &format!("@{username}"), current, main),
    )
}

/// `GET /profile/{username}/followers`.
pub(crate) async fn followers(visitor: Visitor, Path(username): Path<String>) -> Response {
    people_page(visitor, username, Side::Followers).await
}

/// `GET /profile/{username}/following`.
pub(crate) async fn following(visitor: Visitor, Path(username): Path<String>) -> Response {
    people_page(visitor, username, Side::Followees).await
}

/// Which end of a user's edges a list shows.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    Followers,
    Followees,
}

async fn people_page(visitor: Visitor, username: String, side: Side) -> Response {
    let user_id = match user_id_of(&visitor, &username).await {
        Ok(user_id) => user_id,
        Err(missing) => return missing,
    };
    let (edges, people) = match edges_and_people(&visitor, &user_id, side).await {
        Ok(found) => found,
        Err(failed) => return failed,
    };
    let title = match side {
        Side::Followers => format!("People who follow @{username}"),
        Side::Followees => format!("People @{username} follows"),
    };
    let main = html! {
        h1 { (title) }
        p { a href=(profile_path(&visitor.base, &username)) { "Back to @" (username) } }
        (people_list(&visitor, &people, edges, |_| html! {}))
    };
    html_response(StatusCode::OK, page(&visitor, &title, Nav::None, main))
}

/// The edges of `user_id` on `side`, and the newest [`MAX_USER_IDS`] of them as people.
pub(crate) async fn edges_and_people(
    visitor: &Visitor,
    user_id: &UserId,
    side: Side,
) -> Result<(usize, Vec<PublicUser>), Response> {
    let input = UserIdInput {
        user_id: user_id.clone(),
    };
    let edges: Vec<FollowEdge> = match side {
        Side::Followers => visitor.fetch::<GetFollowers>(input).await?.followers,
        Side::Followees => visitor.fetch::<GetFollowees>(input).await?.followees,
    };
    // Edges come oldest first: the newest are the ones shown.
    let user_ids = edges
        .iter()
        .rev()
        .take(MAX_USER_IDS)
        .filter_map(|edge| UserId::parse(edge.user_id.clone()).ok())
        .collect();
    let people = visitor
        .fetch::<GetUsers>(GetUsersInput { user_ids })
        .await?
        .users;
    Ok((edges.len(), people))
}

/// `people` as links to their profiles, each followed by `action(person)`; says when the list
/// is empty or longer than what is shown (`total`).
pub(crate) fn people_list(
    visitor: &Visitor,
    people: &[PublicUser],
    total: usize,
    action: impl Fn(&PublicUser) -> Markup,
) -> Markup {
    html! {
        @if people.is_empty() {
            p.empty { "No one yet." }
        } @else {
            ul.people {
                @for person in people {
                    li {
                        a href=(profile_path(&visitor.base, &person.username)) {
                            strong { (full_name(person)) } " "
                            span.handle { "@" (person.username) }
                        }
                        (action(person))
                    }
                }
            }
            @if total > people.len() {
                p.hint { "The " (people.len()) " most recent of " (total) "." }
            }
        }
    }
}

/// A form following (or, when `following`, unfollowing) `username`, coming back to `back`.
pub(crate) fn follow_button(
    visitor: &Visitor,
    username: &str,
    following: bool,
    back: &str,
) -> Markup {
    let (action, label, class) = match following {
        true => ("/unfollow", "Unfollow", "secondary"),
        false => ("/follow", "Follow", "primary"),
    };
    html! {
        form.inline method="post" action=(visitor.base.link(action)) {
            (form_token(visitor))
            input type="hidden" name="username" value=(username);
            input type="hidden" name="back" value=(back);
            button class=(class) type="submit" aria-label={ (label) " @" (username) } { (label) }
        }
    }
}

/// `POST /follow`: the logged-in user follows the form's `username`.
pub(crate) async fn follow(visitor: Visitor, body: Bytes) -> Response {
    change(visitor, body, Change::Follow).await
}

/// `POST /unfollow`: the logged-in user stops following the form's `username`.
pub(crate) async fn unfollow(visitor: Visitor, body: Bytes) -> Response {
    change(visitor, body, Change::Unfollow).await
}

#[derive(Clone, Copy)]
enum Change {
    Follow,
    Unfollow,
}

async fn change(visitor: Visitor, body: Bytes, change: Change) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    let me = match visitor.check_form(&form) {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    let followee = field(&form, "username").trim().trim_start_matches('@');
    let input = FollowWithUsernameInput {
        username: me.username.clone(),
        followee_name: followee.to_owned(),
    };
    let done = match change {
        Change::Follow => visitor.fetch::<FollowWithUsername>(input).await.map(drop),
        Change::Unfollow => visitor.fetch::<UnfollowWithUsername>(input).await.map(drop),
    };
    if let Err(failed) = done {
        return failed;
    }
    // The function accepted the name: it is a username, safe in a path.
    match field(&form, "back") {
        "contacts" => visitor.redirect("/contacts"),
        _ => visitor.redirect(&format!("/profile/{followee}")),
    }
}

/// The user id of `username`, or the 404 page.
async fn user_id_of(visitor: &Visitor, username: &str) -> Result<UserId, Response> {
    let input = GetUserIdInput {
        username: username.to_owned(),
    };
    match visitor.call::<GetUserId>(input).await {
        Ok(found) => Ok(found.user_id),
        Err(failure) if failure.body["status"] == status::USERNAME_NOT_FOUND => Err(visitor.error(
            StatusCode::NOT_FOUND,
            "No such user",
            &format!("There is no user @{username}."),
        )),
        Err(failure) => Err(visitor.failure(&failure)),
    }
}

/// "First Last", or the username when both are blank.
pub(crate) fn full_name(user: &PublicUser) -> String {
    let name = format!("{} {}", user.first_name.trim(), user.last_name.trim());
    match name.trim() {
        "" => user.username.clone(),
        name => name.to_owned(),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
