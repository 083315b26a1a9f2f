//! The built-in rules: stable ids, default severities, titles, descriptions and the data each
//! needs.
//!
//! A rule's id never changes once released (suppressions, dashboards and `--rule` name it).

use reginv::TagDepth;
use serde::Serialize;

use crate::error::AuditError;
use crate::severity::Severity;

/// What a rule looks at: one row per registry, per repository, or per tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Registry (NCR) or namespace (SWR) rows.
    Registry,
    /// Repository rows.
    Repository,
    /// Tags of repositories.
    Tag,
}

/// The data a rule needs from an inventory: which rows, which field, and what the inventory
/// must request to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Needs {
    /// The rows the rule reads.
    pub scope: Scope,
    /// The model field the rule reads (`registry.public`, `tag.size_bytes`, …), as named in
    /// not-evaluated reasons.
    pub field: &'static str,
    /// The tag depth the inventory must list at (`none` when the rule reads no tag).
    pub depth: TagDepth,
    /// Whether the rule reads a field some providers report only in a repository's details
    /// (NCR image details: `tag_immutable`), fetched only when asked.
    pub repository_details: bool,
}

/// One built-in rule's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Rule {
    /// The stable id (`public-registry`).
    pub id: &'static str,
    /// The severity findings get unless configuration overrides it.
    pub default_severity: Severity,
    /// A one-line title.
    pub title: &'static str,
    /// What the rule finds, why it matters, and how to fix it.
    pub description: &'static str,
    /// The data it needs.
    #[serde(skip)]
    pub needs: Needs,
}

const fn needs(scope: Scope, field: &'static str, depth: TagDepth, details: bool) -> Needs {
    Needs {
        scope,
        field,
        depth,
        repository_details: details,
    }
}

/// Every built-in rule, in the order they are reported.
pub const RULES: [Rule; 10] = [
    Rule {
        id: "public-registry",
        default_severity: Severity::High,
        title: "Registry open to anonymous pulls",
        description: "Anonymous users can pull every image of this registry. Make it private \
                      unless it exists to publish images.",
        needs: needs(Scope::Registry, "registry.public", TagDepth::None, false),
    },
    Rule {
        id: "public-repository",
        default_severity: Severity::High,
        title: "Repository open to anonymous pulls",
        description: "Anonymous users can pull this repository's images (one finding per \
                      repository, also when its registry is public). Make it private unless it \
                      exists to publish images.",
        needs: needs(
            Scope::Repository,
            "repository.public",
            TagDepth::None,
            false,
        ),
    },
    Rule {
        id: "registry-disconnected",
        default_severity: Severity::High,
        title: "Registry storage disconnected",
        description: "The registry's status is not `running`: on NCR a disconnected registry's \
                      Object Storage bucket is gone, so its images cannot be pulled. Restore the \
                      bucket or delete the registry.",
        needs: needs(Scope::Registry, "registry.status", TagDepth::None, false),
    },
    Rule {
        id: "scan-on-push-disabled",
        default_severity: Severity::Medium,
        title: "Images not scanned on push",
        description: "The registry does not scan pushed images for vulnerabilities. Enable \
                      scan on push.",
        needs: needs(
            Scope::Registry,
            "registry.scan_on_push",
            TagDepth::None,
            false,
        ),
    },
    Rule {
        id: "image-not-scanned",
        default_severity: Severity::Medium,
        title: "Image never scanned",
        description: "The provider reports that this tag's image was never scanned for \
                      vulnerabilities. Scan it, or delete it if unused.",
        needs: needs(Scope::Tag, "tag.scanned", TagDepth::Full, false),
    },
    Rule {
        id: "oversized-image",
        default_severity: Severity::Medium,
        title: "Image larger than the limit",
        description: "The tag's image is larger than `max_image_bytes` (default 2 GiB): slow \
                      to pull, costly to store. Slim the image (multi-stage builds, smaller base).",
        needs: needs(Scope::Tag, "tag.size_bytes", TagDepth::Full, false),
    },
    Rule {
        id: "mutable-tags",
        default_severity: Severity::Low,
        title: "Tags can be overwritten",
        description: "A pushed tag of this repository can be overwritten, so the same name may \
                      pull different images over time. Make its tags immutable.",
        needs: needs(
            Scope::Repository,
            "repository.tag_immutable",
            TagDepth::None,
            true,
        ),
    },
    Rule {
        id: "stale-image",
        default_severity: Severity::Low,
        title: "Image not pulled recently",
        description: "The tag was not pulled within `stale_days` (default 90) of the audit's \
                      `as_of`; a tag never pulled counts from its last update. Delete it or \
                      archive it. Not evaluated for a source that reports no pull times.",
        needs: needs(Scope::Tag, "tag.last_pulled_at", TagDepth::Full, false),
    },
    Rule {
        id: "tag-sprawl",
        default_severity: Severity::Low,
        title: "Too many tags",
        description: "The repository has more than `max_tags` tags (default 500). Add a \
                      retention policy.",
        needs: needs(Scope::Repository, "repository tags", TagDepth::Names, false),
    },
    Rule {
        id: "empty-repository",
        default_severity: Severity::Info,
        title: "Repository without tags",
        description: "The repository has no tags: nothing can be pulled from it. Delete it if \
                      it is not about to be used.",
        needs: needs(Scope::Repository, "repository tags", TagDepth::Names, false),
    },
];

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// The known ids, comma-separated, for error messages.
pub fn known_ids() -> String {
    RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
}

/// The rule with this id, or an error listing the known ids (`what` says where the id came
/// from, e.g. `--rule`).
pub fn require(id: &str, what: &str) -> Result<&'static Rule, AuditError> {
    rule(id).ok_or_else(|| {
        AuditError::Config(format!(
            "{what}: unknown rule id {id:?}; known rules: {}",
            known_ids()
        ))
    })
}

/// The rules to run: `only` (every rule when empty) minus `skip`, in [`RULES`] order. Every id
/// must be known.
pub fn select(only: &[String], skip: &[String]) -> Result<Vec<&'static Rule>, AuditError> {
    for id in only {
        require(id, "--rule")?;
    }
    for id in skip {
        require(id, "--skip-rule")?;
    }
    Ok(RULES
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|id| id == r.id))
        .filter(|r| !skip.iter().any(|id| id == r.id))
        .collect())
}

/// What an inventory must request for `rules`: the deepest tag depth any of them needs, and
/// whether any needs repository details.
pub fn requirements<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Requirements {
    let mut needed = Requirements {
        depth: TagDepth::None,
        repository_details: false,
    };
    for rule in rules {
        needed.depth = deeper(needed.depth, rule.needs.depth);
        needed.repository_details |= rule.needs.repository_details;
    }
    needed
}

/// What an inventory must request so the selected rules see their data, and no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    /// The tag depth: `none` when no rule reads tags.
    pub depth: TagDepth,
    /// Whether repository details (NCR image details) must be fetched.
    pub repository_details: bool,
}

/// Orders depths: `none` < `names` < `full`.
pub(crate) fn rank(d: TagDepth) -> u8 {
    match d {
        TagDepth::None => 0,
        TagDepth::Names => 1,
        _ => 2,
    }
}

fn deeper(a: TagDepth, b: TagDepth) -> TagDepth {
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_documented_ones_and_unique() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            [
                "public-registry",
                "public-repository",
                "registry-disconnected",
                "scan-on-push-disabled",
                "image-not-scanned",
                "oversized-image",
                "mutable-tags",
                "stale-image",
                "tag-sprawl",
                "empty-repository",
            ]
        );
        let severities: Vec<Severity> = RULES.iter().map(|r| r.default_severity).collect();
        use Severity::*;
        assert_eq!(
            severities,
            [High, High, High, Medium, Medium, Medium, Low, Low, Low, Info]
        );
    }

    #[test]
    fn selection_keeps_order_and_rejects_unknown_ids_listing_the_known_ones() {
        let chosen = select(&["tag-sprawl".into(), "public-registry".into()], &[]).unwrap();
        let ids: Vec<&str> = chosen.iter().map(|r| r.id).collect();
        assert_eq!(ids, ["public-registry", "tag-sprawl"]);
        let all_but = select(&[], &["stale-image".into()]).unwrap();
        assert_eq!(all_but.len(), 9);
        let err = select(&["public-repo".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--rule") && err.contains("\"public-repo\""),
            "{err}"
        );
        assert!(err.contains("public-repository") && err.contains("empty-repository"));
        assert!(select(&[], &["nope".into()])
            .unwrap_err()
            .to_string()
            .contains("--skip-rule"));
    }

    #[test]
    fn requirements_are_the_deepest_the_selected_rules_need() {
        let only = |ids: &[&str]| {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            requirements(select(&ids, &[]).unwrap())
        };
        let registry_only = only(&["public-registry", "public-repository"]);
        assert_eq!(registry_only.depth, TagDepth::None);
        assert!(!registry_only.repository_details);
        assert_eq!(only(&["tag-sprawl"]).depth, TagDepth::Names);
        assert_eq!(only(&["tag-sprawl", "stale-image"]).depth, TagDepth::Full);
        let mutable = only(&["mutable-tags"]);
        assert_eq!(mutable.depth, TagDepth::None);
        assert!(mutable.repository_details);
    }
}
