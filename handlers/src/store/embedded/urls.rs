//! [`ShortUrlStore`] in memory (short URL → expanded URL).

use async_trait::async_trait;

use super::log::Record;
use super::{Embedded, read, write};
use crate::model::UrlDoc;
use crate::store::{ShortUrlStore, StoreResult};

#[async_trait]
impl ShortUrlStore for Embedded {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        {
            let mut table = write(&self.short_urls);
            for (i, url) in urls.iter().enumerate() {
                let taken_before = table.contains_key(&url.shortened_url);
                let repeated = urls[..i]
                    .iter()
                    .any(|u| u.shortened_url == url.shortened_url);
                if taken_before || repeated {
                    return Ok(Some(url.shortened_url.clone()));
                }
            }
            for url in urls {
                table.insert(url.shortened_url.clone(), url.expanded_url.clone());
            }
        }
        let record = Record::Urls {
            urls: urls.to_vec(),
        };
        self.submit(&record).written().await?;
        Ok(None)
    }

    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        let table = read(&self.short_urls);
        Ok(shortened.iter().map(|s| table.get(s).cloned()).collect())
    }
}
