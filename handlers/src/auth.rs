//! Login tokens, and the seed's password format.
//!
//! Passwords are Argon2id ([`crate::password`]); the seed's format (lowercase hex SHA-256 of
//! `password ‖ salt`, 32-character `[A-Z0-9]` salt), which DeathStarBench's data sets and older
//! stores hold, is checked here and upgraded on the next login. Login tokens are HS256 JWTs with DeathStarBench's claims (`user_id`, `username`, `timestamp`,
//! `ttl`, all strings), signed with the deployment's [`AuthKey`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Lifetime of a login token, in seconds (DeathStarBench's `ttl`).
pub const TOKEN_TTL_SECS: u64 = 3600;

const SALT_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub fn new_salt() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| SALT_ALPHABET[rng.random_range(0..SALT_ALPHABET.len())] as char)
        .collect()
}

pub fn hash_password(password: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(password.as_bytes());
    hasher.update(salt.as_bytes());
    to_hex(&hasher.finalize())
}

/// Whether `password` is the seed-format `stored_hash` with `salt`. Compares in constant time,
/// so the comparison leaks nothing about the stored hash.
pub fn legacy_password_matches(password: &str, salt: &str, stored_hash: &str) -> bool {
    let computed = hash_password(password, salt);
    computed.len() == stored_hash.len()
        && computed
            .bytes()
            .zip(stored_hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// 32 random bytes as hex: a secret to sign tokens with.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    to_hex(&bytes)
}

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The claims of a login token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub user_id: String,
    pub username: String,
    /// Unix seconds at login, as a string (DeathStarBench's format).
    pub timestamp: String,
    pub ttl: String,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("invalid token signature")]
    BadSignature,
    #[error("login token expired, please log in again")]
    Expired,
}

/// The secret that signs login tokens and proves calls between functions
/// ([`crate::proof`]); every process of a deployment must share it.
#[derive(Clone)]
pub struct AuthKey(Arc<Keys>);

struct Keys {
    /// Signs login tokens: the secret itself, as DeathStarBench's tools expect.
    tokens: Vec<u8>,
    /// Signs call proofs: HMAC(secret, a label of its own), so that neither kind of signature
    /// is ever valid as the other.
    calls: [u8; 32],
    /// Signs the form tokens of web pages ([`AuthKey::form_token`]), derived the same way.
    forms: [u8; 32],
}

/// A configured signing secret that cannot sign anything safely.
#[derive(Debug, thiserror::Error)]
#[error("{origin} is empty: an empty secret would let anyone sign login tokens")]
pub struct EmptySecret {
    /// Where the secret came from (`DS_AUTH_SECRET`, a secret file...).
    pub origin: String,
}

impl AuthKey {
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        let tokens = secret.as_ref().to_vec();
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = Hmac::<Sha256>::new_from_slice(&tokens).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let (calls, forms) = (
            derive(b"deathstar call proof v1"),
            derive(b"deathstar form v1"),
        );
        AuthKey(Arc::new(Keys {
            tokens,
            calls,
            forms,
        }))
    }

    /// The key of a secret an operator configured, read from `source`: refused when empty
    /// (or only whitespace, which is what an empty secret file holds), on every adapter.
    pub fn configured(secret: &str, source: &str) -> Result<Self, EmptySecret> {
        match secret.trim() {
            "" => Err(EmptySecret {
                origin: source.to_owned(),
            }),
            secret => Ok(AuthKey::new(secret)),
        }
    }

    /// A fresh random key (tests, or a single process that needs no shared secret).
    pub fn random() -> Self {
        AuthKey::new(new_secret())
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0.tokens).expect("HMAC accepts keys of any length")
    }

    /// The token a web page puts in each form it shows to the holder of `login_token`, and
    /// checks when the form comes back (CSRF): a page of another site cannot know it. Bound to
    /// the login token, so it changes at each login and needs no storage.
    pub fn form_token(&self, login_token: &str) -> String {
        to_hex(&self.form_mac(login_token).finalize().into_bytes()[..16])
    }

    /// Whether `presented` is [`AuthKey::form_token`] of `login_token`, compared in constant time.
    pub fn form_token_matches(&self, login_token: &str, presented: &str) -> bool {
        let bytes: Option<Vec<u8>> = (presented.len() == 32)
            .then(|| {
                (0..32)
                    .step_by(2)
                    .map(|i| u8::from_str_radix(presented.get(i..i + 2)?, 16).ok())
                    .collect()
            })
            .flatten();
        bytes.is_some_and(|bytes| {
            self.form_mac(login_token)
                .verify_truncated_left(&bytes)
                .is_ok()
        })
    }

    fn form_mac(&self, login_token: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0.forms).expect("HMAC accepts keys of any length");
        mac.update(login_token.as_bytes());
        mac
    }

    /// The MAC that signs and checks call proofs ([`crate::proof`]).
    pub(crate) fn call_proof_mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0.calls).expect("HMAC accepts keys of any length")
    }

    /// Signs a token for `user_id`/`username`, issued now.
    pub fn issue(&self, user_id: &str, username: &str) -> String {
        let claims = Claims {
            user_id: user_id.to_owned(),
            username: username.to_owned(),
            timestamp: unix_secs().to_string(),
            ttl: TOKEN_TTL_SECS.to_string(),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Checks the signature and the expiry of `token`.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (_, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        let issued: u64 = claims
            .timestamp
            .parse()
            .map_err(|_| TokenError::Malformed)?;
        let ttl: u64 = claims.ttl.parse().map_err(|_| TokenError::Malformed)?;
        if issued.saturating_add(ttl) < unix_secs() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_token_is_bound_to_its_login_token_and_its_key() {
        let key = AuthKey::new("secret");
        let token = key.form_token("login-a");
        assert_eq!(token.len(), 32);
        assert!(key.form_token_matches("login-a", &token));
        assert!(!key.form_token_matches("login-b", &token));
        assert!(!AuthKey::new("other").form_token_matches("login-a", &token));
        let flipped = format!(
            "{}{}",
            if token.starts_with('0') { '1' } else { '0' },
            &token[1..]
        );
        for bad in [
            "",
            "zz",
            &token[..31],
            &flipped,
            &format!("{}é", &token[..30]),
        ] {
            assert!(!key.form_token_matches("login-a", bad), "{bad:?}");
        }
    }

    #[test]
    fn password_hash_is_sha256_of_password_then_salt() {
        // printf 'secretSALT' | sha256sum
        assert_eq!(
            hash_password("secret", "SALT"),
            "fd9d29929016b1bf49568ecaba43e892ead7898610230c85a507a18b0304393a"
        );
        assert_eq!(hash_password("secret", "SALT").len(), 64);
        assert!(legacy_password_matches(
            "secret",
            "SALT",
            &hash_password("secret", "SALT")
        ));
        assert!(!legacy_password_matches(
            "Secret",
            "SALT",
            &hash_password("secret", "SALT")
        ));
    }

    #[test]
    fn salts_are_32_uppercase_alphanumerics() {
        let salt = new_salt();
        assert_eq!(salt.len(), 32);
        assert!(salt.bytes().all(|b| SALT_ALPHABET.contains(&b)));
        assert_ne!(salt, new_salt());
    }

    #[test]
    fn a_token_verifies_under_its_key_only() {
        let key = AuthKey::new("k1");
        let token = key.issue("0123456789abcdef0123456789abcdef", "alice");
        let claims = key.verify(&token).unwrap();
        assert_eq!(claims.username, "alice");
        assert_eq!(claims.ttl, "3600");
        assert_eq!(
            AuthKey::new("k2").verify(&token),
            Err(TokenError::BadSignature)
        );
        assert_eq!(key.verify("not-a-token"), Err(TokenError::Malformed));
    }

    #[test]
    fn an_old_token_is_expired() {
        let key = AuthKey::new("k");
        let claims = Claims {
            user_id: "u".into(),
            username: "a".into(),
            timestamp: "1000".into(),
            ttl: "3600".into(),
        };
        assert_eq!(key.verify(&key.sign(&claims)), Err(TokenError::Expired));
    }
}
