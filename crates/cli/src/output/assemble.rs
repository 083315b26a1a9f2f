//! Gathering streamed events into a sorted [`InventoryReport`](reginv::InventoryReport) is the
//! facade's [`ReportBuilder`](reginv::ReportBuilder) (from `Inventory::report_builder`), the
//! one place where order and outcome are decided (`Inventory::collect` uses it too). The tests
//! here pin the order the CLI's outputs rely on.

#[cfg(test)]
use reginv::ReportBuilder as ReportAssembler;

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::{
        ErrorKind, Failure, InventoryEvent, ProviderKind, Registry, Repository, Source,
        SourceSummary, Tag,
    };

    fn source(name: &str) -> Source {
        Source::new(name, ProviderKind::HUAWEI, "ap", "http://127.0.0.1:1")
    }

    fn repo(source_name: &str, registry: &str, name: &str, tags: &[&str]) -> InventoryEvent {
        let mut repo = Repository::new(&source(source_name), registry, name);
        repo.tags = Some(tags.iter().map(|t| Tag::new(*t)).collect());
        InventoryEvent::Repository(Box::new(repo))
    }

    #[test]
    fn sorts_by_config_order_registry_name_and_tag() {
        let mut assembler = ReportAssembler::new(vec!["zeta".into(), "alpha".into()]);
        let failure = |s: &str, target: &str| {
            let mut f = Failure::new(&source(s), "list_tags", ErrorKind::Server, "boom");
            f.target = Some(target.into());
            InventoryEvent::Failure(f)
        };
        let registry = |s: &str, name: &str| {
            InventoryEvent::Registry(Box::new(Registry::new(&source(s), name)))
        };
        for event in [
            registry("alpha", "b"),
            registry("zeta", "z"),
            registry("alpha", "a"),
            repo("alpha", "a", "x", &["2", "1"]),
            failure("alpha", "a/y"),
            repo("zeta", "b", "z", &[]),
            repo("zeta", "a", "y", &["b", "a"]),
            failure("zeta", "b/q"),
            failure("zeta", "a/q"),
            InventoryEvent::SourceFinished(SourceSummary::new(&source("alpha"))),
            InventoryEvent::SourceFinished(SourceSummary::new(&source("zeta"))),
        ] {
            assembler.push(event);
        }
        let report = assembler.finish();
        let names: Vec<&str> = report
            .repositories
            .iter()
            .map(|r| r.full_name.as_str())
            .collect();
        assert_eq!(names, ["a/y", "b/z", "a/x"]);
        let tags: Vec<&str> = report.repositories[0]
            .tags
            .iter()
            .flatten()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(tags, ["a", "b"]);
        let sources: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(sources, ["zeta", "alpha"]);
        let registries: Vec<(&str, &str)> = report
            .registries
            .iter()
            .map(|r| (r.source.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(registries, [("zeta", "z"), ("alpha", "a"), ("alpha", "b")]);
        let errors: Vec<(&str, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| (e.source.as_str(), e.target.as_deref()))
            .collect();
        assert_eq!(
            errors,
            [
                ("zeta", Some("a/q")),
                ("zeta", Some("b/q")),
                ("alpha", Some("a/y"))
            ]
        );
        assert!(!report.complete);
        assert_eq!(report.exit_code(), 2);
    }
}
