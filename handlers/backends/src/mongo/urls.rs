//! [`ShortUrlStore`] on `url_shorten.url_shorten`: `{expanded_url, shortened_url}`, unique on
//! `shortened_url`.

use async_trait::async_trait;
use deathstar_handlers::model::UrlDoc;
use deathstar_handlers::store::{ShortUrlStore, StoreResult, order};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use mongodb::error::ErrorKind;

use super::{DUPLICATE_KEY, Mongo, at_most, attempt, is_duplicate_key, run, to_store};

#[async_trait]
impl ShortUrlStore for Mongo {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        // The driver refuses an empty insert_many; storing nothing always succeeds.
        if urls.is_empty() {
            return Ok(None);
        }
        let documents: Vec<Document> = urls
            .iter()
            .map(|u| doc! {"expanded_url": &u.expanded_url, "shortened_url": &u.shortened_url})
            .collect();
        let short_urls = self.short_urls.clone();
        // Ordered: the insert stops at the first clash, so exactly the pairs before it are ours.
        let inserted = attempt(self.timeout, async move {
            short_urls.insert_many(documents).await
        });
        let clash = match inserted.await? {
            Ok(_) => return Ok(None),
            Err(e) if is_duplicate_key(&e) => clashing_index(&e).unwrap_or(0).min(urls.len() - 1),
            Err(e) => return Err(to_store(e)),
        };
        // None of the batch, as the trait promises: take back the pairs inserted before the
        // clash (the unique index means nobody else holds them).
        if clash > 0 {
            let ours: Vec<&str> = urls[..clash]
                .iter()
                .map(|u| u.shortened_url.as_str())
                .collect();
            let short_urls = self.short_urls.clone();
            let filter = doc! {"shortened_url": {"$in": ours}};
            run(
                self.timeout,
                async move { short_urls.delete_many(filter).await },
            )
            .await?;
        }
        Ok(Some(urls[clash].shortened_url.clone()))
    }

    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        if shortened.is_empty() {
            return Ok(Vec::new());
        }
        let short_urls = self.short_urls.clone();
        let filter = doc! {"shortened_url": {"$in": shortened}};
        let most = shortened.len();
        let documents: Vec<Document> = run(self.timeout, async move {
            let find = short_urls.find(filter);
            at_most(find, most).await?.try_collect().await
        })
        .await?;
        let pairs = documents.iter().filter_map(|d| {
            let short = d.get_str("shortened_url").ok()?;
            Some((short.to_owned(), d.get_str("expanded_url").ok()?.to_owned()))
        });
        let aligned = order::aligned(shortened, pairs, |(short, _)| short.clone());
        Ok(aligned
            .into_iter()
            .map(|found| found.map(|(_, expanded)| expanded))
            .collect())
    }
}

/// The position in the batch of the first document refused as a duplicate key.
fn clashing_index(e: &mongodb::error::Error) -> Option<usize> {
    match e.kind.as_ref() {
        ErrorKind::InsertMany(m) => m
            .write_errors
            .iter()
            .flatten()
            .filter(|w| w.code == DUPLICATE_KEY)
            .map(|w| w.index)
            .min(),
        _ => None,
    }
}
