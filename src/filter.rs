//! [`Filter`]: which sources, registries and repositories an inventory lists.

use glob::Pattern;

use crate::core::{Error, Repository, Result};

/// Narrows an inventory. Empty lists and `None` select everything.
///
/// - `sources`: source labels ([`Source::name`](crate::Source::name)); naming a source that
///   is not configured is an [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error from
///   [`Inventory::with_options`](crate::Inventory::with_options).
/// - `registries`: exact registry (NCR) or namespace (SWR) names. Only those registries are
///   listed: a provider that lists across registries (SWR) is sent each name and filters
///   server-side; the others list their registries and keep those named, so a name that only
///   some sources have is no error for the rest. The name is checked again on every row,
///   because SWR matches namespaces fuzzily.
/// - `repository_glob`: a [`glob::Pattern`] (`*`, `?`, `[a-z]`; `*` also matches `/`). A glob
///   without `/` is matched against the repository name (`team/app`'s name is `team/app`); a
///   glob with `/` is matched against the name and against the full name `registry/name`,
///   either match counts. Providers that filter names server-side receive the longest literal
///   run of the glob that every match must contain; every row is checked again client-side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    /// Only these sources (by name).
    pub sources: Vec<String>,
    /// Only these registries / namespaces (exact names).
    pub registries: Vec<String>,
    /// Only repositories matching this glob.
    pub repository_glob: Option<String>,
}

impl Filter {
    /// A filter that selects everything.
    pub fn all() -> Self {
        Filter::default()
    }

    /// Adds a source name.
    pub fn with_source(mut self, name: impl Into<String>) -> Self {
        self.sources.push(name.into());
        self
    }

    /// Adds a registry name.
    pub fn with_registry(mut self, name: impl Into<String>) -> Self {
        self.registries.push(name.into());
        self
    }

    /// Sets the repository glob.
    pub fn with_repository_glob(mut self, glob: impl Into<String>) -> Self {
        self.repository_glob = Some(glob.into());
        self
    }
}

/// A [`Filter`]'s repository and registry tests, compiled once.
#[derive(Clone, Debug)]
pub(crate) struct RepositoryMatcher {
    registries: Vec<String>,
    glob: Option<Pattern>,
    matches_full_name: bool,
    server_literal: Option<String>,
}

impl RepositoryMatcher {
    /// A matcher that accepts every repository.
    pub(crate) fn everything() -> Self {
        RepositoryMatcher {
            registries: Vec::new(),
            glob: None,
            matches_full_name: false,
            server_literal: None,
        }
    }

    /// Compiles `filter`; a bad glob is an `InvalidConfig` error.
    pub(crate) fn new(filter: &Filter) -> Result<Self> {
        let (glob, matches_full_name, server_literal) = match &filter.repository_glob {
            None => (None, false, None),
            Some(text) => {
                let pattern = Pattern::new(text)
                    .map_err(|e| Error::config(format!("invalid repository glob {text:?}: {e}")))?;
                let has_slash = literal_runs(text).iter().any(|run| run.contains('/'));
                (Some(pattern), has_slash, server_literal(text))
            }
        };
        // Each registry once, in the order given: a name given twice is listed once.
        let mut registries: Vec<String> = Vec::with_capacity(filter.registries.len());
        for name in &filter.registries {
            if !registries.contains(name) {
                registries.push(name.clone());
            }
        }
        Ok(RepositoryMatcher {
            registries,
            glob,
            matches_full_name,
            server_literal,
        })
    }

    /// The registries to list, when the filter names some.
    pub(crate) fn registries(&self) -> &[String] {
        &self.registries
    }

    /// The text every matching repository name contains, for providers that filter names
    /// server-side.
    pub(crate) fn server_literal(&self) -> Option<&str> {
        self.server_literal.as_deref()
    }

    /// Whether `repo` passes the registry and glob tests.
    pub(crate) fn accepts(&self, repo: &Repository) -> bool {
        if !self.registries.is_empty() && !self.registries.contains(&repo.registry) {
            return false;
        }
        match &self.glob {
            None => true,
            Some(glob) => {
                glob.matches(&repo.name)
                    || (self.matches_full_name && glob.matches(&repo.full_name))
            }
        }
    }
}

/// The runs of literal characters of a glob (outside `*`, `?` and `[…]`).
fn literal_runs(glob: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => runs.push(std::mem::take(&mut current)),
            '[' => {
                runs.push(std::mem::take(&mut current));
                // Skip the class: a `]` right after `[` or `[!` is part of it.
                if chars.peek() == Some(&'!') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            other => current.push(other),
        }
    }
    runs.push(current);
    runs.retain(|r| !r.is_empty());
    runs
}

/// The longest literal run every repository *name* matched by the glob must contain.
///
/// A glob without `/` must match the name, so any of its runs qualifies. A glob with `/` may
/// match the full name `registry/name` instead; registry names hold no `/`, so whatever the
/// glob matches after its first literal `/` lies inside the name: only runs after that slash
/// qualify.
fn server_literal(glob: &str) -> Option<String> {
    let runs = literal_runs(glob);
    let candidates: Vec<String> = match runs.iter().position(|r| r.contains('/')) {
        None => runs,
        Some(i) => {
            let mut after = Vec::new();
            if let Some((_, tail)) = runs[i].split_once('/') {
                after.push(tail.to_string());
            }
            after.extend(runs[i + 1..].iter().cloned());
            after
        }
    };
    candidates
        .into_iter()
        .filter(|r| !r.is_empty())
        .max_by_key(|r| r.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ProviderKind, Source};

    fn repo(registry: &str, name: &str) -> Repository {
        let source = Source::new("s", ProviderKind::NCP, "kr", "http://127.0.0.1:1");
        Repository::new(&source, registry, name)
    }

    fn matcher(glob: &str) -> RepositoryMatcher {
        RepositoryMatcher::new(&Filter::all().with_repository_glob(glob)).unwrap()
    }

    #[test]
    fn literal_runs_skip_wildcards_and_classes() {
        assert_eq!(literal_runs("team/*-api"), ["team/", "-api"]);
        assert_eq!(literal_runs("a[]b]c?d*"), ["a", "c", "d"]);
        assert_eq!(literal_runs("[!x]yz"), ["yz"]);
        assert!(literal_runs("*").is_empty());
    }

    #[test]
    fn the_server_literal_is_always_inside_the_name() {
        assert_eq!(server_literal("*backend*").as_deref(), Some("backend"));
        assert_eq!(server_literal("ab*cdef").as_deref(), Some("cdef"));
        assert_eq!(server_literal("*"), None);
        // A registry-qualified glob: the registry part is not part of the name.
        assert_eq!(server_literal("myregistry/app*").as_deref(), Some("app"));
        assert_eq!(server_literal("reg/team/*").as_deref(), Some("team/"));
        assert_eq!(server_literal("*/x"), Some("x".to_string()));
    }

    #[test]
    fn globs_match_name_and_slashed_globs_the_full_name() {
        let m = matcher("app*");
        assert!(m.accepts(&repo("reg", "app1")));
        assert!(!m.accepts(&repo("app", "other")), "no slash: name only");
        let m = matcher("reg/app*");
        assert!(m.accepts(&repo("reg", "app1")));
        assert!(!m.accepts(&repo("other", "app1")));
        let m = matcher("team/*");
        assert!(
            m.accepts(&repo("reg", "team/app")),
            "names may hold a slash"
        );
        assert!(m.accepts(&repo("team", "x")), "full name team/x");
        let m = matcher("*");
        assert!(m.accepts(&repo("r", "a/b")));
    }

    #[test]
    fn a_registry_named_twice_is_listed_once() {
        let filter = Filter::all()
            .with_registry("prod")
            .with_registry("dev")
            .with_registry("prod");
        let m = RepositoryMatcher::new(&filter).unwrap();
        assert_eq!(m.registries(), ["prod", "dev"]);
    }

    #[test]
    fn registries_are_exact() {
        let m = RepositoryMatcher::new(&Filter::all().with_registry("prod")).unwrap();
        assert!(m.accepts(&repo("prod", "x")));
        assert!(
            !m.accepts(&repo("prod-old", "x")),
            "SWR matches fuzzily; we do not"
        );
    }

    #[test]
    fn a_bad_glob_is_a_config_error() {
        let err = RepositoryMatcher::new(&Filter::all().with_repository_glob("a[b")).unwrap_err();
        assert_eq!(err.kind(), crate::core::ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("a[b"), "{err}");
    }
}
