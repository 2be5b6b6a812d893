//! Passwords: how they are stored and checked.
//!
//! A new password is stored as an Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`,
//! the salt inside it; the user's `salt` field is empty), with OWASP's parameters unless a
//! deployment sets cheaper ones for benchmark loads ([`PasswordPolicy`]). Users of the seed's
//! format (lowercase hex SHA-256 of `password ‖ salt`, DeathStarBench's data sets) still log
//! in, and their next successful login re-hashes the password ([`Verdict::Upgrade`]). An
//! unknown username costs the same work as a known one ([`PasswordPolicy::verify_nobody`]),
//! so a login's time does not say whether the name exists. Hashing is CPU work of tens of
//! milliseconds: it runs on tokio's blocking pool, not on the threads serving other requests.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::auth::legacy_password_matches;
use crate::error::FunctionError;

/// Argon2id's cost: memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl Cost {
    /// OWASP's Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1.
    pub const OWASP: Cost = Cost {
        memory_kib: 19 * 1024,
        passes: 2,
        lanes: 1,
    };
    /// The least Argon2 allows: for tests and load tests that register thousands of users,
    /// never for passwords that matter.
    pub const MINIMAL: Cost = Cost {
        memory_kib: 8,
        passes: 1,
        lanes: 1,
    };

    fn params(self) -> Result<Params, String> {
        Params::new(self.memory_kib, self.passes, self.lanes, None).map_err(|e| e.to_string())
    }
}

impl FromStr for Cost {
    type Err = String;

    /// `m=19456,t=2,p=1` (the PHC string's own notation), or `owasp`, or `minimal`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "owasp" => return Ok(Cost::OWASP),
            "minimal" => return Ok(Cost::MINIMAL),
            _ => {}
        }
        let mut cost = Cost::OWASP;
        for part in text.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected m=<KiB>,t=<passes>,p=<lanes>"))?;
            let value: u32 = value
                .parse()
                .map_err(|_| format!("`{part}`: not a number"))?;
            match key {
                "m" => cost.memory_kib = value,
                "t" => cost.passes = value,
                "p" => cost.lanes = value,
                _ => return Err(format!("`{key}`: expected m, t or p")),
            }
        }
        cost.params()?;
        Ok(cost)
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "m={},t={},p={}",
            self.memory_kib, self.passes, self.lanes
        )
    }
}

/// What a password check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// It matches a hash of the seed's format: store this Argon2id hash in its place.
    Upgrade(String),
    NoMatch,
}

/// How a deployment hashes passwords. Cheap to clone.
#[derive(Clone)]
pub struct PasswordPolicy {
    cost: Cost,
    /// A hash of nothing anyone knows, with this cost: checked for unknown usernames.
    decoy: Arc<OnceLock<String>>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy::new(Cost::OWASP)
    }
}

impl PasswordPolicy {
    pub fn new(cost: Cost) -> Self {
        PasswordPolicy {
            cost,
            decoy: Arc::new(OnceLock::new()),
        }
    }

    pub fn cost(&self) -> Cost {
        self.cost
    }

    fn hasher(&self) -> Argon2<'static> {
        let params = self.cost.params().expect("costs are checked when made");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    fn hash_now(&self, password: &str) -> Result<String, String> {
        let salt: [u8; 16] = rand::rng().random();
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        self.hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    }

    /// The PHC string to store for `password`.
    pub async fn hash(&self, password: String) -> Result<String, FunctionError> {
        let policy = self.clone();
        blocking(move || policy.hash_now(&password)).await
    }

    /// Whether `password` is the one stored as `stored` (a PHC string, or the seed's hex
    /// SHA-256 with its `salt`).
    pub async fn verify(
        &self,
        password: String,
        stored: String,
        salt: String,
    ) -> Result<Verdict, FunctionError> {
        let policy = self.clone();
        blocking(move || {
            if stored.starts_with('$') {
                return Ok(match policy.matches_phc(&password, &stored) {
                    true => Verdict::Match,
                    false => Verdict::NoMatch,
                });
            }
            if !legacy_password_matches(&password, &salt, &stored) {
                return Ok(Verdict::NoMatch);
            }
            policy.hash_now(&password).map(Verdict::Upgrade)
        })
        .await
    }

    /// The work of [`PasswordPolicy::verify`] for a username that does not exist; never matches.
    pub async fn verify_nobody(&self, password: String) -> Result<(), FunctionError> {
        let policy = self.clone();
        blocking(move || {
            let decoy = match policy.decoy.get() {
                Some(decoy) => decoy,
                None => {
                    let decoy = policy.hash_now(&crate::auth::new_secret())?;
                    policy.decoy.get_or_init(|| decoy)
                }
            };
            policy.matches_phc(&password, decoy);
            Ok(())
        })
        .await
    }

    fn matches_phc(&self, password: &str, stored: &str) -> bool {
        // The parameters are the stored hash's own: a hash made with another cost still checks.
        PasswordHash::new(stored).is_ok_and(|hash| {
            self.hasher()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    }
}

/// Runs `work` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, FunctionError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FunctionError::Internal(format!("password hashing stopped: {e}")))?
        .map_err(|e| FunctionError::Internal(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{hash_password, new_salt};

    fn cheap() -> PasswordPolicy {
        PasswordPolicy::new(Cost::MINIMAL)
    }

    #[tokio::test]
    async fn a_new_password_is_an_argon2id_phc_string_that_verifies() {
        let policy = cheap();
        let stored = policy.hash("correct horse ✓ شكرا".into()).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{stored}"
        );
        let check = |password: &str| policy.verify(password.into(), stored.clone(), "".into());
        assert_eq!(check("correct horse ✓ شكرا").await.unwrap(), Verdict::Match);
        assert_eq!(check("correct horse").await.unwrap(), Verdict::NoMatch);
        assert_eq!(check("").await.unwrap(), Verdict::NoMatch);
        // Another salt every time.
        assert_ne!(
            policy.hash("x".into()).await.unwrap(),
            policy.hash("x".into()).await.unwrap()
        );
    }

    #[tokio::test]
    async fn a_seed_format_password_matches_and_asks_to_be_upgraded() {
        let policy = cheap();
        let salt = new_salt();
        let legacy = hash_password("wonderland", &salt);
        let verdict = policy
            .verify("wonderland".into(), legacy.clone(), salt.clone())
            .await
            .unwrap();
        let Verdict::Upgrade(upgraded) = verdict else {
            panic!("{verdict:?}")
        };
        let again = policy.verify("wonderland".into(), upgraded, "".into());
        assert_eq!(again.await.unwrap(), Verdict::Match);
        let wrong = policy.verify("Wonderland".into(), legacy, salt);
        assert_eq!(wrong.await.unwrap(), Verdict::NoMatch);
    }

    #[tokio::test]
    async fn a_hash_of_another_cost_still_verifies() {
        let stronger = PasswordPolicy::new(Cost {
            memory_kib: 64,
            passes: 2,
            lanes: 1,
        });
        let stored = stronger.hash("pw".into()).await.unwrap();
        let verdict = cheap()
            .verify("pw".into(), stored, "".into())
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::Match);
        cheap().verify_nobody("pw".into()).await.unwrap();
    }

    #[test]
    fn costs_parse_in_phc_notation() {
        assert_eq!("owasp".parse::<Cost>().unwrap(), Cost::OWASP);
        assert_eq!("m=19456,t=2,p=1".parse::<Cost>().unwrap(), Cost::OWASP);
        assert_eq!(Cost::OWASP.to_string(), "m=19456,t=2,p=1");
        assert_eq!("m=8,t=1".parse::<Cost>().unwrap(), Cost::MINIMAL);
        for bad in ["m=1,t=1,p=1", "t=0", "q=3", "m=lots", ""] {
            assert!(bad.parse::<Cost>().is_err(), "{bad}");
        }
    }
}
