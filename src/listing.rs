//! The one place where the facade turns pages into listings.
//!
//! Every registry, repository and tag listing of an inventory goes through these functions,
//! so a different page strategy slots in here without touching the merge logic. Today they use
//! the core's guarded [`paginate`](crate::paginate) loop, which fetches the pages after the
//! first concurrently (up to the provider's [`PagingOptions::concurrency`](crate::PagingOptions))
//! once the first page announced the total; each of those requests still takes its permits
//! from the inventory's limits, because the provider it pages is the limited one.

use std::sync::Arc;

use futures::stream::BoxStream;

use crate::core::{
    Registry, RegistryProvider, RegistryProviderExt, Repository, RepositoryQuery, RepositoryRef,
    Result, Tag,
};

/// Every registry of `provider`.
pub(crate) fn registries(
    provider: &Arc<dyn RegistryProvider>,
) -> BoxStream<'static, Result<Registry>> {
    provider.list_registries()
}

/// Every repository matching `query`. Callers pass a registry unless the provider lists
/// repositories across registries.
pub(crate) fn repositories(
    provider: &Arc<dyn RegistryProvider>,
    query: RepositoryQuery,
) -> BoxStream<'static, Result<Repository>> {
    provider.list_repositories(query)
}

/// Every tag of `repo`, with the details the provider's tag listing carries.
pub(crate) fn tags(
    provider: &Arc<dyn RegistryProvider>,
    repo: RepositoryRef,
) -> BoxStream<'static, Result<Tag>> {
    provider.list_tags(repo)
}

/// Every tag of `repo` where only the names are needed (no per-tag detail requests).
pub(crate) fn tag_names(
    provider: &Arc<dyn RegistryProvider>,
    repo: RepositoryRef,
) -> BoxStream<'static, Result<Tag>> {
    provider.list_tag_names(repo)
}
