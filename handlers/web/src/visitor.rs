//! Who is asking for a page, read once per request: the call context the edge reads for every
//! function (trace, deadline, the client's address) with the user the login cookie proves, the
//! form token of that login, and the base path the page's links start with.
//!
//! Forms that change something are checked here, once: the request must come from a page of
//! this site (`Origin`, or `Sec-Fetch-Site` without it), and a logged-in user's forms must
//! carry the form token of their login ([`AuthKey::form_token`]), which a page of another site
//! cannot know.
//!
//! [`AuthKey::form_token`]: deathstar_handlers::auth::AuthKey::form_token

use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use deathstar_handlers::CalleeFailure;
use deathstar_handlers::ids::now_ms;
use deathstar_handlers::{CallMeta, Function, Identity, Principal};
use deathstar_http::context;
use deathstar_http::dsb::{Form, cross_site};

use crate::base::Base;
use crate::page_error::{failure_page, page_error};
use crate::{Site, State};

/// The name of the hidden field that carries the form token.
pub const FORM_TOKEN_FIELD: &str = "form_token";

/// A request for a page, as the site sees it.
pub(crate) struct Visitor {
    site: Arc<Site>,
    pub meta: CallMeta,
    pub base: Base,
    /// The user the login cookie proves; `None` for a visitor who is not logged in (or whose
    /// token has expired: they log in again).
    pub me: Option<Principal>,
    /// The form token of this login, for the forms of the page.
    pub form_token: Option<String>,
    login_token: Option<String>,
    cross_site: bool,
    pub now_ms: u64,
}

impl FromRequestParts<State> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, site: &State) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let auth = site.registry.auth();
        let mut meta = context::read_browser(headers, site.options.timeout, auth);
        meta.client = context::client(&parts.extensions);
        if let Some(edge) = deathstar_http::edge_span::of_request(&parts.extensions) {
            meta.trace = edge;
        }
        let me = match &meta.identity {
            Identity::User(principal) => Some(principal.clone()),
            Identity::Anonymous | Identity::Refused(_) => None,
        };
        let login_token = me
            .as_ref()
            .and_then(|_| context::login_cookie(headers))
            .map(str::to_owned);
        let original = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |OriginalUri(uri)| uri);
        Ok(Visitor {
            site: site.clone(),
            base: site.options.base.of_request(original, &parts.uri),
            form_token: login_token.as_deref().map(|t| auth.form_token(t)),
            login_token,
            cross_site: cross_site(headers, &site.options.browser.allowed_origins),
            me,
            meta,
            now_ms: now_ms(),
        })
    }
}

impl Visitor {
    /// The logged-in user, or the way to the login page.
    pub fn signed_in(&self) -> Result<&Principal, Response> {
        self.me.as_ref().ok_or_else(|| self.redirect("/login"))
    }

    /// Refuses a form that a page of another site sent (login and sign-up forms, which no
    /// login has yet).
    pub fn check_same_site(&self) -> Result<(), Response> {
        match self.cross_site {
            false => Ok(()),
            true => Err(self.error(
                StatusCode::FORBIDDEN,
                "Not sent from this site",
                "A page of another site tried to send this form. Nothing was changed.",
            )),
        }
    }

    /// The logged-in user a form acts for: refused if a page of another site sent it, or if
    /// it does not carry this login's form token.
    pub fn check_form(&self, form: &Form) -> Result<&Principal, Response> {
        self.check_same_site()?;
        let me = self.signed_in()?;
        let presented = form.get(FORM_TOKEN_FIELD).map(String::as_str).unwrap_or("");
        let valid = self.login_token.as_deref().is_some_and(|token| {
            self.site
                .registry
                .auth()
                .form_token_matches(token, presented)
        });
        match valid {
            true => Ok(me),
            false => Err(self.error(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent by this login's page. Reload the page and try again.",
            )),
        }
    }

    /// Calls function `F` for this request, with its deadline, trace and login.
    pub async fn call<F: Function>(&self, input: F::Input) -> Result<F::Output, CalleeFailure> {
        self.site.registry.call::<F>(&self.meta, input).await
    }

    /// [`Visitor::call`], a failure becoming the page saying why.
    pub async fn fetch<F: Function>(&self, input: F::Input) -> Result<F::Output, Response> {
        self.call::<F>(input)
            .await
            .map_err(|failure| self.failure(&failure))
    }

    /// A `303 See Other` to `path` under the site's base.
    pub fn redirect(&self, path: &str) -> Response {
        crate::layout::see_other(&self.base.link(path))
    }

    /// The error page with `status`.
    pub fn error(&self, status: StatusCode, title: &str, message: &str) -> Response {
        page_error(self, status, title, message)
    }

    /// The error page for a function's failure, with the function's status.
    pub fn failure(&self, failure: &CalleeFailure) -> Response {
        failure_page(self, failure)
    }

    /// Whether the login cookie should be `Secure`.
    pub fn secure_cookie(&self) -> bool {
        self.site.options.browser.secure_cookie
    }
}
