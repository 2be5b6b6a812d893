//! DeathStarBench's request parameters as it sends them, and what the routes read from them.
//!
//! Form bodies are not percent-encoded (raw spaces, `@`, `:`, `/`, quotes, as wrk's Lua scripts
//! send them) or are (`init_social_graph.py`'s aiohttp, `+` for a space); query strings alike.
//! Out of a form come a post to compose ([`NewPost`]), a timeline window ([`Window`]), the two
//! ends of a follow ([`Edge`]) and DSB's integer user ids ([`id`]). Every refusal is a 400 (413
//! for a body over [`FORM_LIMIT`]) in the project's envelope, naming the field.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use deathstar_handlers::functions::social_graph::{FollowInput, FollowWithUsernameInput};
use deathstar_handlers::{FunctionError, UserId, status};

use super::{Refused, refuse};
use crate::Refusal;

/// Form fields by name.
pub type Form = HashMap<String, String>;

/// Largest form body taken: axum's default body limit, far above any DSB form.
pub(super) const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// A form body. Axum refuses a body over its limit (or cut short) in plain text; this answers
/// in the envelope instead: 413 for size, 400 otherwise.
pub(super) struct FormBody(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        Bytes::from_request(request, state)
            .await
            .map(FormBody)
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    Refusal::PayloadTooLarge { limit: FORM_LIMIT }.into_response()
                }
                _ => *refuse(FunctionError::MalformedBody(rejection.body_text())),
            })
    }
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
pub(super) fn required<'a, const N: usize>(
    form: &'a Form,
    names: [&str; N],
) -> Result<[&'a str; N], Refused> {
    let mut values = [""; N];
    for (value, name) in values.iter_mut().zip(names) {
        *value = form
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| refuse(FunctionError::MissingField(name.to_owned())))?;
    }
    Ok(values)
}

/// The DSB integer id in `field` as the project's user id, or a 400.
pub(super) fn id(field: &str, value: &str) -> Result<UserId, Refused> {
    value
        .trim()
        .parse::<u64>()
        .map(UserId::from_integer)
        .map_err(|_| {
            refuse(FunctionError::invalid(
                field,
                "must be a DeathStarBench user id (an integer)",
            ))
        })
}

/// A post to compose, from the form fields both APIs share: `text`, `post_type` and optional
/// `media_ids`, `media_types`.
pub(super) struct NewPost {
    pub(super) text: String,
    pub(super) post_type: u8,
    pub(super) media_ids: Option<Vec<String>>,
    pub(super) media_types: Option<Vec<String>>,
}

impl NewPost {
    pub(super) fn from_form(form: &Form) -> Result<NewPost, Refused> {
        let [text, post_type] = required(form, ["text", "post_type"])?;
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
pub(super) struct Window {
    pub(super) start: i64,
    pub(super) stop: i64,
}

impl Window {
    pub(super) fn from_form(form: &Form) -> Result<Window, Refused> {
        let [start, stop] = required(form, ["start", "stop"])?;
        let number = |field: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| refuse(FunctionError::invalid(field, "must be an integer")))
        };
        Ok(Window {
            start: number("start", start)?,
            stop: number("stop", stop)?,
        })
    }

    /// DSB answers an empty or backwards window with an empty list, not an error.
    pub(super) fn is_empty(self) -> bool {
        self.stop <= self.start || self.start < 0
    }
}

/// The two ways DSB names the ends of an edge.
pub(super) enum Edge {
    Ids(FollowInput),
    Names(FollowWithUsernameInput),
}

/// A follow or unfollow form: by ids (`user_id`, `followee_id`) or by names (`user_name`,
/// `followee_name`).
pub(super) fn edge(form: &Form) -> Result<Edge, Refused> {
    if let Ok([user, followee]) = required(form, ["user_id", "followee_id"]) {
        return Ok(Edge::Ids(FollowInput {
            user_id: id("user_id", user)?,
            followee_id: id("followee_id", followee)?,
        }));
    }
    let [user, followee] = required(form, ["user_name", "followee_name"])?;
    Ok(Edge::Names(FollowWithUsernameInput {
        username: user.into(),
        followee_name: followee.into(),
    }))
}

/// The followee of a follow or unfollow form sent by a logged-in user (`followee_id` or
/// `followee_name`), as the edge from `user_id` / `username`. A form that also names the
/// user must name this one: acting for another user is a 403.
pub(super) fn edge_of(form: &Form, user_id: &UserId, username: &str) -> Result<Edge, Refused> {
    let by_id = form.get("user_id").is_some_and(|v| !v.is_empty());
    let named_other = match (form.get("user_id"), form.get("user_name")) {
        (Some(id_field), _) if by_id => id("user_id", id_field)? != *user_id,
        (_, Some(name)) if !name.is_empty() => name != username,
        _ => false,
    };
    if named_other {
        return Err(refuse(FunctionError::Forbidden {
            status: status::FORBIDDEN,
            message: "a logged-in user follows and unfollows only as themselves".into(),
        }));
    }
    if let Ok([followee]) = required(form, ["followee_id"]) {
        return Ok(Edge::Ids(FollowInput {
            user_id: user_id.clone(),
            followee_id: id("followee_id", followee)?,
        }));
    }
    let [followee] = required(form, ["followee_name"])?;
    Ok(Edge::Names(FollowWithUsernameInput {
        username: username.to_owned(),
        followee_name: followee.into(),
    }))
}

/// Whether a follow or unfollow form names its followee (checked before the login token, as
/// DSB checks arguments first).
pub(super) fn names_a_followee(form: &Form) -> Result<(), Refused> {
    if required(form, ["followee_id"]).is_ok() {
        return Ok(());
    }
    required(form, ["followee_name"]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_first_missing_field_is_named() {
        let form = parse_form("a=1&b=");
        assert_eq!(required(&form, ["a"]).unwrap(), ["1"]);
        let refused = required(&form, ["a", "b", "c"]).unwrap_err();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }
}
