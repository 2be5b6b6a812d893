//! A call's context on the wire: read from an incoming request once ([`read`]), stamped on an
//! outgoing call once ([`stamp`]). Every edge (the local server, the OpenFaaS process, the Lambda
//! bootstraps) reads with this and every invoker (the gateway's, Lambda's) stamps with it, so
//! the headers below are the whole contract between processes:
//!
//! - `traceparent` (W3C Trace Context): the caller's span; the call continues its trace.
//!   Without one, X-Ray's `X-Amzn-Trace-Id` (API Gateway, the Lambda runtime) names it.
//! - `x-ds-deadline-ms`: what is left of the caller's deadline.
//! - `Authorization: Bearer <token>`: the login token `user-service-login` returned, verified
//!   here with the deployment's key. On DeathStarBench's browser routes (`/api/`, which check
//!   where a request comes from) its `login_token` cookie counts too ([`read_browser`]); on
//!   `/function/<name>` it does not, so a page of another site cannot act with the cookie.
//! - `x-ds-call-proof`: that a function of this deployment made the call, signed over this very
//!   call ([`deathstar_handlers::proof`]); checked once the body is read ([`caller`]).
//!
//! Replies carry the trace id back in `x-request-id`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, header};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::proof::{self, ProofError, SignedCall};
use deathstar_handlers::trace::TraceContext;
use deathstar_handlers::{CallMeta, Caller, Identity, Principal, UserId};

/// Header carrying the trace context of a call (W3C).
pub const TRACEPARENT: &str = "traceparent";
/// AWS X-Ray's trace header, read where no `traceparent` came ([`TraceContext::from_xray`]).
pub const X_AMZN_TRACE_ID: &str = "x-amzn-trace-id";
/// Reply header naming the trace id of the call tree.
pub const REQUEST_ID: &str = "x-request-id";
/// Header carrying what is left of the caller's deadline, in milliseconds.
pub const DEADLINE_MS: &str = "x-ds-deadline-ms";
/// Where a request came from, when the platform says so better than the TCP peer (Lambda's
/// request context, the OpenFaaS gateway's `X-Forwarded-For`): set as a request extension by
/// the adapter, read by [`client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The address a request came from: the adapter's [`ClientAddress`], else the TCP peer (when
/// the server was started with connect info).
pub fn client(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ClientAddress>()
        .map(|ClientAddress(ip)| *ip)
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip())
        })
}

/// The address the nearest proxy saw the request come from: the last of `X-Forwarded-For`.
/// Only for a server whose every request comes through a proxy that appends it (OpenFaaS's
/// gateway): a client reaching the server directly could write anything there.
pub fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|hop| hop.trim().parse().ok())
}

/// Header carrying the proof that a function of this deployment made the call.
pub const CALL_PROOF: &str = "x-ds-call-proof";
/// DeathStarBench's cookie holding the login token (its `/api/` routes and web pages).
pub const LOGIN_COOKIE: &str = "login_token";

/// The `Set-Cookie` value holding login token `token` for `max_age` seconds (0 removes it):
/// `Path=/`, `HttpOnly` (page scripts cannot read it), `SameSite=Lax` (a cross-site
/// subrequest or form post does not carry it), `Secure` when asked (behind TLS). What
/// [`login_cookie`] reads back; set by DSB's `/api/user/login` and ds-net's pages alike.
pub fn set_login_cookie(token: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The end client's address, passed on by a function to another in another process: believed
/// only with a valid call proof, which covers it ([`proven_client`]).
pub const CLIENT: &str = "x-ds-client";

/// The context of an incoming request: a new span of the caller's trace (or a new trace), its
/// deadline (the caller's, if sooner than `timeout`), and who it acts for, from a bearer token
/// verified with `auth`. The caller is a client until its proof is checked ([`caller`]).
pub fn read(headers: &HeaderMap, timeout: Duration, auth: &AuthKey) -> CallMeta {
    read_with_token(headers, timeout, auth, bearer_token(headers))
}

/// [`read`] for a browser route, where DeathStarBench's `login_token` cookie is a login token
/// too (after a bearer token).
pub fn read_browser(headers: &HeaderMap, timeout: Duration, auth: &AuthKey) -> CallMeta {
    let token = bearer_token(headers).or_else(|| login_cookie(headers));
    read_with_token(headers, timeout, auth, token)
}

fn read_with_token(
    headers: &HeaderMap,
    timeout: Duration,
    auth: &AuthKey,
    token: Option<&str>,
) -> CallMeta {
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

/// The headers that carry `meta` to `function` in another process, with the proof, signed
/// with `key`, that a function of this deployment sends it `body` (the exact bytes sent).
pub fn stamp(
    meta: &CallMeta,
    function: &str,
    body: &[u8],
    key: &AuthKey,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![(TRACEPARENT, meta.trace.traceparent())];
    let deadline_ms = meta.deadline.map(|at| {
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        left.as_millis() as u64
    });
    if let Some(ms) = deadline_ms {
        headers.push((DEADLINE_MS, ms.to_string()));
    }
    if let Some(token) = &meta.auth_token {
        headers.push((header::AUTHORIZATION.as_str(), format!("Bearer {token}")));
    }
    let client = meta.client.map(|ip| ip.to_string());
    if let Some(ip) = &client {
        headers.push((CLIENT, ip.clone()));
    }
    let call = SignedCall {
        function,
        body,
        deadline_ms,
        auth_token: meta.auth_token.as_deref(),
        client: client.as_deref(),
    };
    headers.push((CALL_PROOF, proof::sign(key, &call)));
    headers
}

/// Who made the call to `function` with `body` that came with `headers`: a function of this
/// deployment if it carries a valid proof, a client if it carries none.
pub fn caller(headers: &HeaderMap, function: &str, body: &[u8], key: &AuthKey) -> Caller {
    let Some(value) = headers.get(CALL_PROOF) else {
        return Caller::Client;
    };
    let Ok(value) = value.to_str() else {
        return Caller::BadProof(ProofError::Malformed);
    };
    let call = SignedCall {
        function,
        body,
        // As sent: a deadline the proof did not cover (or cannot be read) fails it.
        deadline_ms: headers
            .get(DEADLINE_MS)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()),
        auth_token: bearer_token(headers),
        client: headers.get(CLIENT).and_then(|v| v.to_str().ok()),
    };
    match proof::verify(key, value, &call) {
        Ok(()) => Caller::Function,
        Err(refused) => Caller::BadProof(refused),
    }
}

/// The end client's address a function passed on ([`CLIENT`]), for a call whose proof held
/// ([`caller`] is [`Caller::Function`]): the proof covers it, so no client can set it.
pub fn proven_client(headers: &HeaderMap, caller: &Caller) -> Option<IpAddr> {
    match caller {
        Caller::Function => headers.get(CLIENT)?.to_str().ok()?.parse().ok(),
        Caller::Client | Caller::BadProof(_) => None,
    }
}

/// A new span of the trace the request names in `traceparent` (or, without one, in X-Ray's
/// `X-Amzn-Trace-Id`, as on Lambda), else a new trace. Cheap: for answers given before the
/// rest of the context is read (a shed request).
pub fn trace(headers: &HeaderMap) -> TraceContext {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header(TRACEPARENT)
        .and_then(TraceContext::from_traceparent)
        .or_else(|| header(X_AMZN_TRACE_ID).and_then(TraceContext::from_xray))
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
    fn the_forwarded_client_is_the_last_hop() {
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_for(&headers), None);
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.2"),
        );
        headers.append("x-forwarded-for", HeaderValue::from_static("2001:db8::1"));
        assert_eq!(forwarded_for(&headers), "2001:db8::1".parse().ok());
        let mut extensions = Extensions::new();
        assert_eq!(client(&extensions), None);
        extensions.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        assert_eq!(client(&extensions), "127.0.0.1".parse().ok());
        extensions.insert(ClientAddress("192.0.2.7".parse().unwrap()));
        assert_eq!(client(&extensions), "192.0.2.7".parse().ok());
    }

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
        let headers = headers(stamp(&sent, "f", b"{}", &auth));
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

    fn headers(stamped: Vec<(&'static str, String)>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in stamped {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        headers
    }

    /// A stamped call is a function's call for the callee and body it was signed for only;
    /// a call with no proof is a client's.
    #[test]
    fn a_stamped_call_proves_its_caller() {
        let key = AuthKey::new("k");
        let meta = CallMeta {
            auth_token: Some(key.issue(&UserId::random(), "alice").into()),
            ..CallMeta::root().with_timeout(Duration::from_secs(5))
        };
        let sent = headers(stamp(&meta, "store-post", b"{\"a\":1}", &key));
        let proven =
            |function: &str, body: &[u8], key: &AuthKey| caller(&sent, function, body, key);
        assert_eq!(proven("store-post", b"{\"a\":1}", &key), Caller::Function);
        let mismatch = Caller::BadProof(ProofError::Mismatch);
        assert_eq!(proven("store-post", b"{\"a\":2}", &key), mismatch);
        assert_eq!(proven("write-user-timeline", b"{\"a\":1}", &key), mismatch);
        assert_eq!(
            proven("store-post", b"{\"a\":1}", &AuthKey::new("other")),
            mismatch
        );
        let mut longer = sent.clone();
        longer.insert(DEADLINE_MS, HeaderValue::from_static("3600000"));
        assert_eq!(caller(&longer, "store-post", b"{\"a\":1}", &key), mismatch);
        let mut other_user = sent.clone();
        other_user.remove(header::AUTHORIZATION);
        assert_eq!(
            caller(&other_user, "store-post", b"{\"a\":1}", &key),
            mismatch
        );
        assert_eq!(
            caller(&HeaderMap::new(), "store-post", b"{}", &key),
            Caller::Client
        );
    }

    /// The end client's address crosses processes with the proof, and only with it.
    #[test]
    fn the_end_clients_address_is_believed_only_with_its_proof() {
        let key = AuthKey::new("k");
        let meta = CallMeta {
            client: Some("203.0.113.9".parse().unwrap()),
            ..CallMeta::root()
        };
        let sent = headers(stamp(&meta, "user-service-login", b"{}", &key));
        let proven = caller(&sent, "user-service-login", b"{}", &key);
        assert_eq!(proven, Caller::Function);
        assert_eq!(proven_client(&sent, &proven), meta.client);
        let mut spoofed = sent.clone();
        spoofed.insert(CLIENT, HeaderValue::from_static("198.51.100.1"));
        let refused = caller(&spoofed, "user-service-login", b"{}", &key);
        assert_eq!(refused, Caller::BadProof(ProofError::Mismatch));
        assert_eq!(proven_client(&spoofed, &refused), None);
        let mut unproven = HeaderMap::new();
        unproven.insert(CLIENT, HeaderValue::from_static("198.51.100.1"));
        assert_eq!(proven_client(&unproven, &Caller::Client), None);
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
