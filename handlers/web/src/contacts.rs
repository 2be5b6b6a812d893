//! The logged-in user's contacts: following or unfollowing someone by username, whom they
//! follow (each with an Unfollow button) and who follows them (with Follow back).

use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::layout::{Nav, html_response, page};
use crate::profile::{Side, edges_and_people, follow_button, people_list};
use crate::visitor::Visitor;

/// `GET /contacts`.
pub(crate) async fn contacts(visitor: Visitor) -> Response {
    let me = match visitor.signed_in() {
        Ok(me) => me.clone(),
        Err(to_login) => return to_login,
    };
    let (followees, followers) = futures::join!(
        edges_and_people(&visitor, &me.user_id, Side::Followees),
        edges_and_people(&visitor, &me.user_id, Side::Followers),
    );
    let ((followee_count, followees), (follower_count, followers)) = match (followees, followers) {
        (Ok(followees), Ok(followers)) => (followees, followers),
        (Err(failed), _) | (_, Err(failed)) => return failed,
    };
    let base = &visitor.base;
    let by_name = |action: &str, id: &str, label: &str, button: &str, class: &str| {
        html! {
            form.stack method="post" action=(base.link(action)) {
                (crate::layout::form_token(&visitor))
                input type="hidden" name="back" value="contacts";
                label for=(id) { (label) }
                input id=(id) name="username" required autocomplete="off"
                    autocapitalize="none" spellcheck="false" placeholder="username";
                button class=(class) type="submit" { (button) }
            }
        }
    };
    let main = html! {
        h1 { "Contacts" }
        section.card {
            h2 { "Follow someone" }
            (by_name("/follow", "follow-name", "Username to follow", "Follow", "primary"))
        }
        section.card {
            h2 { "Unfollow someone" }
            (by_name("/unfollow", "unfollow-name", "Username to unfollow", "Unfollow", "secondary"))
        }
        section.card {
            h2 { "You follow" }
            (people_list(&visitor, &followees, followee_count, |person| {
                follow_button(&visitor, &person.username, true, "contacts")
            }))
        }
        section.card {
            h2 { "Follow you" }
            (people_list(&visitor, &followers, follower_count, |person| {
                let following = followees.iter().any(|f| f.user_id == person.user_id);
                html! {
                    @if !following {
                        (follow_button(&visitor, &person.username, false, "contacts"))
                    }
                }
            }))
        }
    };
    html_response(
        StatusCode::OK,
        page(&visitor, "Contacts", Nav::Contacts, main),
    )
}
