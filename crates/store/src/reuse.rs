//! [`StoredTags`]: the tags an incremental run takes from the store instead of listing them.
//!
//! A repository's tags are reused only when all of this holds, else they are listed:
//! - its source has a finished run (`complete` or `incomplete`) in which it finished, at the
//!   same tag depth or a deeper one (the latest such run is the baseline);
//! - the repository was listed in that run with its tags, and its tag listing did not fail;
//! - the provider reports the repository's update time now (without it a retag is invisible),
//!   and the listing fingerprint equals the baseline's: the update time and pull count, each
//!   as the provider reports it (or not), and the tag count and size where the provider
//!   reports them (the baseline's may have been derived from its tags).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use reginv::{Repository, Tag, TagDepth, TagReuse};

use crate::backend::{one_row, Backend};
use crate::error::Result;
use crate::read::{tag_from_row, TAG_COLUMNS};
use crate::run::RunStatus;
use crate::store::{RunPlan, Store};
use crate::value::{Kind, Value};

/// The store's answer to [`TagReuse`] for one incremental run.
#[derive(Debug)]
pub struct StoredTags {
    db: Arc<Backend>,
    /// Source name → the baseline run id.
    baselines: HashMap<String, i64>,
    /// The repositories (source, registry, name) whose tags this run took from the store.
    vouched: Mutex<HashSet<(String, String, String)>>,
}

/// A repository's key in [`StoredTags::vouched`].
fn key_of(repo: &Repository) -> (String, String, String) {
    (
        repo.source.clone(),
        repo.registry.clone(),
        repo.name.clone(),
    )
}

fn rank(depth: TagDepth) -> u8 {
    match depth {
        TagDepth::None => 0,
        TagDepth::Names => 1,
        TagDepth::Full => 2,
    }
}

impl Store {
    /// What an incremental run of `plan` may reuse: for each of its sources, the latest
    /// finished run in which that source finished, listed at `plan.depth` or deeper.
    pub async fn reuse_for(&self, plan: &RunPlan) -> Result<StoredTags> {
        let rows = self
            .db
            .query(
                "SELECT s.name, r.id, r.depth, r.status FROM run_sources s \
                 JOIN runs r ON r.id = s.run_id WHERE s.status IS NOT NULL ORDER BY r.id DESC",
                &[],
                &[Kind::Text, Kind::Int, Kind::Text, Kind::Text],
            )
            .await?;
        let mut baselines = HashMap::new();
        for row in rows {
            let (Some(name), Some(id), Some(depth), Some(status)) = (
                row[0].as_str(),
                row[1].as_i64(),
                row[2].as_str().and_then(|d| d.parse::<TagDepth>().ok()),
                row[3].as_str().and_then(RunStatus::from_stored),
            ) else {
                continue;
            };
            let wanted = plan.sources.iter().any(|s| s.name == name);
            if wanted && status.is_finished() && rank(depth) >= rank(plan.depth) {
                baselines.entry(name.to_string()).or_insert(id);
            }
        }
        Ok(StoredTags {
            db: self.db.clone(),
            baselines,
            vouched: Mutex::new(HashSet::new()),
        })
    }
}

impl StoredTags {
    /// Whether `repo`'s tags were taken from the store in this run (so its snapshot row says
    /// so: [`SnapshotWriter::push_reused`](crate::SnapshotWriter::push_reused)).
    pub fn was_reused(&self, repo: &Repository) -> bool {
        self.vouched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&key_of(repo))
    }

    /// The baseline run of `source`, if any.
    pub fn baseline(&self, source: &str) -> Option<i64> {
        self.baselines.get(source).copied()
    }

    async fn lookup(&self, repo: &Repository) -> Result<Option<Vec<Tag>>> {
        let Some(run) = self.baseline(&repo.source) else {
            return Ok(None);
        };
        if repo.updated_at.is_none() {
            return Ok(None);
        }
        let key = [
            Value::int(run),
            Value::text(&repo.source),
            Value::text(&repo.registry),
            Value::text(&repo.name),
        ];
        let rows = self
            .db
            .query(
                "SELECT updated_at, tag_count, size_bytes, pull_count, tags_listed FROM repositories \
                 WHERE run_id = $1 AND source = $2 AND registry = $3 AND name = $4",
                &key,
                &[Kind::Time, Kind::Int, Kind::Int, Kind::Int, Kind::Bool],
            )
            .await?;
        let Some(stored) = rows.into_iter().next() else {
            return Ok(None);
        };
        // The stored count and size may be the ones the inventory derived from the listed tags
        // (a provider that does not report them): compared only where the provider reports
        // them now.
        let same = stored[0].as_time() == repo.updated_at
            && repo.tag_count.is_none_or(|n| stored[1].as_u64() == Some(n))
            && repo
                .size_bytes
                .is_none_or(|n| stored[2].as_u64() == Some(n))
            && stored[3].as_u64() == repo.pull_count
            && stored[4].as_bool() == Some(true);
        if !same {
            return Ok(None);
        }
        let failed = one_row(
            self.db
                .query(
                    "SELECT COUNT(*) FROM failures WHERE run_id = $1 AND source = $2 \
                     AND operation = 'list_tags' AND target = $3",
                    &[
                        Value::int(run),
                        Value::text(&repo.source),
                        Value::text(&repo.full_name),
                    ],
                    &[Kind::Int],
                )
                .await?,
            "failures",
        )?;
        if failed[0].as_i64().unwrap_or(1) != 0 {
            return Ok(None);
        }
        let mut tags = Vec::new();
        for mut row in self
            .db
            .query(
                "SELECT name, digest, size_bytes, created_at, updated_at, last_pulled_at, \
                 scanned, media_type, is_index, platforms, extra FROM tags \
                 WHERE run_id = $1 AND source = $2 AND registry = $3 AND repository = $4",
                &key,
                &TAG_COLUMNS,
            )
            .await?
        {
            tags.push(tag_from_row(&mut row)?);
        }
        Ok(Some(tags))
    }
}

#[async_trait]
impl TagReuse for StoredTags {
    async fn tags(&self, repo: &Repository, _depth: TagDepth) -> Option<Vec<Tag>> {
        match self.lookup(repo).await {
            Ok(Some(tags)) => {
                self.vouched
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key_of(repo));
                Some(tags)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(repository = %repo.full_name, "cannot reuse stored tags ({e}): listing them");
                None
            }
        }
    }
}
