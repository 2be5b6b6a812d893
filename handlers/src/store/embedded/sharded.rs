//! A map from string keys split into shards, each behind its own lock, so that the hot tables
//! (posts, timelines) take no lock that every request contends for.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::RwLock;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

/// Shards of every sharded table of the store (posts, timelines, post numbers, short URLs).
/// Contention stays rare at any core count, and a shard's map, rehashed under its write lock
/// when it doubles, holds ~4,000 posts per million (64 shards stalled a compose or a read ~12
/// ms at 0.9 M posts: benches/store_stalls.rs). An empty table costs 256 locks (~16 KB).
pub const SHARDS: usize = 256;

/// One empty, locked value per shard.
pub fn locks<T: Default>() -> Box<[RwLock<T>]> {
    (0..SHARDS).map(|_| RwLock::default()).collect()
}

pub struct Sharded<V> {
    shards: Box<[RwLock<HashMap<String, V>>]>,
}

impl<V> Default for Sharded<V> {
    fn default() -> Self {
        Sharded { shards: locks() }
    }
}

/// The shard that holds `key`; every sharded table of the store picks with this.
pub fn shard_index(key: &str) -> usize {
    // A fixed hasher: the shard of a key only has to be the same within this process.
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
    hash as usize % SHARDS
}

impl<V> Sharded<V> {
    /// The index of the shard holding `key`.
    pub fn shard_of(&self, key: &str) -> usize {
        shard_index(key)
    }

    fn shard(&self, key: &str) -> &RwLock<HashMap<String, V>> {
        &self.shards[self.shard_of(key)]
    }

    /// Shard `index` ([`Sharded::shard_of`]), locked for writing.
    pub fn write_shard(&self, index: usize) -> RwLockWriteGuard<'_, HashMap<String, V>> {
        super::write(&self.shards[index])
    }

    /// The shard holding `key`, locked for reading.
    pub fn read(&self, key: &str) -> RwLockReadGuard<'_, HashMap<String, V>> {
        super::read(self.shard(key))
    }

    /// The shard holding `key`, locked for writing.
    pub fn write(&self, key: &str) -> RwLockWriteGuard<'_, HashMap<String, V>> {
        super::write(self.shard(key))
    }
}
