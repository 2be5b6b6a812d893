//! [`PostStore`] on `post.post`, in the seed's shape: `{req_id, post_id, creator, text,
//! timestamp (int seconds), media ({} or one {media_id, media_type}), urls, user_mentions}`.
//! What the seed's shape cannot hold is added beside it, never instead of it: `timestamp_ms`,
//! `media_list` (every media item) and `post_type`. Posts written by the seed read back too.

use std::sync::Arc;

use async_trait::async_trait;
use deathstar_handlers::model::{Creator, Media, Post, UrlDoc, UserMention};
use deathstar_handlers::store::{PostStore, StoreError, StoreResult, order};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc, from_bson, to_bson};
use serde::de::DeserializeOwned;

use super::{Mongo, at_most, attempt, is_duplicate_key, run, seconds, to_store};

fn bson<T: serde::Serialize>(value: &T) -> StoreResult<Bson> {
    to_bson(value).map_err(|e| StoreError::Internal(format!("encoding a post: {e}")))
}

pub(crate) fn encode(post: &Post) -> StoreResult<Document> {
    let first_media = match post.media.first() {
        Some(m) => doc! {"media_id": &m.media_id, "media_type": &m.media_type},
        None => Document::new(),
    };
    Ok(doc! {
        "req_id": &post.req_id,
        "post_id": &post.post_id,
        "creator": {"user_id": post.creator.user_id.as_str(), "username": &post.creator.username},
        "text": &post.text,
        "timestamp": seconds(post.timestamp),
        "media": first_media,
        "urls": bson(&post.urls)?,
        "user_mentions": bson(&post.user_mentions)?,
        "timestamp_ms": post.timestamp as i64,
        "media_list": bson(&post.media)?,
        "post_type": i32::from(post.post_type),
    })
}

fn field<T: DeserializeOwned>(document: &Document, key: &str) -> StoreResult<T> {
    let value = document.get(key).cloned().unwrap_or(Bson::Null);
    from_bson(value).map_err(|e| StoreError::Internal(format!("post field {key}: {e}")))
}

fn integer(document: &Document, key: &str) -> Option<i64> {
    match document.get(key)? {
        Bson::Int64(v) => Some(*v),
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Double(v) => Some(*v as i64),
        _ => None,
    }
}

pub(crate) fn decode(document: &Document) -> StoreResult<Post> {
    let media: Vec<Media> = if document.contains_key("media_list") {
        field(document, "media_list")?
    } else {
        // A seed post: one media object, or `{}` for none.
        match document.get_document("media") {
            Ok(m) if m.contains_key("media_id") => vec![field(document, "media")?],
            _ => Vec::new(),
        }
    };
    let timestamp = integer(document, "timestamp_ms")
        .or_else(|| integer(document, "timestamp").map(|s| s * 1000))
        .unwrap_or(0);
    Ok(Post {
        post_id: field(document, "post_id")?,
        req_id: field(document, "req_id")?,
        creator: field::<Creator>(document, "creator")?,
        text: field(document, "text")?,
        user_mentions: field::<Vec<UserMention>>(document, "user_mentions")?,
        media,
        urls: field::<Vec<UrlDoc>>(document, "urls")?,
        timestamp: timestamp.max(0) as u64,
        post_type: integer(document, "post_type").unwrap_or(0).clamp(0, 255) as u8,
    })
}

#[async_trait]
impl PostStore for Mongo {
    async fn insert(&self, post: &Post) -> StoreResult<bool> {
        let posts = self.posts.clone();
        let document = encode(post)?;
        match attempt(
            self.timeout,
            async move { posts.insert_one(document).await },
        )
        .await?
        {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn get_many(&self, post_ids: &[String]) -> StoreResult<Vec<Option<Arc<Post>>>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let posts = self.posts.clone();
        let filter = doc! {"post_id": {"$in": post_ids}};
        let most = post_ids.len();
        let documents: Vec<Document> = run(self.timeout, async move {
            at_most(posts.find(filter), most).await?.try_collect().await
        })
        .await?;
        let posts = documents
            .iter()
            .map(|document| decode(document).map(Arc::new))
            .collect::<StoreResult<Vec<Arc<Post>>>>()?;
        Ok(order::aligned(post_ids, posts, |post| post.post_id.clone()))
    }
}
