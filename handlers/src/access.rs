//! Who may call a function, decided once for every way in.
//!
//! Every function says who may call it ([`Function::ACCESS`]): any client, a logged-in user
//! acting as themselves, or only the deployment's own functions. The registry checks it before
//! the function runs ([`admit`], then [`acts_as_itself`] once the input is read), against the
//! call's context: who the caller is (a client, or a function of this deployment — in-process,
//! or proven by a signed call, [`crate::proof`]) and who it acts for (a verified login token).
//! A function's call is trusted as its caller was: that function checked whoever called it,
//! and acts for the user it was asked to. In [`AuthMode::Open`] nothing is checked: the original
//! DeathStarFaaS contract, where bodies name users and every function is callable.

use crate::error::FunctionError;
use crate::function::Function;
use crate::invocation::{CallMeta, Caller, Identity, Principal};
use crate::status;
use crate::user_id::UserId;

/// Who may call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only the deployment's functions (and its edges' own routes): a step of a larger call.
    Functions,
    /// Any client, logged in or not: registration, login, public reads.
    Anyone,
    /// A logged-in user, acting as themselves: the user its input names
    /// ([`Function::acts_for`]) must be the login token's.
    User,
}

impl Access {
    /// Whether clients call it directly (an HTTP route on AWS, the web UI's calls).
    pub const fn is_public(self) -> bool {
        !matches!(self, Access::Functions)
    }

    /// How the README and the OpenAPI document name it.
    pub const fn describe(self) -> &'static str {
        match self {
            Access::Functions => "functions only",
            Access::Anyone => "anyone",
            Access::User => "logged-in user, as themselves",
        }
    }
}

/// The user a function's input names as the one it acts for (compose's author, follow's
/// follower), by id, by name or both; every one named must be the caller's.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActsFor<'a> {
    pub user_id: Option<&'a UserId>,
    pub username: Option<&'a str>,
}

impl<'a> ActsFor<'a> {
    /// No user named: any logged-in user may make the call (a media upload).
    pub const NOBODY: ActsFor<'static> = ActsFor {
        user_id: None,
        username: None,
    };

    pub fn id(user_id: &'a UserId) -> Self {
        ActsFor {
            user_id: Some(user_id),
            username: None,
        }
    }

    pub fn name(username: &'a str) -> Self {
        ActsFor {
            user_id: None,
            username: Some(username),
        }
    }

    pub fn id_and_name(user_id: &'a UserId, username: &'a str) -> Self {
        ActsFor {
            user_id: Some(user_id),
            username: Some(username),
        }
    }

    /// The field naming another user than `principal`, if one does.
    fn other_than(&self, principal: &Principal) -> Option<&'static str> {
        if self.user_id.is_some_and(|id| *id != principal.user_id) {
            return Some("user_id");
        }
        if self.username.is_some_and(|name| name != principal.username) {
            return Some("username");
        }
        None
    }
}

/// Whether a deployment checks who calls what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Users act only as themselves (a login token), internal functions answer only functions.
    #[default]
    Required,
    /// The original DeathStarFaaS contract: identities in bodies are trusted and every
    /// function is callable by anyone. For its unchanged clients and benchmarks only.
    Open,
}

impl AuthMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthMode::Required => "required",
            AuthMode::Open => "open",
        }
    }
}

impl std::str::FromStr for AuthMode {
    type Err = String;

    fn from_str(mode: &str) -> Result<Self, String> {
        match mode.trim() {
            "required" => Ok(AuthMode::Required),
            "open" => Ok(AuthMode::Open),
            other => Err(format!("`{other}` is no auth mode: `required` or `open`")),
        }
    }
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the caller in `meta` may call `F` at all, under `mode`: checked before the input
/// is read, so a refused caller learns nothing of it. `Ok`, or the 401 / 403 that says why not.
pub fn admit<F: Function>(mode: AuthMode, meta: &CallMeta) -> Result<(), FunctionError> {
    if mode == AuthMode::Open {
        return Ok(());
    }
    match &meta.caller {
        Caller::Function => return Ok(()),
        // Whatever the function: a proof that fails is an attempt, not an honest client.
        Caller::BadProof(why) => return Err(forbidden(status::CALL_PROOF, why.to_string())),
        Caller::Client => {}
    }
    match (F::ACCESS, &meta.identity) {
        (Access::Anyone, _) | (Access::User, Identity::User(_)) => Ok(()),
        (Access::Functions, _) => Err(forbidden(
            status::INTERNAL_FUNCTION,
            format!(
                "{} is internal: only functions of this deployment may call it",
                F::NAME
            ),
        )),
        (Access::User, Identity::Anonymous) => Err(unauthorized(format!(
            "{} acts for a user: log in (user-service-login) and send the token as \
             `Authorization: Bearer <token>`",
            F::NAME
        ))),
        (Access::User, Identity::Refused(why)) => Err(unauthorized(why.clone())),
    }
}

/// Whether a client admitted by [`admit`] acts as itself: the user `input` names
/// ([`Function::acts_for`]) must be the login token's. `Ok`, or the 403 naming the field.
pub fn acts_as_itself<F: Function>(
    mode: AuthMode,
    meta: &CallMeta,
    input: &F::Input,
) -> Result<(), FunctionError> {
    let (AuthMode::Required, Caller::Client, Access::User, Identity::User(principal)) =
        (mode, &meta.caller, F::ACCESS, &meta.identity)
    else {
        return Ok(());
    };
    match F::acts_for(input).other_than(principal) {
        None => Ok(()),
        Some(field) => Err(forbidden(
            status::FORBIDDEN,
            format!(
                "`{field}` names another user than the one logged in ({}): a user acts only \
                 as themselves",
                principal.username
            ),
        )),
    }
}

fn forbidden(status: &'static str, message: String) -> FunctionError {
    FunctionError::Forbidden { status, message }
}

fn unauthorized(message: String) -> FunctionError {
    FunctionError::Unauthorized {
        status: status::UNAUTHORIZED,
        message,
    }
}
