//! Which parts of a source a run failed to list, from its failures.

use std::collections::BTreeSet;

use reginv::InventoryReport;

/// What of one source a run did not list completely.
#[derive(Debug, Default)]
pub(super) struct Scopes {
    /// The source's registries or repositories as a whole (no target).
    whole: bool,
    /// Registries whose repositories failed to list.
    registries: BTreeSet<String>,
    /// `(registry, repository)` whose tags failed to list.
    repositories: BTreeSet<(String, String)>,
}

impl Scopes {
    /// The scopes of `source`'s failures in `report`.
    pub(super) fn of(source: &str, report: &InventoryReport) -> Scopes {
        let mut scopes = Scopes::default();
        for failure in report.errors.iter().filter(|f| f.source == source) {
            match failure.target.as_deref() {
                None => scopes.whole = true,
                Some(target) => match target.split_once('/') {
                    // `registry/repository`: that repository's tags (or details).
                    Some((registry, repository)) if failure.operation != "list_repositories" => {
                        scopes
                            .repositories
                            .insert((registry.to_string(), repository.to_string()));
                    }
                    // A registry (or a repository listing about one).
                    _ => {
                        let registry = target.split('/').next().unwrap_or(target);
                        scopes.registries.insert(registry.to_string());
                    }
                },
            }
        }
        scopes
    }

    /// Whether `registry`'s repositories were listed completely.
    pub(super) fn registry_listed(&self, registry: &str) -> bool {
        !self.whole && !self.registries.contains(registry)
    }

    /// Whether the tags of `registry/repository` were listed completely.
    pub(super) fn tags_listed(&self, registry: &str, repository: &str) -> bool {
        self.registry_listed(registry)
            && !self
                .repositories
                .contains(&(registry.to_string(), repository.to_string()))
    }

    /// What failed, in words; `None` when nothing did.
    pub(super) fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.whole {
            parts.push("the listing of its registries or repositories".to_string());
        }
        if !self.registries.is_empty() {
            let names: Vec<&str> = self.registries.iter().map(String::as_str).collect();
            parts.push(format!("the repositories of {}", names.join(", ")));
        }
        if !self.repositories.is_empty() {
            let n = self.repositories.len();
            parts.push(format!(
                "the tags of {n} repositor{}",
                if n == 1 { "y" } else { "ies" }
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" and "))
    }
}
