//! The data the emulator serves: plain serde structs, loadable from and savable to JSON.
//!
//! A [`Fixture`] holds NCR registries per region key (`"kr"`, `"sgn"`, `"jpn"`) and the SWR
//! namespaces of one account. Build one by hand, with [`Fixture::generate`] (deterministic for a
//! seed, any size) or [`Fixture::sample`] (a small, realistic company), or load one from JSON.
//! Fields the vendors send but that carry no information (ids, `star_count`, …) are derived when
//! responses are rendered, so a hand-written fixture only needs names, times, sizes and flags.
//! Every field except the names has a serde default, so a minimal fixture is short:
//!
//! ```
//! use reginv_emulator::Fixture;
//!
//! let fixture = Fixture::from_json(r#"{
//!   "ncp": {"kr": [{"name": "my-reg", "images": [{"name": "team/app", "tags": [{"name": "v1"}]}]}]},
//!   "swr": {"namespaces": [{"name": "group", "repos": [{"name": "busybox", "tags": [{"name": "latest"}]}]}]}
//! }"#).unwrap();
//! assert_eq!(fixture.ncp_repository_count(), 1);
//! assert_eq!(fixture.swr_tag_count(), 1);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;

/// The NCR region keys the emulator serves, with their API path prefixes.
pub const NCP_REGIONS: [(&str, &str); 3] = [
    ("kr", "/ncr/api/v2"),
    ("sgn", "/ncr/sgn-api/v2"),
    ("jpn", "/ncr/jpn-api/v2"),
];

/// Everything the emulator serves.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Fixture {
    /// NCR registries by region key: `"kr"`, `"sgn"` or `"jpn"`.
    #[serde(default)]
    pub ncp: BTreeMap<String, Vec<NcpRegistry>>,
    /// The SWR account.
    #[serde(default)]
    pub swr: SwrFixture,
}

/// An NCR registry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NcpRegistry {
    /// The registry name.
    pub name: String,
    /// The Object Storage bucket behind it (unique); defaults to the registry name.
    #[serde(default)]
    pub bucket: String,
    /// Creation time, epoch milliseconds.
    #[serde(default)]
    pub created: i64,
    /// The public endpoint; empty means `{name}.{region}.ncr.ntruss.com`.
    #[serde(default)]
    pub end_point: String,
    /// The private (VPC) endpoint; empty means one derived from the name.
    #[serde(default)]
    pub private_end_point: String,
    /// Whether anonymous users may pull (`public_reg_status`).
    #[serde(default)]
    pub public: bool,
    /// `scan_on_push_enabled`.
    #[serde(default)]
    pub scan_on_push: bool,
    /// The integration status with its bucket: `running`, or `disconnected` when the bucket was
    /// deleted. Empty means `running`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// The images (repositories) in the registry.
    #[serde(default)]
    pub images: Vec<NcpImage>,
}

/// An image (repository) in an NCR registry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NcpImage {
    /// The image name; may contain `/` (`team/app`).
    pub name: String,
    /// The short description.
    #[serde(default)]
    pub description: String,
    /// The long description (image detail only).
    #[serde(default)]
    pub full_description: String,
    /// How many times it was pulled.
    #[serde(default)]
    pub pull_count: u64,
    /// Last update, epoch milliseconds.
    #[serde(default)]
    pub last_updated: i64,
    /// `tag_mutability_enabled`.
    #[serde(default)]
    pub tag_mutability: bool,
    /// The tags.
    #[serde(default)]
    pub tags: Vec<NcpTag>,
}

/// A tag of an NCR image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NcpTag {
    /// The tag name.
    pub name: String,
    /// The manifest digest (`sha256:…`).
    #[serde(default)]
    pub digest: String,
    /// `full_size` in bytes.
    #[serde(default)]
    pub full_size: u64,
    /// Creation, epoch milliseconds.
    #[serde(default)]
    pub created: i64,
    /// Last update (`last_updated`), epoch milliseconds.
    #[serde(default)]
    pub updated: i64,
    /// Who pushed it (`creator` / `last_updater`).
    #[serde(default)]
    pub creator: String,
    /// One entry per platform (`images[]`).
    #[serde(default)]
    pub images: Vec<NcpPlatformImage>,
}

/// One platform of an NCR tag (an element of `images[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NcpPlatformImage {
    /// CPU architecture (`amd64`, `arm64`, …).
    pub architecture: String,
    /// Operating system (`linux`, `windows`).
    #[serde(default)]
    pub os: String,
    /// Architecture variant (`v8`), if any.
    #[serde(default)]
    pub variant: Option<String>,
    /// The platform image digest.
    #[serde(default)]
    pub digest: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// `mediaType`.
    #[serde(default)]
    pub media_type: String,
    /// Creation, epoch milliseconds.
    #[serde(default)]
    pub created: i64,
    /// Last update, epoch milliseconds.
    #[serde(default)]
    pub updated: i64,
    /// Last pull, epoch milliseconds (0 = never).
    #[serde(default)]
    pub latest_pulled: i64,
}

/// The SWR side of a fixture: one account (domain) in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwrFixture {
    /// The region the `path` / `internal_path` fields name (`ap-southeast-1`).
    #[serde(default = "default_swr_region")]
    pub region: String,
    /// The account (domain) name (`domain_name`).
    #[serde(default = "default_domain")]
    pub domain_name: String,
    /// The namespaces (organizations).
    #[serde(default)]
    pub namespaces: Vec<SwrNamespace>,
}

impl Default for SwrFixture {
    fn default() -> Self {
        SwrFixture {
            region: default_swr_region(),
            domain_name: default_domain(),
            namespaces: Vec::new(),
        }
    }
}

fn default_swr_region() -> String {
    "ap-southeast-1".to_string()
}

fn default_domain() -> String {
    "acme".to_string()
}

fn default_auth() -> u32 {
    7
}

fn default_category() -> String {
    "other".to_string()
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// An SWR namespace (organization).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwrNamespace {
    /// The namespace name.
    pub name: String,
    /// The caller's permission: 7 manage, 3 edit, 1 read.
    #[serde(default = "default_auth")]
    pub auth: u32,
    /// Who created it.
    #[serde(default)]
    pub creator_name: String,
    /// The repositories.
    #[serde(default)]
    pub repos: Vec<SwrRepo>,
}

/// An SWR repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwrRepo {
    /// The repository name; may contain `/` (sent as `$` in paths).
    pub name: String,
    /// `app_server`, `linux`, `framework_app`, `database`, `lang`, `arm` or `other`.
    #[serde(default = "default_category")]
    pub category: String,
    /// The description.
    #[serde(default)]
    pub description: String,
    /// Total size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Whether it is public.
    #[serde(default)]
    pub is_public: bool,
    /// Download count.
    #[serde(default)]
    pub num_download: u64,
    /// Creation time.
    #[serde(default = "epoch")]
    pub created: DateTime<Utc>,
    /// Last update.
    #[serde(default = "epoch")]
    pub updated: DateTime<Utc>,
    /// The tags.
    #[serde(default)]
    pub tags: Vec<SwrTag>,
}

/// A tag of an SWR repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwrTag {
    /// The tag name (sent as `"Tag"`).
    pub name: String,
    /// The manifest digest (`sha256:…`).
    #[serde(default)]
    pub digest: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Creation time.
    #[serde(default = "epoch")]
    pub created: DateTime<Utc>,
    /// Last update.
    #[serde(default = "epoch")]
    pub updated: DateTime<Utc>,
    /// 0 for a single manifest, 1 for a manifest list (multi-platform).
    #[serde(default)]
    pub tag_type: u8,
    /// The manifest, a JSON document sent as a string.
    #[serde(default)]
    pub manifest: String,
    /// Manifest schema version (2).
    #[serde(default = "default_schema")]
    pub schema: u32,
    /// `is_trusted`.
    #[serde(default)]
    pub is_trusted: bool,
    /// `scanned`.
    #[serde(default)]
    pub scanned: bool,
}

fn default_schema() -> u32 {
    2
}

/// How big a generated fixture is. See [`Fixture::generate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureSizes {
    /// The NCR region keys to fill (default `["kr", "sgn", "jpn"]`).
    pub ncp_regions: Vec<String>,
    /// Registries per NCR region, and SWR namespaces.
    pub registries: usize,
    /// Repositories per registry / namespace (ignored when `total_repositories` is set).
    pub repositories_per_registry: usize,
    /// When set: exactly this many repositories per provider (NCR over all its regions and
    /// registries, SWR over all namespaces), dealt round-robin over the registries.
    pub total_repositories: Option<usize>,
    /// The fewest tags a repository gets (0 allowed).
    pub min_tags: usize,
    /// The most tags a repository gets; each repository draws uniformly from `min_tags..=max_tags`.
    pub max_tags: usize,
}

impl Default for FixtureSizes {
    fn default() -> Self {
        FixtureSizes {
            ncp_regions: NCP_REGIONS.iter().map(|(r, _)| r.to_string()).collect(),
            registries: 2,
            repositories_per_registry: 5,
            total_repositories: None,
            min_tags: 0,
            max_tags: 5,
        }
    }
}

impl Fixture {
    /// Parses a fixture from JSON and checks it (see [`Fixture::validate`]).
    pub fn from_json(json: &str) -> Result<Fixture, EmulatorError> {
        let fixture: Fixture = serde_json::from_str(json)?;
        fixture.validate()?;
        Ok(fixture)
    }

    /// The fixture as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Plain data structs with string keys always serialize.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Reads a fixture from a JSON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Fixture, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::FixtureIo {
            path: path.to_path_buf(),
            source,
        })?;
        Fixture::from_json(&text)
    }

    /// Writes the fixture to a JSON file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), EmulatorError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|source| EmulatorError::FixtureIo {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Checks what the emulator relies on: known NCR region keys, unique registry names and
    /// buckets, unique image / namespace / repository / tag names, no empty names.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        let invalid = |m: String| Err(EmulatorError::InvalidFixture(m));
        let mut buckets = BTreeSet::new();
        for (region, registries) in &self.ncp {
            if !NCP_REGIONS.iter().any(|(r, _)| r == region) {
                return invalid(format!(
                    "unknown NCR region key {region:?} (expected kr, sgn or jpn)"
                ));
            }
            let mut names = BTreeSet::new();
            for reg in registries {
                if reg.name.is_empty() || reg.name.contains('/') {
                    return invalid(format!("NCR registry name {:?} in {region}", reg.name));
                }
                if !names.insert(reg.name.as_str()) {
                    return invalid(format!("duplicate NCR registry {:?} in {region}", reg.name));
                }
                let bucket = reg.bucket_name();
                if !buckets.insert(bucket.to_string()) {
                    return invalid(format!("duplicate NCR bucket {bucket:?}"));
                }
                let mut images = BTreeSet::new();
                for image in &reg.images {
                    if image.name.is_empty() || !images.insert(image.name.as_str()) {
                        return invalid(format!(
                            "empty or duplicate image {:?} in registry {}",
                            image.name, reg.name
                        ));
                    }
                    let mut tags = BTreeSet::new();
                    for tag in &image.tags {
                        if tag.name.is_empty() || !tags.insert(tag.name.as_str()) {
                            return invalid(format!(
                                "empty or duplicate tag {:?} in {}/{}",
                                tag.name, reg.name, image.name
                            ));
                        }
                    }
                }
            }
        }
        let mut namespaces = BTreeSet::new();
        for ns in &self.swr.namespaces {
            if ns.name.is_empty() || ns.name.contains('/') || !namespaces.insert(ns.name.as_str()) {
                return invalid(format!("empty or duplicate SWR namespace {:?}", ns.name));
            }
            let mut repos = BTreeSet::new();
            for repo in &ns.repos {
                if repo.name.is_empty() || repo.name.contains('$') || !repos.insert(&repo.name) {
                    return invalid(format!(
                        "empty, duplicate or `$`-containing SWR repository {:?} in {}",
                        repo.name, ns.name
                    ));
                }
                let mut tags = BTreeSet::new();
                for tag in &repo.tags {
                    if tag.name.is_empty() || !tags.insert(tag.name.as_str()) {
                        return invalid(format!(
                            "empty or duplicate tag {:?} in {}/{}",
                            tag.name, ns.name, repo.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// NCR registries over all regions.
    pub fn ncp_registry_count(&self) -> usize {
        self.ncp.values().map(Vec::len).sum()
    }

    /// NCR images (repositories) over all regions and registries.
    pub fn ncp_repository_count(&self) -> usize {
        self.ncp.values().flatten().map(|r| r.images.len()).sum()
    }

    /// NCR tags over all images.
    pub fn ncp_tag_count(&self) -> usize {
        self.ncp
            .values()
            .flatten()
            .flat_map(|r| &r.images)
            .map(|i| i.tags.len())
            .sum()
    }

    /// SWR namespaces.
    pub fn swr_namespace_count(&self) -> usize {
        self.swr.namespaces.len()
    }

    /// SWR repositories over all namespaces.
    pub fn swr_repository_count(&self) -> usize {
        self.swr.namespaces.iter().map(|n| n.repos.len()).sum()
    }

    /// SWR tags over all repositories.
    pub fn swr_tag_count(&self) -> usize {
        self.swr
            .namespaces
            .iter()
            .flat_map(|n| &n.repos)
            .map(|r| r.tags.len())
            .sum()
    }

    /// Deterministic data of any size: the same `seed` and `sizes` always give the same fixture.
    ///
    /// - NCR: `sizes.registries` registries in each of `sizes.ncp_regions`; SWR:
    ///   `sizes.registries` namespaces. Each gets `repositories_per_registry` repositories, or, when
    ///   `total_repositories` is set, exactly that many per provider dealt round-robin.
    /// - Names use `/` (one or two levels), `.`, `-` and `_`; every name is unique in its parent.
    /// - Each repository has `min_tags..=max_tags` tags; about a quarter of the tags are
    ///   multi-platform (`linux/amd64` + `linux/arm64/v8`, sometimes `linux/arm/v7`).
    /// - Times are spread from 2019 to 2025; about a third of registries / repositories are public.
    ///
    /// ```
    /// use reginv_emulator::{Fixture, FixtureSizes};
    ///
    /// let sizes = FixtureSizes { total_repositories: Some(50), max_tags: 3, ..FixtureSizes::default() };
    /// let a = Fixture::generate(7, sizes.clone());
    /// assert_eq!(a, Fixture::generate(7, sizes));
    /// assert_eq!(a.ncp_repository_count(), 50);
    /// assert_eq!(a.swr_repository_count(), 50);
    /// ```
    pub fn generate(seed: u64, sizes: FixtureSizes) -> Fixture {
        let mut rng = fastrand::Rng::with_seed(seed);
        let regions: Vec<String> = sizes.ncp_regions.clone();
        let (lo, hi) = if sizes.min_tags <= sizes.max_tags {
            (sizes.min_tags, sizes.max_tags)
        } else {
            (sizes.max_tags, sizes.min_tags)
        };

        // How many repositories each registry gets.
        let per_registry = |slots: usize, index: usize| -> usize {
            match sizes.total_repositories {
                Some(total) if slots > 0 => total / slots + usize::from(index < total % slots),
                Some(_) => 0,
                None => sizes.repositories_per_registry,
            }
        };

        let mut ncp = BTreeMap::new();
        let ncp_slots = regions.len() * sizes.registries;
        let mut slot = 0;
        for region in &regions {
            let mut registries = Vec::new();
            for r in 0..sizes.registries {
                let word = TEAMS[rng.usize(..TEAMS.len())];
                let name = format!("{word}-{region}-{r}");
                let created = random_time(&mut rng);
                let count = per_registry(ncp_slots, slot);
                slot += 1;
                let images = (0..count)
                    .map(|i| generate_ncp_image(&mut rng, i, created, lo, hi))
                    .collect();
                registries.push(NcpRegistry {
                    bucket: format!("{name}-bucket"),
                    created: created.timestamp_millis(),
                    end_point: format!("{name}.{region}.ncr.ntruss.com"),
                    private_end_point: format!(
                        "{}.{region}.private-ncr.ntruss.com",
                        private_id(&name)
                    ),
                    public: rng.u8(..3) == 0,
                    scan_on_push: rng.bool(),
                    status: String::new(),
                    images,
                    name,
                });
            }
            ncp.insert(region.clone(), registries);
        }

        let mut namespaces = Vec::new();
        for n in 0..sizes.registries {
            let word = TEAMS[rng.usize(..TEAMS.len())];
            let ns_name = format!("{word}-ns{n}");
            let created = random_time(&mut rng);
            let count = per_registry(sizes.registries, n);
            let repos = (0..count)
                .map(|i| generate_swr_repo(&mut rng, i, created, lo, hi))
                .collect();
            namespaces.push(SwrNamespace {
                name: ns_name,
                auth: [7, 7, 3, 1][rng.usize(..4)],
                creator_name: "admin".to_string(),
                repos,
            });
        }
        Fixture {
            ncp,
            swr: SwrFixture {
                namespaces,
                ..SwrFixture::default()
            },
        }
    }

    /// A small, hand-written fixture that looks like a real company's registries (used by the
    /// demo): NCR `kr` has `acme-prod` (private) and `acme-public` (public), `sgn` has
    /// `acme-sg`, `jpn` has an empty `acme-jp-dr`; SWR has namespaces `acme` and `acme-data`.
    ///
    /// It holds at least one of each condition a registry audit looks for, in each vendor's own
    /// wire fields (pull times as of 2025-01-01):
    ///
    /// | condition | where | wire field |
    /// |---|---|---|
    /// | public registry | NCR `kr/acme-public` | `public_reg_status: true` |
    /// | public repository | NCR `acme-public/sdk.examples/hello-world` (its registry is public), SWR `acme/web.portal` | `public_reg_status`, `is_public: true` |
    /// | scan on push off | NCR `kr/acme-public` | `scan_on_push_enabled: false` |
    /// | registry disconnected | NCR `jpn/acme-jp-dr` | `status: "disconnected"` (the others `running`) |
    /// | tag never scanned | SWR `acme/busybox:latest`, `:1.36`, `acme/web.portal:2024.10` | `scanned: false` |
    /// | tag over 2 GiB | NCR `acme-prod/tools/ci-runner:1.8.3`, SWR `acme-data/etl/spark-jobs:3.5.1-r5` | `full_size`, `size` |
    /// | mutable tags | NCR `acme-prod/web-frontend` (the other images are immutable) | image detail `tag_mutability_enabled: true` |
    /// | not pulled for 90 days | NCR `acme-prod/tools/ci-runner:1.8.3` (2023-06-21), `acme-public/sdk.examples/hello-world:1.1` (2023-02-02) | `images[].latest_pulled` |
    /// | never pulled | NCR `acme-public/sdk.examples/hello-world:1.0` (updated 2022-07-12) | `images[].latest_pulled: 0` |
    /// | empty repository | NCR `acme-prod/legacy_billing`, SWR `acme/sandbox_tmp` | no tags |
    /// | multi-platform tags | NCR `payments/api`, `web-frontend`, `sdk.examples/hello-world`; SWR `busybox`, `web.portal` | `images[]` (2 platforms), `tag_type: 1` + manifest list |
    ///
    /// Every other NCR tag was last pulled a day after it was pushed (the latest on 2024-12-16).
    pub fn sample() -> Fixture {
        let t = |y: i32, mo: u32, d: u32, h: u32, mi: u32| -> DateTime<Utc> {
            Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .unwrap_or_else(epoch)
        };
        let ms = |x: DateTime<Utc>| x.timestamp_millis();
        let ncp_tag = |name: &str, seed: u64, when: DateTime<Utc>, size: u64, multi: bool| {
            let mut rng = fastrand::Rng::with_seed(seed);
            let platforms: &[(&str, Option<&str>)] = if multi {
                &[("amd64", None), ("arm64", Some("v8"))]
            } else {
                &[("amd64", None)]
            };
            NcpTag {
                name: name.to_string(),
                digest: digest(&mut rng),
                full_size: size,
                created: ms(when),
                updated: ms(when),
                creator: "ci-bot@acme.example".to_string(),
                images: platforms
                    .iter()
                    .map(|(arch, variant)| NcpPlatformImage {
                        architecture: arch.to_string(),
                        os: "linux".to_string(),
                        variant: variant.map(str::to_string),
                        digest: digest(&mut rng),
                        size: size / platforms.len() as u64,
                        media_type: DOCKER_CONFIG.to_string(),
                        created: ms(when),
                        updated: ms(when),
                        latest_pulled: ms(when) + 86_400_000,
                    })
                    .collect(),
            }
        };
        let image = |name: &str, desc: &str, pulls: u64, tags: Vec<NcpTag>| NcpImage {
            name: name.to_string(),
            description: desc.to_string(),
            full_description: format!("{desc}. Maintained by the platform team."),
            pull_count: pulls,
            last_updated: tags.iter().map(|t| t.updated).max().unwrap_or(0),
            tag_mutability: false,
            tags,
        };
        let never_pulled = |mut tag: NcpTag| {
            for platform in &mut tag.images {
                platform.latest_pulled = 0;
            }
            tag
        };
        let registry =
            |name: &str, region: &str, created: DateTime<Utc>, public: bool| NcpRegistry {
                name: name.to_string(),
                bucket: format!("{name}-images"),
                created: ms(created),
                end_point: format!("{name}.{region}.ncr.ntruss.com"),
                private_end_point: format!("{}.{region}.private-ncr.ntruss.com", private_id(name)),
                public,
                scan_on_push: !public,
                status: "running".to_string(),
                images: Vec::new(),
            };

        let mut prod = registry("acme-prod", "kr", t(2021, 3, 2, 9, 15), false);
        prod.images = vec![
            image(
                "payments/api",
                "Payments HTTP API",
                18_204,
                vec![
                    ncp_tag("v2.14.0", 1, t(2024, 11, 4, 8, 30), 187_420_113, true),
                    ncp_tag("v2.14.1", 2, t(2024, 12, 9, 17, 2), 187_502_771, true),
                    ncp_tag("latest", 3, t(2024, 12, 9, 17, 2), 187_502_771, true),
                ],
            ),
            image(
                "payments/worker",
                "Payments settlement worker",
                9_311,
                vec![
                    ncp_tag("v2.14.1", 4, t(2024, 12, 9, 17, 5), 142_004_550, false),
                    ncp_tag("latest", 5, t(2024, 12, 9, 17, 5), 142_004_550, false),
                ],
            ),
            NcpImage {
                // Tags can be overwritten (`tag_mutability_enabled: true`).
                tag_mutability: true,
                ..image(
                    "web-frontend",
                    "Customer web frontend (nginx + SPA)",
                    25_870,
                    vec![
                        ncp_tag("2024.12.01", 6, t(2024, 12, 1, 10, 0), 58_112_004, true),
                        ncp_tag("2024.12.15", 7, t(2024, 12, 15, 10, 0), 58_340_912, true),
                    ],
                )
            },
            image(
                "tools/ci-runner",
                "CI runner image",
                3_002,
                // Over 2 GiB.
                vec![ncp_tag(
                    "1.8.3",
                    8,
                    t(2023, 6, 20, 4, 45),
                    2_412_004_317,
                    false,
                )],
            ),
            image(
                "legacy_billing",
                "Old billing service, kept for audits",
                12,
                vec![],
            ),
        ];
        let mut public = registry("acme-public", "kr", t(2022, 7, 11, 2, 0), true);
        public.images = vec![image(
            "sdk.examples/hello-world",
            "Public SDK example",
            1_204,
            vec![
                never_pulled(ncp_tag("1.0", 9, t(2022, 7, 12, 3, 0), 7_340_032, true)),
                ncp_tag("1.1", 10, t(2023, 2, 1, 3, 0), 7_401_210, true),
            ],
        )];
        let mut sg = registry("acme-sg", "sgn", t(2023, 1, 9, 6, 0), false);
        sg.images = vec![image(
            "payments/api",
            "Payments HTTP API (Singapore)",
            4_410,
            vec![ncp_tag(
                "v2.14.1",
                11,
                t(2024, 12, 10, 1, 0),
                187_502_771,
                true,
            )],
        )];
        // Its bucket was deleted.
        let jp = NcpRegistry {
            status: "disconnected".to_string(),
            ..registry("acme-jp-dr", "jpn", t(2024, 5, 20, 0, 0), false)
        };

        let mut ncp = BTreeMap::new();
        ncp.insert("kr".to_string(), vec![prod, public]);
        ncp.insert("sgn".to_string(), vec![sg]);
        ncp.insert("jpn".to_string(), vec![jp]);

        let swr_tag = |name: &str, seed: u64, when: DateTime<Utc>, size: u64, multi: bool| {
            let mut rng = fastrand::Rng::with_seed(seed);
            let d = digest(&mut rng);
            SwrTag {
                name: name.to_string(),
                manifest: manifest_json(&mut rng, multi, size),
                digest: d,
                size,
                created: when,
                updated: when,
                tag_type: u8::from(multi),
                schema: 2,
                is_trusted: false,
                scanned: !multi,
            }
        };
        let repo = |name: &str, category: &str, desc: &str, public: bool, tags: Vec<SwrTag>| {
            let created = tags
                .iter()
                .map(|t| t.created)
                .min()
                .unwrap_or(t(2022, 1, 1, 0, 0));
            let updated = tags.iter().map(|t| t.updated).max().unwrap_or(created);
            SwrRepo {
                name: name.to_string(),
                category: category.to_string(),
                description: desc.to_string(),
                size: tags.iter().map(|t| t.size).sum(),
                is_public: public,
                num_download: 40 * tags.len() as u64 + 3,
                created,
                updated,
                tags,
            }
        };
        let swr = SwrFixture {
            region: "ap-southeast-1".to_string(),
            domain_name: "acme".to_string(),
            namespaces: vec![
                SwrNamespace {
                    name: "acme".to_string(),
                    auth: 7,
                    creator_name: "acme-admin".to_string(),
                    repos: vec![
                        repo(
                            "busybox",
                            "linux",
                            "this is a busybox repository",
                            false,
                            vec![
                                swr_tag("latest", 21, t(2021, 6, 10, 3, 24), 1_240_001, true),
                                swr_tag("1.36", 22, t(2021, 6, 10, 3, 40), 1_239_870, true),
                            ],
                        ),
                        repo(
                            "team/app",
                            "app_server",
                            "Order service",
                            false,
                            vec![
                                swr_tag("v1.0.0", 23, t(2024, 2, 1, 12, 0), 96_000_512, false),
                                swr_tag("v1.1.0", 24, t(2024, 8, 14, 12, 0), 97_120_004, false),
                                swr_tag("latest", 25, t(2024, 8, 14, 12, 0), 97_120_004, false),
                            ],
                        ),
                        repo(
                            "web.portal",
                            "framework_app",
                            "Public portal",
                            true,
                            vec![swr_tag(
                                "2024.10",
                                26,
                                t(2024, 10, 3, 9, 0),
                                64_220_331,
                                true,
                            )],
                        ),
                        repo("sandbox_tmp", "other", "", false, vec![]),
                    ],
                },
                SwrNamespace {
                    name: "acme-data".to_string(),
                    auth: 3,
                    creator_name: "data-lead".to_string(),
                    repos: vec![
                        repo(
                            "etl/spark-jobs",
                            "lang",
                            "Spark batch jobs",
                            false,
                            vec![
                                swr_tag("3.5.1-r4", 27, t(2024, 9, 30, 22, 10), 812_004_550, false),
                                // Over 2 GiB.
                                swr_tag(
                                    "3.5.1-r5",
                                    28,
                                    t(2024, 11, 2, 22, 10),
                                    2_212_390_102,
                                    false,
                                ),
                            ],
                        ),
                        repo(
                            "postgres-backup",
                            "database",
                            "Nightly PostgreSQL backup job",
                            false,
                            vec![swr_tag("16", 29, t(2023, 12, 1, 1, 0), 140_330_211, true)],
                        ),
                    ],
                },
            ],
        };
        Fixture { ncp, swr }
    }
}

impl NcpRegistry {
    /// The `status` sent: the fixture's, `running` when it is empty.
    pub fn status_text(&self) -> &str {
        if self.status.is_empty() {
            "running"
        } else {
            &self.status
        }
    }

    /// The bucket name, defaulting to the registry name when empty.
    pub fn bucket_name(&self) -> &str {
        if self.bucket.is_empty() {
            &self.name
        } else {
            &self.bucket
        }
    }
}

const TEAMS: [&str; 12] = [
    "payments", "search", "platform", "data", "ml", "web", "infra", "mobile", "billing", "auth",
    "growth", "ops",
];
const APPS: [&str; 12] = [
    "api",
    "worker",
    "frontend",
    "gateway",
    "scheduler",
    "indexer",
    "etl",
    "batch",
    "proxy",
    "cache",
    "notifier",
    "exporter",
];
const SWR_CATEGORIES: [&str; 7] = [
    "app_server",
    "linux",
    "framework_app",
    "database",
    "lang",
    "arm",
    "other",
];
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// A unique repository name for index `i`, in one of four shapes (`/`, two `/`, `.`, `_`).
fn repo_name(rng: &mut fastrand::Rng, i: usize) -> String {
    let team = TEAMS[rng.usize(..TEAMS.len())];
    let app = APPS[rng.usize(..APPS.len())];
    match i % 4 {
        0 => format!("{team}/{app}-{i}"),
        1 => format!("{app}.{team}-{i}"),
        2 => format!("{team}_{app}{i}"),
        _ => format!("{team}/{app}/v{i}-{}", APPS[rng.usize(..APPS.len())]),
    }
}

/// A unique tag name for index `j`.
fn tag_name(rng: &mut fastrand::Rng, j: usize) -> String {
    match (j, j % 4) {
        (0, _) if rng.bool() => "latest".to_string(),
        (_, 0) => format!("v{}.{j}.{}", 1 + rng.u8(..3), rng.u8(..10)),
        (_, 1) => format!("build-{j}_{:06x}", rng.u32(..0xff_ffff)),
        (_, 2) => format!("{}.{j}", 2019 + u32::from(rng.u8(..7))),
        _ => format!("{j}.0-alpine"),
    }
}

/// A time between 2019-01-01 and the end of 2024.
fn random_time(rng: &mut fastrand::Rng) -> DateTime<Utc> {
    let start = 1_546_300_800_000_i64; // 2019-01-01T00:00:00Z
    let span = 6 * 365 * 86_400_000_i64;
    DateTime::from_timestamp_millis(start + rng.i64(0..span)).unwrap_or_else(epoch)
}

/// A time after `after`, within about half a year.
fn later(rng: &mut fastrand::Rng, after: DateTime<Utc>) -> DateTime<Utc> {
    after + chrono::Duration::milliseconds(rng.i64(0..180 * 86_400_000))
}

fn digest(rng: &mut fastrand::Rng) -> String {
    let mut s = String::from("sha256:");
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", rng.u64(..)));
    }
    s
}

pub(crate) fn private_id(name: &str) -> String {
    // Eight lower-case letters derived from the name.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    (0..8)
        .map(|i| char::from(b'a' + ((h >> (i * 5)) % 26) as u8))
        .collect()
}

/// The platforms of a tag: one, or (a quarter of the time) two or three.
fn platforms(rng: &mut fastrand::Rng) -> Vec<(&'static str, Option<&'static str>)> {
    if rng.u8(..4) == 0 {
        if rng.bool() {
            vec![("amd64", None), ("arm64", Some("v8"))]
        } else {
            vec![("amd64", None), ("arm64", Some("v8")), ("arm", Some("v7"))]
        }
    } else if rng.u8(..10) == 0 {
        vec![("arm64", Some("v8"))]
    } else {
        vec![("amd64", None)]
    }
}

fn generate_ncp_image(
    rng: &mut fastrand::Rng,
    i: usize,
    registry_created: DateTime<Utc>,
    min_tags: usize,
    max_tags: usize,
) -> NcpImage {
    let name = repo_name(rng, i);
    let n_tags = rng.usize(min_tags..=max_tags);
    let mut when = later(rng, registry_created);
    let mut tags = Vec::with_capacity(n_tags);
    for j in 0..n_tags {
        when = later(rng, when);
        let created = when.timestamp_millis();
        let plats = platforms(rng);
        let media = if rng.bool() {
            DOCKER_CONFIG
        } else {
            OCI_CONFIG
        };
        let images: Vec<NcpPlatformImage> = plats
            .iter()
            .map(|(arch, variant)| NcpPlatformImage {
                architecture: arch.to_string(),
                os: "linux".to_string(),
                variant: variant.map(str::to_string),
                digest: digest(rng),
                size: rng.u64(2_000_000..900_000_000),
                media_type: media.to_string(),
                created,
                updated: created,
                latest_pulled: if rng.bool() {
                    created + rng.i64(0..30 * 86_400_000)
                } else {
                    0
                },
            })
            .collect();
        tags.push(NcpTag {
            name: tag_name(rng, j),
            digest: digest(rng),
            full_size: images.iter().map(|p| p.size).sum(),
            created,
            updated: created,
            creator: format!("user-{:04}", rng.u16(..10_000)),
            images,
        });
    }
    NcpImage {
        description: format!("{name} image"),
        full_description: format!("The {name} image, generated."),
        pull_count: rng.u64(..100_000),
        last_updated: tags
            .iter()
            .map(|t| t.updated)
            .max()
            .unwrap_or_else(|| when.timestamp_millis()),
        tag_mutability: rng.bool(),
        tags,
        name,
    }
}

fn manifest_json(rng: &mut fastrand::Rng, multi: bool, size: u64) -> String {
    if multi {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests": [
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                 "digest": digest(rng), "size": 1_570,
                 "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                 "digest": digest(rng), "size": 1_570,
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
            ]
        })
        .to_string()
    } else {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": DOCKER_CONFIG, "size": 7_023, "digest": digest(rng)},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": size, "digest": digest(rng)}]
        })
        .to_string()
    }
}

fn generate_swr_repo(
    rng: &mut fastrand::Rng,
    i: usize,
    ns_created: DateTime<Utc>,
    min_tags: usize,
    max_tags: usize,
) -> SwrRepo {
    let name = repo_name(rng, i);
    let created = later(rng, ns_created);
    let n_tags = rng.usize(min_tags..=max_tags);
    let mut when = created;
    let mut tags = Vec::with_capacity(n_tags);
    for j in 0..n_tags {
        when = later(rng, when);
        let multi = rng.u8(..4) == 0;
        let size = rng.u64(2_000_000..900_000_000);
        let updated = if rng.u8(..5) == 0 {
            later(rng, when)
        } else {
            when
        };
        tags.push(SwrTag {
            name: tag_name(rng, j),
            digest: digest(rng),
            manifest: manifest_json(rng, multi, size),
            size,
            created: when,
            updated,
            tag_type: u8::from(multi),
            schema: 2,
            is_trusted: false,
            scanned: rng.bool(),
        });
    }
    SwrRepo {
        category: SWR_CATEGORIES[rng.usize(..SWR_CATEGORIES.len())].to_string(),
        description: if rng.bool() {
            format!("{name} repository")
        } else {
            String::new()
        },
        size: tags.iter().map(|t| t.size).sum(),
        is_public: rng.u8(..3) == 0,
        num_download: rng.u64(..50_000),
        created,
        updated: tags.iter().map(|t| t.updated).max().unwrap_or(created),
        tags,
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> FixtureSizes {
        FixtureSizes {
            registries: 3,
            repositories_per_registry: 9,
            min_tags: 0,
            max_tags: 7,
            ..FixtureSizes::default()
        }
    }

    #[test]
    fn generation_is_deterministic_and_seed_dependent() {
        let a = Fixture::generate(42, sizes());
        let b = Fixture::generate(42, sizes());
        let c = Fixture::generate(43, sizes());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_json(), b.to_json());
    }

    #[test]
    fn generated_sizes_and_shapes() {
        let f = Fixture::generate(1, sizes());
        assert_eq!(f.ncp.len(), 3);
        assert_eq!(f.ncp_registry_count(), 9);
        assert_eq!(f.ncp_repository_count(), 81);
        assert_eq!(f.swr_namespace_count(), 3);
        assert_eq!(f.swr_repository_count(), 27);
        f.validate().unwrap();
        let ncp_names: Vec<&str> = f
            .ncp
            .values()
            .flatten()
            .flat_map(|r| &r.images)
            .map(|i| i.name.as_str())
            .collect();
        for ch in ['/', '.', '-', '_'] {
            assert!(
                ncp_names.iter().any(|n| n.contains(ch)),
                "no NCR name with {ch}"
            );
        }
        assert!(ncp_names.iter().any(|n| n.matches('/').count() == 2));
        let tags: Vec<&NcpTag> = f
            .ncp
            .values()
            .flatten()
            .flat_map(|r| &r.images)
            .flat_map(|i| &i.tags)
            .collect();
        assert!(
            tags.iter().any(|t| t.images.len() >= 2),
            "no multi-platform tag"
        );
        let per_repo: Vec<usize> = f
            .ncp
            .values()
            .flatten()
            .flat_map(|r| &r.images)
            .map(|i| i.tags.len())
            .collect();
        assert!(per_repo.iter().all(|&n| n <= 7));
        assert!(per_repo.contains(&0));
        assert!(f
            .swr
            .namespaces
            .iter()
            .flat_map(|n| &n.repos)
            .any(|r| r.is_public));
        assert!(f
            .swr
            .namespaces
            .iter()
            .flat_map(|n| &n.repos)
            .any(|r| !r.is_public));
        let years: BTreeSet<i32> = f
            .swr
            .namespaces
            .iter()
            .flat_map(|n| &n.repos)
            .map(|r| chrono::Datelike::year(&r.created))
            .collect();
        assert!(years.len() >= 3, "times not spread over years: {years:?}");
    }

    #[test]
    fn total_repositories_is_exact() {
        for total in [0, 1, 7, 100, 101] {
            let f = Fixture::generate(
                3,
                FixtureSizes {
                    total_repositories: Some(total),
                    ..FixtureSizes::default()
                },
            );
            assert_eq!(f.ncp_repository_count(), total);
            assert_eq!(f.swr_repository_count(), total);
            f.validate().unwrap();
        }
    }

    #[test]
    fn fixed_tag_count() {
        let f = Fixture::generate(
            5,
            FixtureSizes {
                min_tags: 4,
                max_tags: 4,
                ..FixtureSizes::default()
            },
        );
        assert_eq!(f.ncp_tag_count(), 4 * f.ncp_repository_count());
        assert_eq!(f.swr_tag_count(), 4 * f.swr_repository_count());
    }

    #[test]
    fn json_round_trip() {
        for f in [Fixture::generate(9, sizes()), Fixture::sample()] {
            let back = Fixture::from_json(&f.to_json()).unwrap();
            assert_eq!(back, f);
        }
    }

    #[test]
    fn save_and_load() {
        let path = std::env::temp_dir().join(format!(
            "reginv-emulator-fixture-{}.json",
            std::process::id()
        ));
        let f = Fixture::sample();
        f.save(&path).unwrap();
        let back = Fixture::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back, f);
        assert!(matches!(
            Fixture::load(&path),
            Err(EmulatorError::FixtureIo { .. })
        ));
    }

    #[test]
    fn sample_is_valid_and_realistic() {
        let f = Fixture::sample();
        f.validate().unwrap();
        let kr = &f.ncp["kr"];
        assert_eq!(kr[0].name, "acme-prod");
        assert!(!kr[0].public && kr[1].public);
        assert!(kr[0].images.iter().any(|i| i.name == "payments/api"));
        assert!(f.ncp["jpn"][0].images.is_empty());
        let names: Vec<&str> = f.swr.namespaces.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["acme", "acme-data"]);
        assert!(f.swr.namespaces[0]
            .repos
            .iter()
            .any(|r| r.name.contains('/')));
    }

    #[test]
    fn invalid_fixtures_are_rejected() {
        let bad = [
            r#"{"ncp": {"us": []}}"#,
            r#"{"ncp": {"kr": [{"name": "a"}, {"name": "a"}]}}"#,
            r#"{"ncp": {"kr": [{"name": "a", "bucket": "b"}, {"name": "c", "bucket": "b"}]}}"#,
            r#"{"swr": {"namespaces": [{"name": "n", "repos": [{"name": "x"}, {"name": "x"}]}]}}"#,
            r#"{"swr": {"namespaces": [{"name": "n", "repos": [{"name": "a$b"}]}]}}"#,
        ];
        for json in bad {
            assert!(
                matches!(
                    Fixture::from_json(json),
                    Err(EmulatorError::InvalidFixture(_))
                ),
                "{json}"
            );
        }
        assert!(matches!(
            Fixture::from_json("{not json"),
            Err(EmulatorError::FixtureJson(_))
        ));
    }
}
