//! [`TagReuse`]: what an incremental inventory may take from an earlier run instead of
//! listing it again.

use std::fmt;

use async_trait::async_trait;

use crate::core::{Repository, Tag};
use crate::inventory::TagDepth;

/// Tags listed by an earlier run, offered to an incremental inventory
/// ([`InventoryOptions::with_reuse`](crate::InventoryOptions::with_reuse)).
///
/// Repositories are always listed; for each, before listing its tags, the inventory asks
/// [`tags`](TagReuse::tags). An implementation answers `Some` only when it can vouch that the
/// tags are unchanged (for `reginv-store`: the repository's listing fingerprint equals the one
/// of a finished earlier run at the same or a deeper depth), and `None` (list them) whenever in
/// doubt.
#[async_trait]
pub trait TagReuse: Send + Sync + fmt::Debug {
    /// The tags of `repo` (as just listed) from an earlier run at `depth` or deeper, or `None`
    /// to list them.
    async fn tags(&self, repo: &Repository, depth: TagDepth) -> Option<Vec<Tag>>;
}
