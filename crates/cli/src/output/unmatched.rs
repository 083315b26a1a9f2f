//! Filters that matched nothing: `--registry nope` or `--repo 'typo*'` list nothing and would
//! otherwise look like a complete, empty inventory.

use std::collections::HashSet;

use reginv::{Filter, InventoryEvent};

/// Watches the events of a run for what each `--registry` and `--repo` filter matched.
#[derive(Debug, Default)]
pub struct UnmatchedFilters {
    registries: Vec<String>,
    glob: Option<String>,
    seen_registries: HashSet<String>,
    repositories: u64,
}

impl UnmatchedFilters {
    /// A watcher for the registry names and repository glob of `filter`.
    pub fn new(filter: &Filter) -> Self {
        UnmatchedFilters {
            registries: filter.registries.clone(),
            glob: filter.repository_glob.clone(),
            ..UnmatchedFilters::default()
        }
    }

    /// Notes what `event` matched.
    pub fn observe(&mut self, event: &InventoryEvent) {
        match event {
            InventoryEvent::Registry(registry) => {
                self.seen_registries.insert(registry.name.clone());
            }
            InventoryEvent::Repository(repo) => {
                self.repositories += 1;
                self.seen_registries.insert(repo.registry.clone());
            }
            InventoryEvent::Failure(_) | InventoryEvent::SourceFinished(_) => {}
        }
    }

    /// One warning per filter that matched nothing (`--registry nope matched no registry`).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .registries
            .iter()
            .filter(|name| !self.seen_registries.contains(*name))
            .map(|name| format!("warning: --registry {name} matched no registry"))
            .collect();
        if let Some(glob) = &self.glob {
            if self.repositories == 0 {
                warnings.push(format!("warning: --repo {glob} matched no repository"));
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::{ProviderKind, Registry, Repository, Source};

    fn source() -> Source {
        Source::new("a", ProviderKind::NCP, "kr", "http://127.0.0.1:1")
    }

    #[test]
    fn names_each_filter_that_matched_nothing() {
        let mut filter = Filter::default();
        filter.registries = vec!["empty".into(), "nope".into(), "full".into()];
        filter.repository_glob = Some("typo*".into());
        let mut watch = UnmatchedFilters::new(&filter);
        watch.observe(&InventoryEvent::Registry(Box::new(Registry::new(
            &source(),
            "empty",
        ))));
        assert_eq!(
            watch.warnings(),
            [
                "warning: --registry nope matched no registry",
                "warning: --registry full matched no registry",
                "warning: --repo typo* matched no repository",
            ]
        );
        watch.observe(&InventoryEvent::Repository(Box::new(Repository::new(
            &source(),
            "full",
            "typo-app",
        ))));
        assert_eq!(
            watch.warnings(),
            ["warning: --registry nope matched no registry"]
        );
    }

    #[test]
    fn no_filter_no_warning() {
        let watch = UnmatchedFilters::new(&Filter::default());
        assert!(watch.warnings().is_empty());
    }
}
