//! [`ShortUrlStore`] on `url_shorten.url_shorten`: `{expanded_url, shortened_url}`, unique on
//! `shortened_url`.

use async_trait::async_trait;
use deathstar_handlers::model::UrlDoc;
use deathstar_handlers::store::{ShortUrlStore, StoreResult};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};

use super::{Mongo, attempt, is_duplicate_key, run, to_store};

#[async_trait]
impl ShortUrlStore for Mongo {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        let documents: Vec<Document> = urls
            .iter()
            .map(|u| doc! {"expanded_url": &u.expanded_url, "shortened_url": &u.shortened_url})
            .collect();
        let short_urls = self.short_urls.clone();
        let inserted = attempt(self.timeout, async move {
            short_urls.insert_many(documents).await
        });
        match inserted.await? {
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
        let short_urls = self.short_urls.clone();
        let filter = doc! {"shortened_url": {"$in": shortened}};
        let documents: Vec<Document> = run(self.timeout, async move {
            short_urls.find(filter).await?.try_collect().await
        })
        .await?;
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
