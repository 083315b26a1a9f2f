//! A set of the most recent items: drops the duplicates a shifting listing repeats, in memory
//! that does not grow with the account.
//!
//! A listing that changes while it is paged (a repository added or removed in front of the
//! cursor) can hand out an item twice, once at the end of one page and again at the start of the
//! next. Such repeats arrive close together, so remembering the last few thousand items catches
//! them without keeping every repository of a 100,000-repository account in memory.
//!
//! The items are remembered by a 128-bit keyed fingerprint, not by a copy: 16 bytes each
//! (plus the table's overhead) instead of the item's own allocations, so even the largest
//! window a listing keeps (16,384 repositories) costs well under 1 MB rather than a few MB
//! that fill up as the account grows.
//! The fingerprint is SipHash with a key drawn at random for each set (the standard library's
//! [`RandomState`]), taken twice with distinct prefixes: two items that are not equal share a
//! fingerprint with a probability of about 2^-128 per pair, and a server cannot choose names
//! that collide, as it does not know the key. Over a window of 16,384 and a million
//! repositories that is below 10^-28 for the whole run: no distinct repository is dropped as
//! a repeat in any practical sense.

use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::marker::PhantomData;

/// The last `capacity` distinct items seen, by fingerprint.
#[derive(Debug)]
pub(crate) struct RecentSet<T: ?Sized> {
    order: VecDeque<u128>,
    members: HashSet<u128>,
    capacity: usize,
    key: RandomState,
    items: PhantomData<fn(&T)>,
}

impl<T: Hash + ?Sized> RecentSet<T> {
    /// Remembers at most `capacity` items (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        RecentSet {
            order: VecDeque::new(),
            members: HashSet::new(),
            capacity: capacity.max(1),
            key: RandomState::new(),
            items: PhantomData,
        }
    }

    /// The 128-bit fingerprint of `item` under this set's key.
    fn fingerprint(&self, item: &T) -> u128 {
        let half = |prefix: u8| {
            let mut hasher = self.key.build_hasher();
            prefix.hash(&mut hasher);
            item.hash(&mut hasher);
            hasher.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
    }

    /// Records `item`; `false` when it is among the items remembered (a repeat).
    pub(crate) fn insert(&mut self, item: &T) -> bool {
        let fingerprint = self.fingerprint(item);
        if self.members.contains(&fingerprint) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.members.remove(&oldest);
            }
        }
        self.members.insert(fingerprint);
        self.order.push_back(fingerprint);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::RepositoryRef;

    #[test]
    fn repeats_within_the_window_are_caught() {
        let mut seen = RecentSet::new(3);
        assert!(seen.insert("a"));
        assert!(seen.insert("b"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("c"));
        assert!(!seen.insert("b"));
    }

    #[test]
    fn memory_is_bounded_by_the_capacity() {
        let mut seen = RecentSet::new(100);
        for i in 0..10_000 {
            assert!(seen.insert(&i));
        }
        assert_eq!(seen.order.len(), 100);
        assert_eq!(seen.members.len(), 100);
        // The oldest are forgotten, the newest remembered.
        assert!(seen.insert(&0));
        assert!(!seen.insert(&9_999));
    }

    #[test]
    fn distinct_repositories_are_never_taken_for_repeats() {
        // Names that differ only in where the registry ends and the name begins, or by one
        // character, are distinct repositories.
        let mut seen = RecentSet::new(1 << 16);
        assert!(seen.insert(&RepositoryRef::new("ab", "c")));
        assert!(seen.insert(&RepositoryRef::new("a", "bc")));
        assert!(!seen.insert(&RepositoryRef::new("ab", "c")));
        for i in 0..50_000 {
            let repo = RepositoryRef::new(format!("team-{}", i % 7), format!("app/{i}"));
            assert!(seen.insert(&repo), "{repo} taken for a repeat");
            assert!(!seen.insert(&repo), "{repo} repeated but not caught");
        }
    }
}
