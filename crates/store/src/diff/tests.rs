use chrono::{TimeZone, Utc};
use reginv::{ErrorKind, Failure, ProviderKind, Source, SourceSummary};
use serde_json::json;

use super::*;

fn src(name: &str) -> Source {
    Source::new(name, ProviderKind::NCP, "kr", "http://x")
}

fn tag(name: &str, digest: &str) -> Tag {
    let mut t = Tag::new(name);
    t.digest = Some(digest.into());
    t
}

fn repo(source: &str, registry: &str, name: &str, tags: &[(&str, &str)]) -> Repository {
    let mut r = Repository::new(&src(source), registry, name);
    r.public = Some(false);
    r.pull_uri = Some(format!("{registry}.example/{name}"));
    r.tags = Some(tags.iter().map(|(n, d)| tag(n, d)).collect());
    r
}

fn registry(source: &str, name: &str) -> Registry {
    let mut r = Registry::new(&src(source), name);
    r.public = Some(false);
    r.status = Some("running".into());
    r
}

fn side(id: i64, repos: Vec<Repository>, registries: Vec<Registry>, errors: Vec<Failure>) -> Side {
    let mut sources: Vec<String> = repos.iter().map(|r| r.source.clone()).collect();
    sources.extend(registries.iter().map(|r| r.source.clone()));
    sources.extend(errors.iter().map(|f| f.source.clone()));
    sources.sort();
    sources.dedup();
    let summaries = sources
        .iter()
        .map(|name| {
            let mut s = SourceSummary::new(&src(name));
            s.repositories = repos.iter().filter(|r| &r.source == name).count() as u64;
            s.errors = errors.iter().filter(|f| &f.source == name).count() as u64;
            s.status = SourceStatus::from_counts(s.repositories, s.errors);
            s
        })
        .collect();
    let mut report = InventoryReport::new(summaries, repos, errors);
    report.generated_at = Utc.with_ymd_and_hms(2026, 1, id as u32, 0, 0, 0).unwrap();
    Side {
        run: RunRef {
            id: Some(id),
            file: None,
            started: report.generated_at,
            finished: None,
            status: Some("complete".into()),
            depth: Some(TagDepth::Full),
        },
        report,
        registries,
    }
}

fn failure(source: &str, operation: &str, target: Option<&str>) -> Failure {
    let mut f = Failure::new(&src(source), operation, ErrorKind::Server, "boom");
    f.target = target.map(str::to_string);
    f
}

/// `kind source registry[/repository][:tag]` of every change.
fn lines(d: &Diff) -> Vec<String> {
    d.changes
        .iter()
        .map(|c| {
            let mut s = format!("{} {} {}", c.kind.as_str(), c.source, c.registry);
            if let Some(r) = &c.repository {
                s.push('/');
                s.push_str(r);
            }
            if let Some(t) = &c.tag {
                s.push(':');
                s.push_str(t);
            }
            s
        })
        .collect()
}

#[test]
fn identical_runs_have_no_changes_and_every_source_is_comparable() {
    let a = side(
        1,
        vec![repo("a", "r", "x", &[("v1", "sha256:1")])],
        vec![registry("a", "r")],
        vec![],
    );
    let b = side(
        2,
        a.report.repositories.clone(),
        a.registries.clone(),
        vec![],
    );
    let d = diff(&a, &b);
    assert!(!d.has_changes());
    assert_eq!(
        d.sources,
        vec![SourceComparison {
            name: "a".into(),
            comparable: true,
            reason: None
        }]
    );
    assert_eq!(d.summary.len(), 9);
    assert!(d.summary.values().all(|n| *n == 0));
}

#[test]
fn every_kind_is_reported() {
    let mut changed_registry = registry("a", "r");
    changed_registry.public = Some(true);
    changed_registry.scan_on_push = Some(true); // unknown before: not a change
    let mut public_repo = repo("a", "r", "exposed", &[]);
    public_repo.public = Some(true);
    let old = side(
        1,
        vec![
            repo("a", "r", "exposed", &[]),
            repo("a", "r", "gone", &[("v", "sha256:g")]),
            repo(
                "a",
                "r",
                "app",
                &[
                    ("keep", "sha256:k"),
                    ("old", "sha256:o"),
                    ("latest", "sha256:1"),
                ],
            ),
            repo("a", "dead", "d", &[]),
        ],
        vec![registry("a", "r"), registry("a", "dead")],
        vec![],
    );
    let new = side(
        2,
        vec![
            public_repo,
            repo(
                "a",
                "r",
                "app",
                &[
                    ("keep", "sha256:k"),
                    ("new", "sha256:n"),
                    ("latest", "sha256:2"),
                ],
            ),
            repo("a", "r", "fresh", &[("v", "sha256:f")]),
            repo("a", "born", "b", &[]),
        ],
        vec![changed_registry, registry("a", "born")],
        vec![],
    );
    let d = diff(&old, &new);
    assert_eq!(
        lines(&d),
        [
            "registry_added a born",
            "registry_removed a dead",
            "registry_changed a r",
            "repository_added a born/b",
            "repository_removed a dead/d",
            "tag_moved a r/app:latest",
            "tag_added a r/app:new",
            "tag_removed a r/app:old",
            "repository_changed a r/exposed",
            "repository_added a r/fresh",
            "repository_removed a r/gone",
        ]
    );
    for kind in ChangeKind::ALL {
        assert!(d.summary[&kind] >= 1, "{kind:?} missing");
    }
    let moved = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::TagMoved)
        .unwrap();
    assert_eq!(moved.before["digest"], "sha256:1");
    assert_eq!(moved.after["digest"], "sha256:2");
    let registry_change = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::RegistryChanged)
        .unwrap();
    assert_eq!(
        registry_change.fields,
        Some(vec![FieldChange {
            name: "public".into(),
            before: json!(false),
            after: json!(true)
        }])
    );
    let removed = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::RepositoryRemoved && c.registry == "r")
        .unwrap();
    assert_eq!(removed.after, Json::Null);
    assert_eq!(removed.before["full_name"], "r/gone");
    assert!(
        removed.before.get("tags").is_none(),
        "repositories are shown without tags"
    );
}

#[test]
fn only_exposure_and_identity_fields_make_a_change() {
    let mut before = repo("a", "r", "x", &[("v", "sha256:1")]);
    before.description = Some("old".into());
    before.tag_count = Some(1);
    before.pull_count = Some(5);
    before.size_bytes = Some(10);
    before.updated_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut after = before.clone();
    after.pull_count = Some(500);
    after.size_bytes = Some(20);
    after.updated_at = Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
    if let Some(tags) = &mut after.tags {
        tags[0].last_pulled_at = Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
        tags[0].size_bytes = Some(99);
    }
    let d = diff(
        &side(1, vec![before.clone()], vec![], vec![]),
        &side(2, vec![after.clone()], vec![], vec![]),
    );
    assert!(!d.has_changes(), "{:?}", lines(&d));

    after.description = Some("new".into());
    after.tag_immutable = Some(true); // unknown before: not compared
    after.pull_uri = Some("mirror.example/x".into());
    let d = diff(
        &side(1, vec![before], vec![], vec![]),
        &side(2, vec![after], vec![], vec![]),
    );
    assert_eq!(lines(&d), ["repository_changed a r/x"]);
    let names: Vec<&str> = d.changes[0]
        .fields
        .as_ref()
        .unwrap()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["description", "pull_uri"]);
}

#[test]
fn a_failed_source_is_not_comparable_and_shows_no_removals() {
    let old = side(
        1,
        vec![repo("a", "r", "x", &[]), repo("b", "s", "y", &[])],
        vec![],
        vec![],
    );
    let new = side(
        2,
        vec![repo("a", "r", "x", &[])],
        vec![],
        vec![failure("b", "list_registries", None)],
    );
    let d = diff(&old, &new);
    assert!(!d.has_changes(), "{:?}", lines(&d));
    let b = d.sources.iter().find(|s| s.name == "b").unwrap();
    assert!(!b.comparable);
    assert!(
        b.reason.as_deref().unwrap().contains("failed in run 2"),
        "{b:?}"
    );
    assert!(d.sources.iter().find(|s| s.name == "a").unwrap().comparable);
}

#[test]
fn a_source_missing_from_a_run_is_not_comparable() {
    let old = side(
        1,
        vec![repo("a", "r", "x", &[]), repo("b", "s", "y", &[])],
        vec![],
        vec![],
    );
    let new = side(2, vec![repo("a", "r", "x", &[])], vec![], vec![]);
    let d = diff(&old, &new);
    assert!(!d.has_changes());
    let b = d.sources.iter().find(|s| s.name == "b").unwrap();
    assert!(!b.comparable);
    assert!(b.reason.as_deref().unwrap().contains("run 2"));
}

#[test]
fn a_failed_registry_listing_hides_additions_and_removals_under_it_only() {
    let old = side(
        1,
        vec![
            repo("a", "r", "x", &[]),
            repo("a", "s", "y", &[]),
            repo("a", "s", "z", &[]),
        ],
        vec![],
        vec![],
    );
    // Run 2: registry s failed half-way (only y came back); r lost x and gained w.
    let mut y = repo("a", "s", "y", &[]);
    y.public = Some(true);
    let new = side(
        2,
        vec![repo("a", "r", "w", &[]), y],
        vec![],
        vec![failure("a", "list_repositories", Some("s"))],
    );
    let d = diff(&old, &new);
    assert_eq!(
        lines(&d),
        [
            "repository_added a r/w",
            "repository_removed a r/x",
            "repository_changed a s/y"
        ]
    );
    let a = &d.sources[0];
    assert!(!a.comparable);
    assert!(
        a.reason
            .as_deref()
            .unwrap()
            .contains("the repositories of s failed in run 2"),
        "{a:?}"
    );
}

#[test]
fn a_failed_tag_listing_in_either_run_hides_that_repositorys_tag_changes() {
    let old = side(
        1,
        vec![
            repo("a", "r", "x", &[("1", "sha256:1"), ("2", "sha256:2")]),
            repo("a", "r", "y", &[("1", "sha256:1")]),
        ],
        vec![],
        vec![failure("a", "list_tags", Some("r/x"))],
    );
    let new = side(
        2,
        vec![
            repo("a", "r", "x", &[("2", "sha256:9"), ("3", "sha256:3")]),
            repo("a", "r", "y", &[]),
        ],
        vec![],
        vec![],
    );
    let d = diff(&old, &new);
    assert_eq!(lines(&d), ["tag_removed a r/y:1"]);
    assert!(!d.sources[0].comparable);
    // The same failure in the newer run hides them too.
    let d = diff(
        &side(2, new.report.repositories.clone(), vec![], vec![]),
        &side(
            3,
            old.report.repositories.clone(),
            vec![],
            vec![failure("a", "list_tags", Some("r/x"))],
        ),
    );
    assert_eq!(lines(&d), ["tag_added a r/y:1"]);
}

#[test]
fn tags_not_listed_or_listed_at_another_depth_are_not_compared() {
    let mut without_tags = repo("a", "r", "x", &[]);
    without_tags.tags = None;
    let with_tags = repo("a", "r", "x", &[("1", "sha256:1")]);
    let d = diff(
        &side(1, vec![with_tags.clone()], vec![], vec![]),
        &side(2, vec![without_tags], vec![], vec![]),
    );
    assert!(!d.has_changes());

    let mut names_only = side(
        2,
        vec![repo("a", "r", "x", &[("2", "sha256:2")])],
        vec![],
        vec![],
    );
    names_only.run.depth = Some(TagDepth::Names);
    let d = diff(&side(1, vec![with_tags], vec![], vec![]), &names_only);
    assert!(!d.has_changes());
    assert!(d.sources[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("depth full in run 1 and names in run 2"));
}

#[test]
fn a_tag_without_a_known_digest_on_one_side_is_not_a_retag() {
    let mut names = repo("a", "r", "x", &[]);
    names.tags = Some(vec![Tag::new("latest")]);
    let full = repo("a", "r", "x", &[("latest", "sha256:1")]);
    let d = diff(
        &side(1, vec![names], vec![], vec![]),
        &side(2, vec![full], vec![], vec![]),
    );
    assert!(!d.has_changes());
}

#[test]
fn the_document_has_the_documented_shape() {
    let old = side(
        1,
        vec![repo("a", "r", "x", &[("latest", "sha256:1")])],
        vec![],
        vec![],
    );
    let new = side(
        2,
        vec![repo("a", "r", "x", &[("latest", "sha256:2")])],
        vec![],
        vec![],
    );
    let json = serde_json::to_value(diff(&old, &new)).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["from"]["id"], 1);
    assert_eq!(json["to"]["id"], 2);
    assert_eq!(json["to"]["depth"], "full");
    assert_eq!(
        json["sources"],
        json!([{"name": "a", "comparable": true, "reason": null}])
    );
    let change = &json["changes"][0];
    assert_eq!(change["kind"], "tag_moved");
    assert_eq!(change["source"], "a");
    assert_eq!(change["registry"], "r");
    assert_eq!(change["repository"], "x");
    assert_eq!(change["tag"], "latest");
    assert_eq!(change["before"]["digest"], "sha256:1");
    assert_eq!(change["after"]["digest"], "sha256:2");
    assert!(change.get("fields").is_none());
    assert_eq!(json["summary"]["tag_moved"], 1);
    assert_eq!(json["summary"]["registry_added"], 0);
    let back: Diff = serde_json::from_value(json).unwrap();
    assert_eq!(back.changes.len(), 1);
}
