//! Checks of input values that serde's types alone cannot express (a user id is a type that
//! serde checks: [`crate::UserId`]). Each returns the `InvalidFieldError` naming the field.

use crate::error::FunctionError;

pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_NAME_BYTES: usize = 256;
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Longest timeline page one call may ask for.
pub const MAX_PAGE: i64 = 1000;
pub const MAX_LIST_ITEMS: usize = 1000;

/// Usernames are what a mention can name: `[A-Za-z0-9_-]`, 1 to 64 characters.
pub fn username(field: &str, value: &str) -> Result<(), FunctionError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_USERNAME_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FunctionError::invalid(
            field,
            format!("must be 1 to {MAX_USERNAME_CHARS} characters of A-Z, a-z, 0-9, '_' or '-'"),
        ))
    }
}

pub fn bounded(field: &str, value: &str, max_bytes: usize) -> Result<(), FunctionError> {
    if value.len() <= max_bytes {
        Ok(())
    } else {
        Err(FunctionError::invalid(
            field,
            format!("must be at most {max_bytes} bytes"),
        ))
    }
}

pub fn non_empty(field: &str, value: &str, max_bytes: usize) -> Result<(), FunctionError> {
    if value.is_empty() {
        return Err(FunctionError::invalid(field, "must not be empty"));
    }
    bounded(field, value, max_bytes)
}

pub fn list_len<T>(field: &str, list: &[T]) -> Result<(), FunctionError> {
    if list.len() <= MAX_LIST_ITEMS {
        Ok(())
    } else {
        Err(FunctionError::invalid(
            field,
            format!("must have at most {MAX_LIST_ITEMS} items"),
        ))
    }
}

/// A timeline page `start..stop` (newest first, `stop` exclusive).
pub fn page(start: i64, stop: i64) -> Result<(usize, usize), FunctionError> {
    if start < 0 {
        return Err(FunctionError::invalid("start", "must be >= 0"));
    }
    if stop <= start {
        return Err(FunctionError::invalid("stop", "must be greater than start"));
    }
    if stop - start > MAX_PAGE {
        return Err(FunctionError::invalid(
            "stop",
            format!("a page holds at most {MAX_PAGE} posts"),
        ));
    }
    Ok((start as usize, stop as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_must_be_non_empty_forward_and_bounded() {
        assert_eq!(page(0, 10).unwrap(), (0, 10));
        assert!(page(-1, 10).is_err());
        assert!(page(5, 5).is_err());
        assert!(page(5, 0).is_err());
        assert!(page(0, MAX_PAGE + 1).is_err());
    }

    #[test]
    fn usernames_are_mentionable() {
        assert!(username("u", "username_12-x").is_ok());
        assert!(username("u", "").is_err());
        assert!(username("u", "a b").is_err());
        assert!(username("u", "ünï").is_err());
        assert!(username("u", &"a".repeat(65)).is_err());
    }
}
