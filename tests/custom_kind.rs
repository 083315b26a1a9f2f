//! A provider kind the facade has never heard of (`custom`), registered through the same
//! factory table as the built-in backends, configured in the same TOML file, checked with the
//! same errors, and merged with an NCR source of the emulator in one inventory: the proof that
//! a new backend is one factory, not a tour of the facade.

#![cfg(feature = "ncp")]

use std::sync::Arc;

use async_trait::async_trait;
use reginv::core::provider::first_page;
use reginv::{
    Config, ConfigEntry, Cursor, Environment, ErrorKind, Inventory, InventoryOptions, Page,
    ProviderFactories, ProviderFactory, ProviderKind, Registry, RegistryProvider, Repository,
    RepositoryQuery, RepositoryRef, Result, Source, SourceStatus, Tag, TagDepth,
};
use reginv_emulator::{Emulator, Fixture};

/// An in-memory registry whose repositories come from its configuration entry.
#[derive(Debug)]
struct Custom {
    source: Source,
    repositories: Vec<String>,
}

#[async_trait]
impl RegistryProvider for Custom {
    fn source(&self) -> &Source {
        &self.source
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let items = vec![Registry::new(&self.source, "main")];
        Ok(Page::new(items, first_page(cursor, 10), None, Some(1)))
    }

    async fn repositories_page(
        &self,
        _query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let items: Vec<Repository> = self
            .repositories
            .iter()
            .map(|name| Repository::new(&self.source, "main", name.as_str()))
            .collect();
        let total = items.len() as u64;
        Ok(Page::new(items, first_page(cursor, 10), None, Some(total)))
    }

    async fn tags_page(&self, _repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        Ok(Page::new(
            vec![Tag::new("v1")],
            first_page(cursor, 10),
            None,
            Some(1),
        ))
    }
}

/// Builds `kind = "custom"` entries: keys `region` (required) and `repositories` (a
/// comma-separated list of names).
#[derive(Debug)]
struct CustomFactory;

impl CustomFactory {
    fn read(&self, entry: &ConfigEntry) -> Result<Custom> {
        entry.check_keys(&self.keys())?;
        let region = entry.required_string("region")?;
        let repositories = entry
            .string("repositories")?
            .map(|list| list.split(',').map(|n| n.trim().to_string()).collect())
            .unwrap_or_default();
        let source = Source::new(entry.name(), self.kind(), region, "memory://custom");
        Ok(Custom {
            source,
            repositories,
        })
    }
}

impl ProviderFactory for CustomFactory {
    fn kind(&self) -> ProviderKind {
        ProviderKind::new("custom")
    }

    fn keys(&self) -> Vec<&'static str> {
        vec!["region", "repositories"]
    }

    fn validate(&self, entry: &ConfigEntry) -> Result<()> {
        self.read(entry).map(|_| ())
    }

    fn build(&self, entry: &ConfigEntry, _env: &Environment) -> Result<Arc<dyn RegistryProvider>> {
        Ok(Arc::new(self.read(entry)?))
    }
}

fn config_text(emu: &Emulator, custom_extra: &str) -> String {
    let keys = emu.ncp_credentials();
    format!(
        r#"
[[providers]]
name = "ncp-kr"
kind = "ncp"
region = "kr"
endpoint = "{endpoint}"
access_key = "{ak}"
secret_key = "{sk}"

[[providers]]
name = "in-house"
kind = "custom"
region = "lab"
repositories = "team/api, team/web"
{custom_extra}
"#,
        endpoint = emu.ncp_endpoint(),
        ak = keys.access_key,
        sk = keys.secret_key.expose(),
    )
}

#[tokio::test]
async fn a_custom_kind_is_configured_checked_and_merged_through_the_factory_table() {
    let emu = Emulator::builder()
        .fixture(Fixture::sample())
        .start()
        .await
        .expect("the emulator starts");
    let factories = ProviderFactories::builtin().with(CustomFactory);
    let text = config_text(&emu, "");

    // Unregistered, the kind is unknown (and the built-in kinds are listed).
    let err = Config::from_toml_str(&text, "test.toml").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let msg = err.to_string();
    assert!(
        msg.contains("test.toml:12:8: providers[1] (\"in-house\"): key `kind`"),
        "{msg}"
    );
    assert!(
        msg.contains("unknown kind \"custom\"; expected one of: ncp"),
        "{msg}"
    );

    // Registered, its own key errors name the file, the entry and the key, like a built-in's;
    // a key only another kind takes is named as such.
    let bad = config_text(&emu, "repositories_typo = 1");
    let msg = Config::from_toml_str_with(&bad, "test.toml", &factories)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(
            "test.toml:15:1: providers[1] (\"in-house\"): key `repositories_typo`: unknown key"
        ),
        "{msg}"
    );
    assert!(msg.contains("name, kind, region, repositories"), "{msg}");
    let foreign = config_text(&emu, "access_key_env = \"X\"");
    let msg = Config::from_toml_str_with(&foreign, "test.toml", &factories)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("key `access_key_env`: applies to kind \"ncp\""),
        "{msg}"
    );
    assert!(msg.contains("only, not \"custom\""), "{msg}");

    // Merged with the NCR source in one inventory, in configuration order.
    let config = Config::from_toml_str_with(&text, "test.toml", &factories).unwrap();
    let inventory =
        Inventory::from_config_with(&config, &Environment::from_vars([("X", "Y")]), &factories)
            .unwrap()
            .with_options(InventoryOptions::new().with_depth(TagDepth::Names))
            .unwrap();
    let report = inventory.collect().await;
    assert!(report.complete, "{:#?}", report.errors);
    let sources: Vec<(&str, &str, SourceStatus)> = report
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.provider.as_str(), s.status))
        .collect();
    assert_eq!(
        sources,
        [
            ("ncp-kr", "ncp", SourceStatus::Ok),
            ("in-house", "custom", SourceStatus::Ok)
        ]
    );
    let custom: Vec<&str> = report
        .repositories
        .iter()
        .filter(|r| r.source == "in-house")
        .map(|r| r.full_name.as_str())
        .collect();
    assert_eq!(custom, ["main/team/api", "main/team/web"]);
    assert!(report.repositories.iter().any(|r| r.source == "ncp-kr"));
    assert!(report.repositories.iter().all(|r| r.tags.is_some()));
    emu.shutdown().await;
}
