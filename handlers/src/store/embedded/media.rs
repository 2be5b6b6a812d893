//! [`MediaStore`] in memory (media id → file).

use std::sync::Arc;

use async_trait::async_trait;

use super::log::Record;
use super::{Embedded, read, write};
use crate::model::MediaFile;
use crate::store::{MediaStore, StoreResult};

#[async_trait]
impl MediaStore for Embedded {
    async fn put(&self, media: &MediaFile) -> StoreResult<bool> {
        {
            let mut table = write(&self.media);
            if table.contains_key(&media.media_id) {
                return Ok(false);
            }
            table.insert(media.media_id.clone(), Arc::new(media.clone()));
        }
        self.submit(&Record::media(media)).written().await?;
        Ok(true)
    }

    async fn get(&self, media_id: &str) -> StoreResult<Option<MediaFile>> {
        Ok(read(&self.media).get(media_id).map(|m| MediaFile::clone(m)))
    }
}
