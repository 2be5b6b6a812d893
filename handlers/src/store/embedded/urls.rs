//! [`ShortUrlStore`] in memory (short URL → expanded URL).
//!
//! A post carries ~3.5 URLs in DeathStarBench's workload, so this table holds millions of
//! pairs: each pair is one allocation (the short URL, then the expanded one), not two strings
//! of 24-byte headers each.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{PoisonError, RwLock, RwLockWriteGuard};

use async_trait::async_trait;

use super::log::Record;
use super::sharded::{locks, shard_index};
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

/// Every short URL with its expansion, in [`super::sharded::SHARDS`] shards. A hash set grows
/// by rehashing every entry into one twice its size under its write lock: one set of 1.8
/// million pairs held every compose's URLs for 1.2 s when it did (`benches/store_stalls.rs`),
/// the open-loop soak's stalls. A shard grows at 1/256 of that size and holds up only the URLs
/// that hash to it.
pub struct ShortUrls {
    shards: Box<[RwLock<HashSet<Pair>>]>,
}

impl Default for ShortUrls {
    fn default() -> Self {
        ShortUrls { shards: locks() }
    }
}

impl ShortUrls {
    fn shard(&self, short: &str) -> &RwLock<HashSet<Pair>> {
        &self.shards[shard_index(short)]
    }

    /// Adds the mapping while nothing else can reach the table (replay); an existing one for
    /// the same short URL stays.
    pub fn insert(&mut self, url: &UrlDoc) -> StoreResult<()> {
        let index = shard_index(&url.shortened_url);
        let shard = self.shards[index]
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        insert(shard, url)
    }

    /// Adds every mapping, or none: the first short URL that is taken already, or named twice
    /// in `urls`, is returned instead. The shards involved are locked in ascending order, so
    /// two calls cannot both take a short URL, nor deadlock.
    fn insert_new(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        let mut indices: Vec<usize> = urls
            .iter()
            .map(|url| shard_index(&url.shortened_url))
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let mut locked: Vec<(usize, RwLockWriteGuard<'_, HashSet<Pair>>)> = indices
            .into_iter()
            .map(|index| (index, write(&self.shards[index])))
            .collect();
        // The locked shard holding `short`: every shard of `urls` is in `locked`, sorted.
        fn at(locked: &[(usize, RwLockWriteGuard<'_, HashSet<Pair>>)], short: &str) -> usize {
            let index = shard_index(short);
            locked.partition_point(|(i, _)| *i < index)
        }
        for (i, url) in urls.iter().enumerate() {
            let taken_before = locked[at(&locked, &url.shortened_url)]
                .1
                .contains(url.shortened_url.as_str());
            let repeated = urls[..i]
                .iter()
                .any(|u| u.shortened_url == url.shortened_url);
            if taken_before || repeated {
                return Ok(Some(url.shortened_url.clone()));
            }
        }
        for url in urls {
            let shard = at(&locked, &url.shortened_url);
            insert(&mut locked[shard].1, url)?;
        }
        Ok(None)
    }

    fn expand(&self, short: &str) -> Option<String> {
        read(self.shard(short))
            .get(short)
            .map(|p| p.expanded().to_owned())
    }
}

fn insert(shard: &mut HashSet<Pair>, url: &UrlDoc) -> StoreResult<()> {
    if !shard.contains(url.shortened_url.as_str()) {
        shard.insert(Pair::new(url)?);
    }
    Ok(())
}

#[async_trait]
impl ShortUrlStore for Embedded {
    async fn insert_many(&self, urls: &[UrlDoc]) -> StoreResult<Option<String>> {
        if let Some(taken) = self.short_urls.insert_new(urls)? {
            return Ok(Some(taken));
        }
        let record = Record::Urls {
            urls: urls.to_vec(),
        };
        self.submit(&record).written().await?;
        Ok(None)
    }

    async fn expand_many(&self, shortened: &[String]) -> StoreResult<Vec<Option<String>>> {
        Ok(shortened
            .iter()
            .map(|s| self.short_urls.expand(s))
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
            urls.expand("http://short-u.rl/a").as_deref(),
            Some("https://example.com/אבג?q=🎉")
        );
        assert_eq!(urls.expand("http://short-u.rl/ab").as_deref(), Some(""));
        assert_eq!(urls.expand("http://short-u.rl/"), None);
        assert_eq!(urls.expand("http://short-u.rl/abc"), None);
    }

    #[test]
    fn the_first_mapping_of_a_short_url_stays() {
        let mut urls = ShortUrls::default();
        urls.insert(&doc("s", "first")).unwrap();
        urls.insert(&doc("s", "second")).unwrap();
        assert_eq!(urls.expand("s").as_deref(), Some("first"));
    }

    #[test]
    fn urls_are_added_all_or_none() {
        let urls = ShortUrls::default();
        let many: Vec<UrlDoc> = (0..300)
            .map(|i| doc(&format!("http://short-u.rl/{i}"), &format!("e{i}")))
            .collect();
        assert_eq!(urls.insert_new(&many[..200]).unwrap(), None);
        // One of these is taken: none of the others is added.
        let taken = many[199].shortened_url.clone();
        assert_eq!(urls.insert_new(&many[199..]).unwrap(), Some(taken));
        assert_eq!(urls.expand("http://short-u.rl/250"), None);
        // A short URL named twice in one call is refused the same way.
        let twice = [doc("t", "1"), doc("u", "2"), doc("t", "3")];
        assert_eq!(urls.insert_new(&twice).unwrap(), Some("t".into()));
        assert_eq!(urls.expand("u"), None);
        assert_eq!(urls.insert_new(&many[200..]).unwrap(), None);
        assert_eq!(
            urls.expand("http://short-u.rl/299").as_deref(),
            Some("e299")
        );
    }

    #[test]
    fn concurrent_callers_never_both_take_a_short_url() {
        let urls = ShortUrls::default();
        let won: Vec<usize> = std::thread::scope(|scope| {
            let callers: Vec<_> = (0..8)
                .map(|caller| {
                    let urls = &urls;
                    scope.spawn(move || {
                        // Every caller claims the same 100 short URLs, in its own order.
                        (0..100)
                            .filter(|i| {
                                let short = format!("s{}", (i * 7 + caller * 13) % 100);
                                let claim = [
                                    doc(&short, &caller.to_string()),
                                    doc(&format!("{short}-{caller}"), "x"),
                                ];
                                urls.insert_new(&claim).unwrap().is_none()
                            })
                            .count()
                    })
                })
                .collect();
            callers.into_iter().map(|c| c.join().unwrap()).collect()
        });
        assert_eq!(won.iter().sum::<usize>(), 100);
    }
}
