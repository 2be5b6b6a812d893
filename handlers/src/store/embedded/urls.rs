//! [`ShortUrlStore`] on redb (`short_urls`: short URL → expanded URL).

use async_trait::async_trait;
use redb::ReadableTable;

use super::{Db, SHORT_URLS};
use crate::model::UrlDoc;
use crate::store::{ShortUrlStore, StoreResult};

#[async_trait]
impl ShortUrlStore for Db {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        let urls = urls.to_vec();
        self.write(move |txn| {
            let mut table = txn.open_table(SHORT_URLS)?;
            for (i, url) in urls.iter().enumerate() {
                let taken_before = table.get(url.shortened_url.as_str())?.is_some();
                let repeated = urls[..i]
                    .iter()
                    .any(|u| u.shortened_url == url.shortened_url);
                if taken_before || repeated {
                    return Ok(Some(url.shortened_url.clone()));
                }
            }
            for url in &urls {
                table.insert(url.shortened_url.as_str(), url.expanded_url.as_str())?;
            }
            Ok(None)
        })
        .await
    }

    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        let shortened = shortened.to_vec();
        self.read(move |txn| {
            let table = txn.open_table(SHORT_URLS)?;
            shortened
                .iter()
                .map(|s| Ok(table.get(s.as_str())?.map(|v| v.value().to_owned())))
                .collect()
        })
        .await
    }
}
