//! [`MediaStore`] on redb (`media`: media id → type, content type and bytes).

use async_trait::async_trait;
use redb::ReadableTable;

use super::{Db, MEDIA};
use crate::model::MediaFile;
use crate::store::{MediaStore, StoreResult};

#[async_trait]
impl MediaStore for Db {
    async fn put(&self, media: &MediaFile) -> StoreResult<bool> {
        let media = media.clone();
        self.write(move |txn| {
            let mut table = txn.open_table(MEDIA)?;
            if table.get(media.media_id.as_str())?.is_some() {
                return Ok(false);
            }
            let value = (
                media.media_type.as_str(),
                media.content_type.as_str(),
                media.bytes.as_slice(),
            );
            table.insert(media.media_id.as_str(), value)?;
            Ok(true)
        })
        .await
    }

    async fn get(&self, media_id: &str) -> StoreResult<Option<MediaFile>> {
        let media_id = media_id.to_owned();
        self.read(move |txn| {
            let table = txn.open_table(MEDIA)?;
            Ok(table.get(media_id.as_str())?.map(|v| {
                let (media_type, content_type, bytes) = v.value();
                MediaFile {
                    media_id: media_id.clone(),
                    media_type: media_type.to_owned(),
                    content_type: content_type.to_owned(),
                    bytes: bytes.to_vec(),
                }
            }))
        })
        .await
    }
}
