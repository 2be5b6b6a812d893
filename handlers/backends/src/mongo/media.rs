//! [`MediaStore`] on `media.media`, in DeathStarBench's media-frontend shape
//! `{filename: "<media_id>.<media_type>", file: <binary>}`, plus `media_id`, `media_type` and
//! `content_type` to find and serve it. Files are at most 8 MiB, under MongoDB's 16 MiB limit.

use async_trait::async_trait;
use deathstar_handlers::model::MediaFile;
use deathstar_handlers::store::{MediaStore, StoreResult};
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, doc};

use super::{Mongo, attempt, is_duplicate_key, run, to_store};

#[async_trait]
impl MediaStore for Mongo {
    async fn put(&self, media: &MediaFile) -> StoreResult<bool> {
        let file = Binary {
            subtype: BinarySubtype::Generic,
            bytes: media.bytes.clone(),
        };
        let document = doc! {
            "filename": format!("{}.{}", media.media_id, media.media_type),
            "file": file,
            "media_id": &media.media_id,
            "media_type": &media.media_type,
            "content_type": &media.content_type,
        };
        let collection = self.media.clone();
        match attempt(self.timeout, async move {
            collection.insert_one(document).await
        })
        .await?
        {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn get(&self, media_id: &str) -> StoreResult<Option<MediaFile>> {
        let collection = self.media.clone();
        let filter = doc! {"media_id": media_id};
        let found = run(
            self.timeout,
            async move { collection.find_one(filter).await },
        )
        .await?;
        Ok(found.map(|d| MediaFile {
            media_id: media_id.to_owned(),
            media_type: d.get_str("media_type").unwrap_or_default().to_owned(),
            content_type: d.get_str("content_type").unwrap_or_default().to_owned(),
            bytes: match d.get("file") {
                Some(Bson::Binary(b)) => b.bytes.clone(),
                _ => Vec::new(),
            },
        }))
    }
}
