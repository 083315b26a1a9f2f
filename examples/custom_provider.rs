//! Bring your own registry: implement `RegistryProvider` for it and merge it with the built-in
//! backends in one inventory.
//!
//! "acme" here is an in-memory registry (think: an internal Harbor, a file of mirrors); it
//! answers one page at a time and reginv does the paging, merging, filtering and reporting.
//! It is merged with an NCR source served by the built-in emulator:
//! `cargo run --example custom_provider`.

use std::sync::Arc;

use async_trait::async_trait;
use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
use reginv::{
    Capabilities, Cursor, Error, ErrorKind, Inventory, InventoryOptions, Page, ProviderKind,
    Registry, RegistryProvider, Repository, RepositoryQuery, RepositoryRef, Result, Source, Tag,
    TagDepth,
};
use reginv_emulator::{Emulator, Fixture};

/// An in-memory registry: `(registry, repository, tags)` rows, served in pages of `page_size`.
#[derive(Debug)]
struct AcmeRegistry {
    source: Source,
    repositories: Vec<(String, String, Vec<String>)>,
    page_size: u32,
}

impl AcmeRegistry {
    fn new() -> Self {
        let rows = [
            ("mirrors", "library/nginx", &["1.25", "1.27", "latest"][..]),
            ("mirrors", "library/redis", &["7.2", "latest"][..]),
            ("internal", "billing/api", &["2024.05.01", "2024.06.12"][..]),
            ("internal", "billing/worker", &[][..]),
        ];
        AcmeRegistry {
            source: Source::new(
                "acme-onprem",
                ProviderKind::new("acme"),
                "dc1",
                "memory://acme",
            ),
            repositories: rows
                .iter()
                .map(|(reg, name, tags)| {
                    (
                        reg.to_string(),
                        name.to_string(),
                        tags.iter().map(|t| t.to_string()).collect(),
                    )
                })
                .collect(),
            page_size: 2,
        }
    }

    /// Page `cursor` (or the first) of `items`, with a `next` cursor while items remain.
    fn page<T: Clone>(&self, items: Vec<T>, cursor: Option<Cursor>) -> Result<Page<T>> {
        let cursor = cursor.unwrap_or(Cursor::Page {
            number: 1,
            size: self.page_size,
        });
        let Cursor::Page { number, size } = cursor else {
            return Err(Error::protocol("acme pages by number"));
        };
        let start = ((number.max(1) - 1) * u64::from(size)) as usize;
        let page: Vec<T> = items
            .iter()
            .skip(start)
            .take(size as usize)
            .cloned()
            .collect();
        let next = (start + page.len() < items.len()).then(|| cursor.following());
        Ok(Page::new(page, cursor, next, Some(items.len() as u64)))
    }

    fn find(&self, repo: &RepositoryRef) -> Result<&(String, String, Vec<String>)> {
        self.repositories
            .iter()
            .find(|(reg, name, _)| *reg == repo.registry && *name == repo.name)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no repository {repo}")))
    }

    fn repository(&self, registry: &str, name: &str, tags: &[String]) -> Repository {
        let mut repo = Repository::new(&self.source, registry, name);
        repo.pull_uri = Some(format!("registry.acme.example/{registry}/{name}"));
        repo.tag_count = Some(tags.len() as u64);
        repo.public = Some(registry == "mirrors");
        repo
    }
}

#[async_trait]
impl RegistryProvider for AcmeRegistry {
    fn source(&self) -> &Source {
        &self.source
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.lists_repositories_across_registries = true;
        caps
    }

    async fn registries_page(&self, cursor: Option<Cursor>) -> Result<Page<Registry>> {
        let mut names: Vec<&str> = self
            .repositories
            .iter()
            .map(|(r, _, _)| r.as_str())
            .collect();
        names.dedup();
        let registries = names
            .into_iter()
            .map(|n| Registry::new(&self.source, n))
            .collect();
        self.page(registries, cursor)
    }

    async fn repositories_page(
        &self,
        query: &RepositoryQuery,
        cursor: Option<Cursor>,
    ) -> Result<Page<Repository>> {
        let repos = self
            .repositories
            .iter()
            .filter(|(reg, _, _)| query.registry.as_ref().is_none_or(|r| r == reg))
            .filter(|(_, name, _)| {
                query
                    .name_contains
                    .as_ref()
                    .is_none_or(|text| name.contains(text.as_str()))
            })
            .map(|(reg, name, tags)| self.repository(reg, name, tags))
            .collect();
        self.page(repos, cursor)
    }

    async fn tags_page(&self, repo: &RepositoryRef, cursor: Option<Cursor>) -> Result<Page<Tag>> {
        let (_, _, tags) = self.find(repo)?;
        let tags = tags
            .iter()
            .map(|name| {
                let mut tag = Tag::new(name.clone());
                tag.digest = Some(format!("sha256:{:064x}", name.len()));
                tag
            })
            .collect();
        self.page(tags, cursor)
    }

    async fn get_repository(&self, repo: &RepositoryRef) -> Result<Repository> {
        let (reg, name, tags) = self.find(repo)?;
        Ok(self.repository(reg, name, tags))
    }
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .fixture(Fixture::sample())
        .start()
        .await?;
    let ncp = NcpConfig::new("ncp-kr", NcpRegion::Kr)
        .with_endpoint(emulator.ncp_endpoint())
        .with_credentials(emulator.ncp_credentials());
    let providers: Vec<Arc<dyn RegistryProvider>> = vec![
        Arc::new(NcpProvider::new(ncp)?),
        Arc::new(AcmeRegistry::new()),
    ];
    let inventory = Inventory::new(providers)
        .with_options(InventoryOptions::default().with_depth(TagDepth::Full))?;
    let report = inventory.collect().await;

    for repo in &report.repositories {
        let tags: Vec<&str> = repo
            .tags
            .iter()
            .flatten()
            .map(|t| t.name.as_str())
            .collect();
        println!(
            "{:<12} {:<8} {:<40} {}",
            repo.source,
            repo.provider.as_str(),
            repo.full_name,
            tags.join(", ")
        );
    }
    for source in &report.sources {
        println!(
            "{}: {} ({} repositories, {} tags)",
            source.name, source.status, source.repositories, source.tags
        );
    }
    emulator.shutdown().await;
    std::process::exit(report.exit_code());
}
