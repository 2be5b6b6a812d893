//! Proof that a call between processes was made by a function of this deployment.
//!
//! A function calling another over the network (the OpenFaaS gateway, Lambda Invoke) signs the
//! call: an HMAC-SHA256, with a key derived from the deployment's secret, over the callee's
//! name, a digest of the exact body bytes, the deadline it passes on, the time of issue, the
//! end user's login token and the end client's address (login throttling counts by it). The callee recomputes it over what it received: another body,
//! another callee, a longer deadline or another user's token make it fail, and it is good for
//! [`VALIDITY`] only, so a recorded call cannot be replayed later. (Within that window the very
//! same call can be repeated; every internal write it could repeat is keyed by an id it carries,
//! so a repeat is refused as a duplicate or changes nothing.)
//!
//! A shared key rather than per-function keys or mTLS: every process of a deployment already
//! shares the secret that signs login tokens, and the check needs no certificate authority on
//! any of the three platforms. The proof's key is derived from that secret for this use alone,
//! so no proof is ever a valid token signature or the reverse.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::Mac;
use sha2::{Digest, Sha256};

use crate::auth::{AuthKey, to_hex};

/// How long after its issue a proof is accepted.
pub const VALIDITY: Duration = Duration::from_secs(10);
/// How far ahead of this process's clock an issue time may be (clocks of two machines differ).
pub const CLOCK_SKEW: Duration = Duration::from_secs(2);

const VERSION: &str = "v1";

/// One call as the proof covers it.
#[derive(Debug, Clone, Copy)]
pub struct SignedCall<'a> {
    /// The callee.
    pub function: &'a str,
    /// The body's bytes, exactly as sent.
    pub body: &'a [u8],
    /// The deadline passed on, as sent (milliseconds left), if any.
    pub deadline_ms: Option<u64>,
    /// The end user's login token passed on, if any.
    pub auth_token: Option<&'a str>,
    /// The end client's address passed on, as sent, if any.
    pub client: Option<&'a str>,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("malformed call proof")]
    Malformed,
    #[error(
        "the call proof does not match this call (another body, callee, deadline, user or client)"
    )]
    Mismatch,
    #[error("the call proof has expired (older than {}s): a replayed call", VALIDITY.as_secs())]
    Expired,
    #[error("the call proof was issued in the future")]
    FromTheFuture,
}

/// The proof of `call`, issued now: the value of the call's proof header.
pub fn sign(key: &AuthKey, call: &SignedCall<'_>) -> String {
    sign_at(key, call, unix_millis())
}

/// The proof of `call` as if issued at `issued_ms` (Unix milliseconds): for tests of the
/// validity window.
pub fn sign_at(key: &AuthKey, call: &SignedCall<'_>, issued_ms: u64) -> String {
    let mac = mac(key, call, issued_ms).finalize().into_bytes();
    format!("{VERSION}.{issued_ms}.{}", to_hex(&mac))
}

/// Checks `proof` (a proof header's value) against the call received.
pub fn verify(key: &AuthKey, proof: &str, call: &SignedCall<'_>) -> Result<(), ProofError> {
    verify_at(key, proof, call, unix_millis())
}

fn verify_at(
    key: &AuthKey,
    proof: &str,
    call: &SignedCall<'_>,
    now_ms: u64,
) -> Result<(), ProofError> {
    let mut parts = proof.trim().split('.');
    let (Some(VERSION), Some(issued), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed);
    };
    let issued_ms: u64 = issued.parse().map_err(|_| ProofError::Malformed)?;
    let tag = unhex(tag).ok_or(ProofError::Malformed)?;
    // The tag first: a forged proof learns nothing about the time window.
    mac(key, call, issued_ms)
        .verify_slice(&tag)
        .map_err(|_| ProofError::Mismatch)?;
    if issued_ms > now_ms.saturating_add(CLOCK_SKEW.as_millis() as u64) {
        return Err(ProofError::FromTheFuture);
    }
    if now_ms.saturating_sub(issued_ms) > VALIDITY.as_millis() as u64 {
        return Err(ProofError::Expired);
    }
    Ok(())
}

fn mac(key: &AuthKey, call: &SignedCall<'_>, issued_ms: u64) -> hmac::Hmac<Sha256> {
    let mut mac = key.call_proof_mac();
    let body = Sha256::digest(call.body);
    let deadline = call.deadline_ms.map(|ms| ms.to_string());
    let token = call.auth_token.map(|t| Sha256::digest(t.as_bytes()));
    // Fields separated by a byte no name, number or hex digest holds.
    for field in [
        VERSION.as_bytes(),
        call.function.as_bytes(),
        &body,
        deadline.as_deref().unwrap_or("-").as_bytes(),
        issued_ms.to_string().as_bytes(),
        token.as_ref().map_or(b"-".as_slice(), |t| t.as_slice()),
        call.client.unwrap_or("-").as_bytes(),
    ] {
        mac.update(&(field.len() as u32).to_be_bytes());
        mac.update(field);
    }
    mac
}

/// Now, in Unix milliseconds: the clock proofs are issued and checked by.
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(body: &'a [u8]) -> SignedCall<'a> {
        SignedCall {
            function: "post-storage-service-store-post",
            body,
            deadline_ms: Some(900),
            auth_token: Some("a.b.c"),
            client: Some("203.0.113.7"),
        }
    }

    #[test]
    fn a_proof_verifies_for_its_call_only() {
        let key = AuthKey::new("deployment");
        let proof = sign(&key, &call(b"{}"));
        assert_eq!(verify(&key, &proof, &call(b"{}")), Ok(()));
        let altered = [
            SignedCall {
                body: b"{ }",
                ..call(b"{}")
            },
            SignedCall {
                function: "write-user-timeline",
                ..call(b"{}")
            },
            SignedCall {
                deadline_ms: Some(90_000),
                ..call(b"{}")
            },
            SignedCall {
                deadline_ms: None,
                ..call(b"{}")
            },
            SignedCall {
                auth_token: Some("x.y.z"),
                ..call(b"{}")
            },
            SignedCall {
                auth_token: None,
                ..call(b"{}")
            },
            SignedCall {
                client: Some("198.51.100.1"),
                ..call(b"{}")
            },
            SignedCall {
                client: None,
                ..call(b"{}")
            },
        ];
        for other in altered {
            assert_eq!(
                verify(&key, &proof, &other),
                Err(ProofError::Mismatch),
                "{other:?}"
            );
        }
        let other_key = AuthKey::new("another deployment");
        assert_eq!(
            verify(&other_key, &proof, &call(b"{}")),
            Err(ProofError::Mismatch)
        );
    }

    #[test]
    fn a_proof_is_good_for_seconds() {
        let key = AuthKey::new("k");
        let now = 1_700_000_000_000;
        let proof = sign_at(&key, &call(b"{}"), now);
        let at = |ms: u64| verify_at(&key, &proof, &call(b"{}"), ms);
        assert_eq!(at(now), Ok(()));
        assert_eq!(at(now + VALIDITY.as_millis() as u64), Ok(()));
        assert_eq!(
            at(now + VALIDITY.as_millis() as u64 + 1),
            Err(ProofError::Expired)
        );
        assert_eq!(
            at(now - CLOCK_SKEW.as_millis() as u64 - 1),
            Err(ProofError::FromTheFuture)
        );
    }

    #[test]
    fn a_changed_issue_time_or_garbage_is_refused() {
        let key = AuthKey::new("k");
        let proof = sign_at(&key, &call(b"{}"), 1000);
        let later = proof.replacen(".1000.", ".2000.", 1);
        assert_eq!(
            verify_at(&key, &later, &call(b"{}"), 2000),
            Err(ProofError::Mismatch)
        );
        for garbage in ["", "v1", "v1.x.00", "v2.1000.00", "v1.1000.zz", "v1.1.2.3"] {
            assert!(
                verify_at(&key, garbage, &call(b"{}"), 1000).is_err(),
                "{garbage}"
            );
        }
    }
}
