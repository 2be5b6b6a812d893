//! A timeline page as DeathStarBench's JSON has it: posts with ids and timestamps as strings
//! and DSB's integer user ids, written straight from the posts (no JSON tree), each post's
//! bytes kept in a cache once written. Posts never change once stored, and escaping a post's
//! text was the largest cost of a timeline read (docs/BENCHMARKS.md): a page is now mostly
//! copies of ready bytes.

use std::sync::Arc;

use axum::body::Bytes;
use deathstar_handlers::model::Post;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::ids::printed_id;

/// DSB's JSON of recently served posts, by post id.
pub(super) struct PostsJson(quick_cache::sync::Cache<String, Bytes, JsonWeight>);

/// Bytes served from the cache at most.
const POSTS_JSON_BYTES: u64 = 64 << 20;

#[derive(Clone)]
struct JsonWeight;

impl quick_cache::Weighter<String, Bytes> for JsonWeight {
    fn weight(&self, key: &String, json: &Bytes) -> u64 {
        (key.len() + json.len()) as u64
    }
}

impl PostsJson {
    pub(super) fn new() -> Self {
        PostsJson(quick_cache::sync::Cache::with_weighter(
            32_768,
            POSTS_JSON_BYTES,
            JsonWeight,
        ))
    }

    /// `posts` as DSB's JSON array.
    pub(super) fn page(&self, posts: &[Arc<Post>]) -> Result<Vec<u8>, serde_json::Error> {
        let mut body = Vec::with_capacity(2048 * posts.len() + 2);
        body.push(b'[');
        for (i, post) in posts.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let json = match self.0.get(&post.post_id) {
                Some(json) => json,
                None => {
                    let json = Bytes::from(serde_json::to_vec(&DsbPost(post))?);
                    self.0.insert(post.post_id.clone(), json.clone());
                    json
                }
            };
            body.extend_from_slice(&json);
        }
        body.push(b']');
        Ok(body)
    }
}

/// A post as DSB's timeline JSON has it: ids and timestamp as strings, DSB's integer user ids.
/// Written straight from the post, without an intermediate JSON tree.
struct DsbPost<'a>(&'a Post);

/// A user (creator or mention) with DSB's integer id when it has one.
struct DsbUser<'a> {
    user_id: &'a str,
    username: &'a str,
}

impl Serialize for DsbUser<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut user = serializer.serialize_struct("User", 2)?;
        user.serialize_field("user_id", &printed_id(self.user_id))?;
        user.serialize_field("username", self.username)?;
        user.end()
    }
}

impl Serialize for DsbPost<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let post = self.0;
        let mentions: Vec<DsbUser> = post
            .user_mentions
            .iter()
            .map(|m| DsbUser {
                user_id: &m.user_id,
                username: &m.username,
            })
            .collect();
        let creator = DsbUser {
            user_id: &post.creator.user_id,
            username: &post.creator.username,
        };
        let mut out = serializer.serialize_struct("Post", 9)?;
        out.serialize_field("post_id", &post.post_id)?;
        out.serialize_field("creator", &creator)?;
        out.serialize_field("req_id", &post.req_id)?;
        out.serialize_field("text", &post.text)?;
        out.serialize_field("user_mentions", &mentions)?;
        out.serialize_field("media", &post.media)?;
        out.serialize_field("urls", &post.urls)?;
        out.serialize_field("timestamp", &post.timestamp.to_string())?;
        out.serialize_field("post_type", &post.post_type)?;
        out.end()
    }
}
