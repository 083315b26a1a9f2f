//! [`RunInfo`] and [`RunStatus`]: what `reginv snapshots` lists about each run.

use std::fmt;

use chrono::{DateTime, Utc};
use reginv::TagDepth;
use serde::Serialize;

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Its writer is still at work.
    Running,
    /// Finished, every source listed without an error.
    Complete,
    /// Finished, with some failures (recorded in the snapshot).
    Incomplete,
    /// Stopped on purpose before the end (Ctrl-C): what was listed until then is kept, sources
    /// that had not finished have no summary.
    Interrupted,
    /// Its writer died (killed, crashed, lost its connection) before finishing: never a
    /// finished snapshot.
    Aborted,
}

impl RunStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Incomplete => "incomplete",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Aborted => "aborted",
        }
    }

    /// Whether the run went to its end (`complete` or `incomplete`): the runs `reginv diff`
    /// and incremental runs compare with.
    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Complete | RunStatus::Incomplete)
    }

    pub(crate) fn from_stored(text: &str) -> Option<RunStatus> {
        Some(match text {
            "running" => RunStatus::Running,
            "complete" => RunStatus::Complete,
            "incomplete" => RunStatus::Incomplete,
            "interrupted" => RunStatus::Interrupted,
            "aborted" => RunStatus::Aborted,
            _ => return None,
        })
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run of the store, as `reginv snapshots` lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunInfo {
    /// The run id: increasing, unique across every writer of the store.
    pub id: i64,
    /// When the inventory started.
    pub started: DateTime<Utc>,
    /// When it finished (`None` while running, and for aborted runs).
    pub finished: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: RunStatus,
    /// The tag depth it listed at.
    pub depth: TagDepth,
    /// Whether tags of unchanged repositories were reused from an earlier run.
    pub incremental: bool,
    /// Sources selected.
    pub sources: u64,
    /// Registries stored.
    pub registries: u64,
    /// Repositories stored.
    pub repositories: u64,
    /// Tags stored.
    pub tags: u64,
}
