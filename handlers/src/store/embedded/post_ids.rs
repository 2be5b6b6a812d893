//! Post ids interned as 32-bit numbers, each with its timestamp, so that a timeline entry is
//! the number alone: 4 bytes.
//!
//! A post fans out to the home timeline of every follower (~40 in socfb-Reed98): an entry that
//! held the id and timestamp (a 16-byte `Arc<str>` beside 8 bytes) made the timelines the
//! largest part of the store's memory. Each id and timestamp is kept once here, whatever the
//! number of timelines the post is on. A post has one timestamp, set by compose: the first one
//! a post is numbered with stays (an append of a known post with another timestamp does not
//! move it, where Redis's ZADD would).

use std::collections::HashMap;
use std::ops::Index;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use super::sharded::{locks, shard_index};
use super::{read, write};
use crate::store::{StoreError, StoreResult};

/// Numbers per chunk of [`NumberedPosts`]: 1.5 MB of entries.
const CHUNK: usize = 1 << 16;

/// One shard of the id → number map ([`super::sharded::SHARDS`] of them): interning takes a
/// write lock, and posts are composed concurrently.
type Numbers = RwLock<HashMap<Arc<str>, u32>>;

/// What a number stands for.
pub struct Numbered {
    pub id: Arc<str>,
    pub timestamp: u64,
}

/// Number → post, in chunks of fixed size that never move: appending never copies the table.
/// As one `Vec` it doubled under the write lock that every timeline read and compose waits
/// for, copying 24 MB at a million posts and ten times that at ten million.
#[derive(Default)]
pub struct NumberedPosts {
    chunks: Vec<Vec<Numbered>>,
}

impl NumberedPosts {
    fn len(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.len(),
            None => 0,
        }
    }

    fn push(&mut self, post: Numbered) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(post),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(post);
                self.chunks.push(chunk);
            }
        }
    }
}

impl Index<u32> for NumberedPosts {
    type Output = Numbered;

    /// The post numbered `number`; numbers come from [`PostIds::intern`], so it exists.
    fn index(&self, number: u32) -> &Numbered {
        let number = number as usize;
        &self.chunks[number / CHUNK][number % CHUNK]
    }
}

pub struct PostIds {
    numbers: Box<[Numbers]>,
    posts: RwLock<NumberedPosts>,
}

impl Default for PostIds {
    fn default() -> Self {
        PostIds {
            numbers: locks(),
            posts: RwLock::default(),
        }
    }
}

impl PostIds {
    fn shard(&self, id: &str) -> &Numbers {
        &self.numbers[shard_index(id)]
    }

    /// The number of `id`, given it (with `timestamp`) if it has none yet.
    pub fn intern(&self, id: &str, timestamp: u64) -> StoreResult<u32> {
        if let Some(&number) = read(self.shard(id)).get(id) {
            return Ok(number);
        }
        let mut shard = write(self.shard(id));
        if let Some(&number) = shard.get(id) {
            return Ok(number);
        }
        let mut posts = write(&self.posts);
        // 4 billion posts would take terabytes of memory first; refused, not wrapped.
        let number = u32::try_from(posts.len())
            .map_err(|_| StoreError::Internal("more posts than the embedded store holds".into()))?;
        let id: Arc<str> = Arc::from(id);
        posts.push(Numbered {
            id: id.clone(),
            timestamp,
        });
        shard.insert(id, number);
        Ok(number)
    }

    /// Every post by number, locked for reading. Take it before any timeline lock (the order
    /// [`super::timelines`] keeps), or after releasing it.
    pub fn posts(&self) -> RwLockReadGuard<'_, NumberedPosts> {
        read(&self.posts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_numbered_once_and_read_back() {
        let ids = PostIds::default();
        let a = ids.intern("3923785406749318", 7).unwrap();
        let b = ids.intern("שלום-🎉", 8).unwrap();
        assert_ne!(a, b);
        // The first timestamp stays.
        assert_eq!(ids.intern("3923785406749318", 9).unwrap(), a);
        let all = ids.posts();
        assert_eq!(&*all[a].id, "3923785406749318");
        assert_eq!(all[a].timestamp, 7);
        assert_eq!(&*all[b].id, "שלום-🎉");
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn concurrent_interning_gives_one_number_per_id() {
        let ids = Arc::new(PostIds::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    (0..1000)
                        .map(|i| ids.intern(&i.to_string(), i).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let numbers: Vec<Vec<u32>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(ids.posts().len(), 1000);
    }

    #[test]
    fn numbers_past_a_chunk_read_back_their_posts() {
        let ids = PostIds::default();
        for i in 0..CHUNK as u64 * 2 + 3 {
            assert_eq!(ids.intern(&i.to_string(), i).unwrap() as u64, i);
        }
        let all = ids.posts();
        assert_eq!(all.len(), CHUNK * 2 + 3);
        for number in [0, CHUNK - 1, CHUNK, CHUNK * 2, CHUNK * 2 + 2] {
            let post = &all[number as u32];
            assert_eq!(
                (&*post.id, post.timestamp),
                (&*number.to_string(), number as u64)
            );
        }
    }
}
