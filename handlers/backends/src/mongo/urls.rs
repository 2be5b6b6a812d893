//! [`ShortUrlStore`] on `url_shorten.url_shorten`: `{expanded_url, shortened_url}`, unique on
//! `shortened_url`.

use async_trait::async_trait;
use deathstar_handlers::model::UrlDoc;
use deathstar_handlers::store::{ShortUrlStore, StoreResult};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};

use super::{Mongo, is_duplicate_key, to_store};

#[async_trait]
impl ShortUrlStore for Mongo {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        let documents: Vec<Document> = urls
            .iter()
            .map(|u| doc! {"expanded_url": &u.expanded_url, "shortened_url": &u.shortened_url})
            .collect();
        match self.short_urls.insert_many(documents).await {
            Ok(_) => Ok(None),
            // Pairs inserted before the clash stay: each is a valid mapping nobody points to.
            Err(e) if is_duplicate_key(&e) => Ok(Some(
                urls.first()
                    .map(|u| u.shortened_url.clone())
                    .unwrap_or_default(),
            )),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        if shortened.is_empty() {
            return Ok(Vec::new());
        }
        let cursor = self
            .short_urls
            .find(doc! {"shortened_url": {"$in": shortened}})
            .await
            .map_err(to_store)?;
        let documents: Vec<Document> = cursor.try_collect().await.map_err(to_store)?;
        Ok(shortened
            .iter()
            .map(|s| {
                documents
                    .iter()
                    .find(|d| d.get_str("shortened_url") == Ok(s.as_str()))
                    .and_then(|d| d.get_str("expanded_url").ok())
                    .map(str::to_owned)
            })
            .collect())
    }
}
