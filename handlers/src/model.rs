//! The documents of the social network, shaped after the seed's MongoDB documents.

use crate::user_id::UserId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A stored user. Only the user service sees `password` and `salt`; see [`PublicUser`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    /// An Argon2id PHC string; or, in the seed's format, lowercase hex SHA-256 of
    /// `password ‖ salt` ([`crate::password`]).
    pub password: String,
    /// The seed format's salt; empty beside a PHC string, which holds its own.
    pub salt: String,
}

/// A user as other people may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PublicUser {
    pub user_id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

impl From<&User> for PublicUser {
    fn from(u: &User) -> Self {
        PublicUser {
            user_id: u.user_id.clone(),
            username: u.username.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
        }
    }
}

/// One edge of the social graph, seen from one end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FollowEdge {
    pub user_id: String,
    /// When the follow happened, Unix milliseconds.
    pub timestamp: u64,
}

/// The author of a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Creator {
    pub user_id: UserId,
    pub username: String,
}

/// A user mentioned in a post (`@username`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserMention {
    pub user_id: UserId,
    pub username: String,
}

/// A URL of a post and its short form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UrlDoc {
    pub expanded_url: String,
    pub shortened_url: String,
}

/// A media item attached to a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Media {
    pub media_id: String,
    pub media_type: String,
}

/// A post, as stored and as returned by timelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Post {
    #[schemars(length(min = 1, max = 64))]
    pub post_id: String,
    pub req_id: String,
    pub creator: Creator,
    /// The text with every URL replaced by its short form.
    #[schemars(length(max = 4 * crate::validate::MAX_TEXT_BYTES))]
    pub text: String,
    pub user_mentions: Vec<UserMention>,
    pub media: Vec<Media>,
    pub urls: Vec<UrlDoc>,
    /// Unix milliseconds.
    #[serde(deserialize_with = "crate::integer::integral")]
    #[schemars(range(max = u64::MAX))]
    pub timestamp: u64,
    /// 0 = post, 1 = repost, 2 = reply, 3 = direct message.
    #[serde(deserialize_with = "crate::integer::integral")]
    pub post_type: u8,
}

/// An uploaded media file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    pub media_id: String,
    /// File extension, lowercase (`png`, `jpg`...).
    pub media_type: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One post on a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    pub post_id: String,
    /// Unix milliseconds.
    pub timestamp: u64,
}
