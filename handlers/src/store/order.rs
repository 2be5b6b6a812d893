//! The orders the store traits promise, written once for every backend: what a backend found
//! (in whatever order its server returns it) put in the order the caller asked. Linear in both
//! lists, whatever their lengths.

use std::collections::HashMap;
use std::hash::Hash;

/// `found` aligned with `asked`: at position `i` the item whose key is `asked[i]`, `None` where
/// nothing was found. A key asked twice gets its item twice.
pub fn aligned<K, T>(
    asked: &[K],
    found: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<Option<T>>
where
    K: Eq + Hash,
    T: Clone,
{
    let by_key: HashMap<K, T> = found.into_iter().map(|item| (key(&item), item)).collect();
    asked.iter().map(|k| by_key.get(k).cloned()).collect()
}

/// The items of `found` in the order their keys are first asked, each once; keys not found are
/// left out.
pub fn in_order_asked<K, T>(
    asked: &[K],
    found: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T>
where
    K: Eq + Hash,
{
    let mut by_key: HashMap<K, T> = found.into_iter().map(|item| (key(&item), item)).collect();
    asked.iter().filter_map(|k| by_key.remove(k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &[&str]) -> Vec<String> {
        s.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn found_items_are_aligned_with_the_keys_asked() {
        let found = vec![("c", 3), ("a", 1)];
        let aligned = aligned(&keys(&["a", "b", "c", "a"]), found, |(k, _)| k.to_string());
        let values: Vec<Option<i32>> = aligned.into_iter().map(|f| f.map(|(_, v)| v)).collect();
        assert_eq!(values, [Some(1), None, Some(3), Some(1)]);
    }

    #[test]
    fn found_items_come_in_the_order_asked_each_once() {
        let found = vec![("c", 3), ("a", 1)];
        let ordered = in_order_asked(&keys(&["c", "b", "a", "c"]), found, |(k, _)| k.to_string());
        assert_eq!(ordered, [("c", 3), ("a", 1)]);
    }
}
