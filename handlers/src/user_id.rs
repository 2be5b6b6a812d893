//! [`UserId`]: a user id, checked once, when it is decoded or made.
//!
//! A user id is 32 lowercase hexadecimal characters (a UUID v4 without dashes). A function
//! input that names users holds `UserId`s, so serde refuses a malformed one while decoding,
//! naming the field's path itself (`user_mentions_id[3]`), and the function's body never
//! checks one by hand.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};

/// What a malformed user id is told.
pub const MALFORMED: &str = "must be 32 lowercase hexadecimal characters";

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

/// A string that is not a user id.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{0}` is not a user id: it {MALFORMED}")]
pub struct NotAUserId(pub String);

impl UserId {
    /// A fresh random id.
    pub fn random() -> Self {
        UserId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// `id` if it is a user id.
    pub fn parse(id: impl Into<String>) -> Result<Self, NotAUserId> {
        let id = id.into();
        match is_user_id(&id) {
            true => Ok(UserId(id)),
            false => Err(NotAUserId(id)),
        }
    }

    /// The user id of a number, zero-padded (how DeathStarBench's integer ids map here).
    pub fn from_integer(n: u64) -> Self {
        UserId(format!("{n:032x}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

pub fn is_user_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        UserId::parse(id).map_err(|_| serde::de::Error::custom(MALFORMED))
    }
}

impl schemars::JsonSchema for UserId {
    fn schema_name() -> Cow<'static, str> {
        "UserId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{32}$",
            "description": "A user id: 32 lowercase hexadecimal characters."
        })
    }
}

impl Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.0
    }
}

impl PartialEq<str> for UserId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for UserId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_32_lowercase_hex_characters_are_a_user_id() {
        let id = UserId::random();
        assert!(UserId::parse(id.as_str()).is_ok());
        for bad in [
            "",
            "1234",
            &id.to_uppercase(),
            &format!("{id}0"),
            "g".repeat(32).as_str(),
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            UserId::from_integer(5).as_str(),
            "00000000000000000000000000000005"
        );
    }

    /// serde names the field of a malformed id, however deep, and says why.
    #[test]
    fn a_malformed_id_is_refused_while_decoding_with_its_path() {
        #[derive(Debug, Deserialize)]
        struct Input {
            #[allow(dead_code)]
            ids: Vec<UserId>,
        }
        let body = format!(r#"{{"ids": ["{}", "nope"]}}"#, UserId::random());
        let mut deserializer = serde_json::Deserializer::from_str(&body);
        let error = serde_path_to_error::deserialize::<_, Input>(&mut deserializer).unwrap_err();
        assert_eq!(error.path().to_string(), "ids[1]");
        assert!(error.inner().to_string().starts_with(MALFORMED), "{error}");
    }
}
