//! Signing up, logging in and out. Logging in sets the login token as the `login_token`
//! cookie (HttpOnly: no script reads it; SameSite=Lax: no other site's form or subrequest
//! carries it; `Secure` behind TLS), the cookie the edge verifies for every page. Signing up
//! logs the new user in. A refusal shows the form again, with the function's own message and
//! status (400 for a bad field, 409 for a taken username, 401 for a wrong password, 429 when
//! throttled), keeping what was typed except the password.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use deathstar_handlers::auth::TOKEN_TTL_SECS;
use deathstar_handlers::functions::user::{Login, LoginInput, RegisterUser, RegisterUserInput};
use deathstar_http::context::set_login_cookie;
use deathstar_http::dsb::{Form, parse_form};
use maud::{Markup, html};

use crate::layout::{Nav, html_response, page};
use crate::page_error::{message_of, status_of};
use crate::visitor::Visitor;

/// `GET /login`: the login form; a logged-in visitor goes home.
pub(crate) async fn login_page(visitor: Visitor) -> Response {
    if visitor.me.is_some() {
        return visitor.redirect("/");
    }
    login_form(&visitor, StatusCode::OK, "", None)
}

/// The login page, with `username` filled in and `alert` shown, answered with `status`. Also
/// the start page of a visitor who is not logged in.
pub(crate) fn login_form(
    visitor: &Visitor,
    status: StatusCode,
    username: &str,
    alert: Option<&str>,
) -> Response {
    let base = &visitor.base;
    let main = html! {
        section.card {
            h1 { "Log in" }
            (alert_of(alert))
            form.stack method="post" action=(base.link("/login")) {
                label for="username" { "Username" }
                input #username name="username" value=(username) required
                    autocomplete="username" autocapitalize="none" spellcheck="false";
                label for="password" { "Password" }
                input #password type="password" name="password" required
                    autocomplete="current-password";
                button.primary type="submit" { "Log in" }
            }
            p { "New here? " a href=(base.link("/signup")) { "Sign up" } }
        }
    };
    html_response(status, page(visitor, "Log in", Nav::LogIn, main))
}

/// `POST /login`: checks the password, sets the cookie and goes home.
pub(crate) async fn login(visitor: Visitor, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    if let Err(refused) = visitor.check_same_site() {
        return refused;
    }
    let (username, password) = (field(&form, "username"), field(&form, "password"));
    log_in(&visitor, username, password, |status, alert| {
        login_form(&visitor, status, username, Some(alert))
    })
    .await
}

/// Logs `username` in: the cookie and the way home, or `refused` with the status and message.
async fn log_in(
    visitor: &Visitor,
    username: &str,
    password: &str,
    refused: impl FnOnce(StatusCode, &str) -> Response,
) -> Response {
    let input = LoginInput {
        username: username.to_owned(),
        password: password.to_owned(),
    };
    match visitor.call::<Login>(input).await {
        Ok(output) => {
            let mut response = visitor.redirect("/");
            set_cookie(visitor, &mut response, &output.token, TOKEN_TTL_SECS);
            response
        }
        Err(failure) => refused(status_of(&failure), &message_of(&failure)),
    }
}

/// `GET /signup`: the sign-up form.
pub(crate) async fn signup_page(visitor: Visitor) -> Response {
    if visitor.me.is_some() {
        return visitor.redirect("/");
    }
    signup_form(&visitor, StatusCode::OK, &Form::new(), None)
}

fn signup_form(
    visitor: &Visitor,
    status: StatusCode,
    typed: &Form,
    alert: Option<&str>,
) -> Response {
    let base = &visitor.base;
    let value = |name: &str| field(typed, name).to_owned();
    let main = html! {
        section.card {
            h1 { "Sign up" }
            (alert_of(alert))
            form.stack method="post" action=(base.link("/signup")) {
                label for="first_name" { "First name" }
                input #first_name name="first_name" value=(value("first_name")) required
                    autocomplete="given-name";
                label for="last_name" { "Last name" }
                input #last_name name="last_name" value=(value("last_name")) required
                    autocomplete="family-name";
                label for="username" { "Username" }
                input #username name="username" value=(value("username")) required
                    autocomplete="username" autocapitalize="none" spellcheck="false"
                    maxlength="64" aria-describedby="username-hint";
                p.hint #username-hint { "Letters, digits, _ and -; up to 64. Others mention you as @username." }
                label for="password" { "Password" }
                input #password type="password" name="password" required
                    autocomplete="new-password";
                button.primary type="submit" { "Sign up" }
            }
            p { "Have an account? " a href=(base.link("/login")) { "Log in" } }
        }
    };
    html_response(status, page(visitor, "Sign up", Nav::SignUp, main))
}

/// `POST /signup`: registers the user, then logs them in.
pub(crate) async fn signup(visitor: Visitor, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    if let Err(refused) = visitor.check_same_site() {
        return refused;
    }
    let input = RegisterUserInput {
        username: field(&form, "username").to_owned(),
        first_name: field(&form, "first_name").to_owned(),
        last_name: field(&form, "last_name").to_owned(),
        password: field(&form, "password").to_owned(),
    };
    if let Err(failure) = visitor.call::<RegisterUser>(input).await {
        return signup_form(
            &visitor,
            status_of(&failure),
            &form,
            Some(&message_of(&failure)),
        );
    }
    let (username, password) = (field(&form, "username"), field(&form, "password"));
    // Registered: a failed login now (throttled, storage gone) is told on the login page.
    log_in(&visitor, username, password, |status, alert| {
        login_form(&visitor, status, username, Some(alert))
    })
    .await
}

/// `POST /logout`: forgets the cookie and goes to the start page. The token itself stays
/// valid until it expires (tokens are not stored); the browser no longer sends it.
pub(crate) async fn logout(visitor: Visitor, body: Bytes) -> Response {
    let form = parse_form(&String::from_utf8_lossy(&body));
    if let Err(refused) = visitor.check_form(&form) {
        return refused;
    }
    let mut response = visitor.redirect("/");
    set_cookie(&visitor, &mut response, "", 0);
    response
}

/// Sets the login cookie to `token` for `max_age` seconds (0: removes it). `Path=/`: the site
/// answers at `/` and under the gateway's prefix alike, and the JSON functions under
/// `/function/` ignore the cookie (they take a bearer token only).
fn set_cookie(visitor: &Visitor, response: &mut Response, token: &str, max_age: u64) {
    let cookie = set_login_cookie(token, max_age, visitor.secure_cookie());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The text of field `name`, empty when absent.
pub(crate) fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

/// An alert box saying `alert`, if there is one.
pub(crate) fn alert_of(alert: Option<&str>) -> Markup {
    html! {
        @if let Some(alert) = alert {
            p.alert role="alert" { (alert) }
        }
    }
}
