//! A call's context on the wire: read from an incoming request once ([`read`]), stamped on an
//! outgoing call once ([`stamp`]). Every edge (the local server, the OpenFaaS process, the Lambda
//! bootstraps) reads with this and every invoker (the gateway's, Lambda's) stamps with it, so
//! the headers below are the whole contract between processes:
//!
//! - `traceparent` (W3C Trace Context): the caller's span; the call continues its trace.
//! - `x-ds-deadline-ms`: what is left of the caller's deadline.
//! - `Authorization: Bearer <token>`, or DeathStarBench's `login_token` cookie: the login
//!   token `user-service-login` returned, verified here with the deployment's key.
//!
//! Replies carry the trace id back in `x-request-id`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::trace::TraceContext;
use deathstar_handlers::{CallMeta, Identity, Principal, UserId};

/// Header carrying the trace context of a call (W3C).
pub const TRACEPARENT: &str = "traceparent";
/// Reply header naming the trace id of the call tree.
pub const REQUEST_ID: &str = "x-request-id";
/// Header carrying what is left of the caller's deadline, in milliseconds.
pub const DEADLINE_MS: &str = "x-ds-deadline-ms";
/// DeathStarBench's cookie holding the login token (its `/api/` routes and web pages).
pub const LOGIN_COOKIE: &str = "login_token";

/// The context of an incoming request: a new span of the caller's trace (or a new trace), its
/// deadline (the caller's, if sooner than `timeout`), and who it acts for, from a login token
/// verified with `auth`.
pub fn read(headers: &HeaderMap, timeout: Duration, auth: &AuthKey) -> CallMeta {
    let token = bearer_token(headers).or_else(|| login_cookie(headers));
    let identity = match token {
        None => Identity::Anonymous,
        Some(token) => match auth
            .verify(token)
            .map(|c| (UserId::parse(c.user_id), c.username))
        {
            Ok((Ok(user_id), username)) => Identity::User(Principal { user_id, username }),
            // Signed here, so never: unless the signing key leaked.
            Ok((Err(not_an_id), _)) => Identity::Refused(not_an_id.to_string()),
            Err(refused) => Identity::Refused(refused.to_string()),
        },
    };
    CallMeta {
        trace: trace(headers),
        identity,
        auth_token: token.map(Arc::from),
        ..CallMeta::root().with_timeout(request_timeout(headers, timeout))
    }
}

/// The headers that carry `meta` to a function in another process.
pub fn stamp(meta: &CallMeta) -> Vec<(&'static str, String)> {
    let mut headers = vec![(TRACEPARENT, meta.trace.traceparent())];
    if let Some(at) = meta.deadline {
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        headers.push((DEADLINE_MS, left.as_millis().to_string()));
    }
    if let Some(token) = &meta.auth_token {
        headers.push((header::AUTHORIZATION.as_str(), format!("Bearer {token}")));
    }
    headers
}

/// A new span of the trace the request names in `traceparent`, else a new trace. Cheap: for
/// answers given before the rest of the context is read (a shed request).
pub fn trace(headers: &HeaderMap) -> TraceContext {
    headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::from_traceparent)
        .map_or_else(TraceContext::root, |caller| caller.child())
}

/// How long a request may take: `timeout`, or what is left of the caller's deadline if sooner.
pub fn request_timeout(headers: &HeaderMap, timeout: Duration) -> Duration {
    let callers = headers
        .get(DEADLINE_MS)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis);
    callers.map_or(timeout, |c| c.min(timeout))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// The first non-blank `login_token` cookie.
pub fn login_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == LOGIN_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .find(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_login_token_is_found_among_cookies() {
        let mut headers = HeaderMap::new();
        assert_eq!(login_cookie(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; login_token="),
        );
        assert_eq!(login_cookie(&headers), None, "a blanked cookie is no token");
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark;login_token=x.y.z ; b=2"),
        );
        assert_eq!(login_cookie(&headers), Some("x.y.z"));
    }

    /// What one process stamps, the next reads back: the same trace (a new span), the
    /// deadline, and the user.
    #[test]
    fn a_stamped_context_reads_back() {
        let auth = AuthKey::new("k");
        let user = UserId::random();
        let token = auth.issue(&user, "alice");
        let sent = CallMeta {
            auth_token: Some(token.into()),
            ..CallMeta::root().with_timeout(Duration::from_secs(5))
        };
        let mut headers = HeaderMap::new();
        for (name, value) in stamp(&sent) {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        let read = read(&headers, Duration::from_secs(20), &auth);
        assert_eq!(read.trace.trace_id, sent.trace.trace_id);
        assert_ne!(read.trace.span_id, sent.trace.span_id);
        let left = read.deadline.unwrap() - tokio::time::Instant::now();
        assert!(left <= Duration::from_secs(5), "{left:?}");
        assert_eq!(
            read.identity,
            Identity::User(Principal {
                user_id: user,
                username: "alice".into()
            })
        );
    }

    #[test]
    fn a_token_not_signed_here_is_refused_and_none_is_anonymous() {
        let mut headers = HeaderMap::new();
        let anonymous = read(&headers, Duration::from_secs(1), &AuthKey::new("k"));
        assert_eq!(anonymous.identity, Identity::Anonymous);
        let forged = AuthKey::new("other").issue("u1", "alice");
        let bearer = format!("Bearer {forged}");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&bearer).unwrap(),
        );
        let refused = read(&headers, Duration::from_secs(1), &AuthKey::new("k"));
        assert!(matches!(refused.identity, Identity::Refused(_)));
    }
}
