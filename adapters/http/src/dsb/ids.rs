//! DeathStarBench's user ids, and the project's.
//!
//! DSB's user ids are small integers; here a user id is 32 hex characters, so DSB id `U` is the
//! user id `format!("{U:032x}")` ([`UserId::from_integer`](deathstar_handlers::UserId::from_integer)) and back ([`dsb_id`]): `user_id=5` is
//! `00000000000000000000000000000005`. Usernames are as sent (`username_5`).

use std::borrow::Cow;

/// DeathStarBench's integer id for a user id made by [`UserId::from_integer`](deathstar_handlers::UserId::from_integer), as DSB prints it.
pub fn dsb_id(user_id: &str) -> Option<String> {
    // Every post on a timeline page passes here: look at the cheap things first.
    let low = user_id
        .strip_prefix("0000000000000000")
        .filter(|low| low.len() == 16 && low.bytes().all(|b| b.is_ascii_hexdigit()))?;
    u64::from_str_radix(low, 16).ok().map(|id| id.to_string())
}

/// A user id as the DSB routes print it: DSB's integer when [`dsb_id`] maps it, else the
/// project's id.
pub(super) fn printed_id(user_id: &str) -> Cow<'_, str> {
    dsb_id(user_id).map_or(Cow::Borrowed(user_id), Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deathstar_handlers::UserId;

    #[test]
    fn dsb_ids_map_to_user_ids_and_back() {
        assert_eq!(UserId::from_integer(5), "00000000000000000000000000000005");
        assert_eq!(dsb_id(&UserId::from_integer(961)).as_deref(), Some("961"));
        assert_eq!(dsb_id("c7b8310836914fa88df83b71a926fa2e"), None);
    }
}
