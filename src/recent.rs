//! A set of the most recent items: drops the duplicates a shifting listing repeats, in memory
//! that does not grow with the account.
//!
//! A listing that changes while it is paged (a repository added or removed in front of the
//! cursor) can hand out an item twice, once at the end of one page and again at the start of the
//! next. Such repeats arrive close together, so remembering the last few thousand items catches
//! them without keeping every repository of a 100,000-repository account in memory.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// The last `capacity` distinct items seen.
#[derive(Debug)]
pub(crate) struct RecentSet<T> {
    order: VecDeque<T>,
    members: HashSet<T>,
    capacity: usize,
}

impl<T: Clone + Eq + Hash> RecentSet<T> {
    /// Remembers at most `capacity` items (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        RecentSet {
            order: VecDeque::new(),
            members: HashSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `item`; `false` when it is among the items remembered (a repeat).
    pub(crate) fn insert(&mut self, item: T) -> bool {
        if self.members.contains(&item) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.members.remove(&oldest);
            }
        }
        self.members.insert(item.clone());
        self.order.push_back(item);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(seen.insert(i));
        }
        assert_eq!(seen.order.len(), 100);
        assert_eq!(seen.members.len(), 100);
        // The oldest are forgotten, the newest remembered.
        assert!(seen.insert(0));
        assert!(!seen.insert(9_999));
    }
}
