//! [`ShortUrlStore`] in memory (short URL → expanded URL).
//!
//! A post carries ~3.5 URLs in DeathStarBench's workload, so this table holds millions of
//! pairs: each pair is one allocation (the short URL, then the expanded one), not two strings
//! of 24-byte headers each.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use async_trait::async_trait;

use super::log::Record;
use super::{Embedded, read, write};
use crate::model::UrlDoc;
use crate::store::{ShortUrlStore, StoreError, StoreResult};

/// A short URL and its expansion, as `short` then `expanded` in one string. Hashed and
/// compared by the short URL alone, which it also borrows as: a set of pairs is a map.
struct Pair {
    text: Box<str>,
    short_len: u32,
}

impl Pair {
    fn new(url: &UrlDoc) -> StoreResult<Pair> {
        let short_len = u32::try_from(url.shortened_url.len())
            .map_err(|_| StoreError::Internal("a short URL of over 4 GB".into()))?;
        Ok(Pair {
            text: [url.shortened_url.as_str(), &url.expanded_url]
                .concat()
                .into(),
            short_len,
        })
    }

    fn short(&self) -> &str {
        &self.text[..self.short_len as usize]
    }

    fn expanded(&self) -> &str {
        &self.text[self.short_len as usize..]
    }
}

impl Borrow<str> for Pair {
    fn borrow(&self) -> &str {
        self.short()
    }
}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.short().hash(state);
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Pair) -> bool {
        self.short() == other.short()
    }
}

impl Eq for Pair {}

/// Every short URL with its expansion.
#[derive(Default)]
pub struct ShortUrls {
    pairs: HashSet<Pair>,
}

impl ShortUrls {
    /// Adds the mapping; an existing one for the same short URL stays.
    pub fn insert(&mut self, url: &UrlDoc) -> StoreResult<()> {
        if !self.pairs.contains(url.shortened_url.as_str()) {
            self.pairs.insert(Pair::new(url)?);
        }
        Ok(())
    }

    fn contains(&self, short: &str) -> bool {
        self.pairs.contains(short)
    }

    fn expand(&self, short: &str) -> Option<&str> {
        self.pairs.get(short).map(Pair::expanded)
    }
}

#[async_trait]
impl ShortUrlStore for Embedded {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        {
            let mut table = write(&self.short_urls);
            for (i, url) in urls.iter().enumerate() {
                let taken_before = table.contains(&url.shortened_url);
                let repeated = urls[..i]
                    .iter()
                    .any(|u| u.shortened_url == url.shortened_url);
                if taken_before || repeated {
                    return Ok(Some(url.shortened_url.clone()));
                }
            }
            for url in urls {
                table.insert(url)?;
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
        Ok(shortened
            .iter()
            .map(|s| table.expand(s).map(str::to_owned))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(short: &str, expanded: &str) -> UrlDoc {
        UrlDoc {
            shortened_url: short.into(),
            expanded_url: expanded.into(),
        }
    }

    #[test]
    fn a_pair_is_found_by_its_short_url_alone() {
        let mut urls = ShortUrls::default();
        urls.insert(&doc("http://short-u.rl/a", "https://example.com/אבג?q=🎉"))
            .unwrap();
        // A short URL that is a prefix of another, and an empty expansion.
        urls.insert(&doc("http://short-u.rl/ab", "")).unwrap();
        assert_eq!(
            urls.expand("http://short-u.rl/a"),
            Some("https://example.com/אבג?q=🎉")
        );
        assert_eq!(urls.expand("http://short-u.rl/ab"), Some(""));
        assert_eq!(urls.expand("http://short-u.rl/"), None);
        assert!(!urls.contains("http://short-u.rl/abc"));
    }

    #[test]
    fn the_first_mapping_of_a_short_url_stays() {
        let mut urls = ShortUrls::default();
        urls.insert(&doc("s", "first")).unwrap();
        urls.insert(&doc("s", "second")).unwrap();
        assert_eq!(urls.expand("s"), Some("first"));
    }
}
