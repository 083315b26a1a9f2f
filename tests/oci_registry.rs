//! The `oci` backend against the real CNCF Distribution registry (Debian `docker-registry` 2.8,
//! installed by `.ci/services/docker-registry.sh`), started by each test on a free loopback port
//! with throwaway storage: anonymous, behind htpasswd Basic auth, and behind a token server the
//! test runs (JWTs signed with a throwaway certificate the registry trusts). The test pushes
//! images through the registry's own API (blobs, configs, manifests, a multi-platform index and
//! a manifest list, several tags sharing a digest; every byte generated here) and checks that the
//! inventory lists exactly that. Without the binary the tests say they skipped, except under
//! `CI=true`, where that is a failure.

#![cfg(feature = "oci")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reginv::oci::{Grouping, OciConfig, OciCredentials, OciProvider, CATALOG_REFUSED};
use reginv::{
    Cursor, ErrorKind, Inventory, InventoryOptions, InventoryReport, RegistryProvider,
    RegistryProviderExt, RepositoryQuery, TagDepth,
};
use sha2::{Digest, Sha256};

/// A safety net against hangs; never a timing assertion.
const SAFETY_NET: Duration = Duration::from_secs(180);

const USER: &str = "alice";
const PASSWORD: &str = "s3cr3t-pw";

/// The registry binary, or `None` after saying why the test skips (a failure under `CI=true`).
fn registry_binary() -> Option<PathBuf> {
    let found = std::env::var("REGINV_TEST_DOCKER_REGISTRY")
        .ok()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            let default = PathBuf::from("/usr/bin/docker-registry");
            default.exists().then_some(default)
        });
    if found.is_none() {
        let why = "skipped: no docker-registry (set REGINV_TEST_DOCKER_REGISTRY, or run .ci/run \
                   which installs Debian's docker-registry)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{why}");
        }
        eprintln!("{why}");
    }
    found
}

fn htpasswd_binary() -> PathBuf {
    std::env::var("REGINV_TEST_HTPASSWD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/htpasswd"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn scratch_dir(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "reginv-oci-{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A running `docker-registry serve`, killed and its storage removed on drop.
struct RegistryServer {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RegistryServer {
    /// Starts the registry with `auth` (a YAML `auth:` section, or empty) in `dir`.
    async fn start(binary: &Path, dir: PathBuf, auth: &str) -> RegistryServer {
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: reginv-test-secret\n{auth}",
            data = dir.join("data").display()
        );
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).expect("registry config");
        let log = std::fs::File::create(dir.join("registry.log")).expect("log file");
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        let server = RegistryServer {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(server.dir.join("registry.log")).unwrap_or_default();
        panic!("the registry did not listen on {port}: {log}");
    }

    fn host(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Deterministic bytes (a blob's content).
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Pushes through the registry API with a fixed `Authorization` (or none).
struct Pusher {
    http: reqwest::Client,
    base: String,
    auth: Option<String>,
}

impl Pusher {
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, url);
        match &self.auth {
            Some(auth) => builder.header("authorization", auth),
            None => builder,
        }
    }

    async fn blob(&self, repo: &str, content: &[u8]) -> String {
        let digest = sha256(content);
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("{}/v2/{repo}/blobs/uploads/", self.base),
            )
            .send()
            .await
            .expect("upload starts");
        assert_eq!(response.status().as_u16(), 202, "POST upload of {repo}");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_string();
        let location = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.base)
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let response = self
            .request(
                reqwest::Method::PUT,
                &format!("{location}{sep}digest={digest}"),
            )
            .header("content-type", "application/octet-stream")
            .body(content.to_vec())
            .send()
            .await
            .expect("upload ends");
        assert_eq!(response.status().as_u16(), 201, "PUT blob of {repo}");
        digest
    }

    async fn manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) {
        let response = self
            .request(
                reqwest::Method::PUT,
                &format!("{}/v2/{repo}/manifests/{reference}", self.base),
            )
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("manifest PUT");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, 201, "PUT manifest {repo}:{reference}: {text}");
    }
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// What one tag should be listed as.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    digest: String,
    size: u64,
    media_type: String,
    is_index: bool,
    created: Option<String>,
    /// (os, architecture, variant, digest, size)
    platforms: Vec<(String, String, Option<String>, String, u64)>,
}

/// An image pushed into `repo`: (manifest bytes, digest, size, created).
async fn push_image(
    pusher: &Pusher,
    repo: &str,
    oci: bool,
    arch: &str,
    seed: u8,
) -> (Vec<u8>, Expected) {
    let created = format!("2024-0{}-1{}T12:30:00Z", 1 + seed % 9, seed % 10);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux", "created": created,
        "rootfs": {"type": "layers", "diff_ids": []}
    }))
    .expect("config JSON");
    let layers = [
        bytes(seed, 1000 + seed as usize),
        bytes(seed.wrapping_add(1), 2345),
    ];
    let config_digest = pusher.blob(repo, &config).await;
    let mut layer_descriptors = Vec::new();
    for layer in &layers {
        let digest = pusher.blob(repo, layer).await;
        layer_descriptors.push(serde_json::json!({
            "mediaType": if oci { "application/vnd.oci.image.layer.v1.tar+gzip" }
                         else { "application/vnd.docker.image.rootfs.diff.tar.gzip" },
            "digest": digest, "size": layer.len()
        }));
    }
    let media_type = if oci { OCI_MANIFEST } else { DOCKER_MANIFEST };
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": if oci { "application/vnd.oci.image.config.v1+json" }
                         else { "application/vnd.docker.container.image.v1+json" },
            "digest": config_digest, "size": config.len()
        },
        "layers": layer_descriptors
    }))
    .expect("manifest JSON");
    let size = (config.len() + layers.iter().map(Vec::len).sum::<usize>()) as u64;
    let expected = Expected {
        digest: sha256(&manifest),
        size,
        media_type: media_type.to_string(),
        is_index: false,
        created: Some(created),
        platforms: Vec::new(),
    };
    (manifest, expected)
}

/// An index (OCI) or manifest list (Docker) of `platforms` (architecture, variant).
async fn push_index(
    pusher: &Pusher,
    repo: &str,
    tag: &str,
    oci: bool,
    platforms: &[(&str, Option<&str>)],
    seed: u8,
) -> Expected {
    let mut descriptors = Vec::new();
    let mut listed = Vec::new();
    let mut created = Vec::new();
    for (i, (arch, variant)) in platforms.iter().enumerate() {
        let (manifest, image) = push_image(pusher, repo, oci, arch, seed + i as u8).await;
        let image_type = if oci { OCI_MANIFEST } else { DOCKER_MANIFEST };
        pusher
            .manifest(repo, &image.digest, image_type, &manifest)
            .await;
        let mut platform = serde_json::json!({"os": "linux", "architecture": arch});
        if let Some(v) = variant {
            platform["variant"] = serde_json::json!(v);
        }
        descriptors.push(serde_json::json!({
            "mediaType": image_type, "digest": image.digest, "size": manifest.len(),
            "platform": platform
        }));
        listed.push((
            "linux".to_string(),
            arch.to_string(),
            variant.map(str::to_string),
            image.digest.clone(),
            image.size,
        ));
        created.extend(image.created);
    }
    let media_type = if oci { OCI_INDEX } else { DOCKER_LIST };
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type, "manifests": descriptors
    }))
    .expect("index JSON");
    pusher.manifest(repo, tag, media_type, &index).await;
    Expected {
        digest: sha256(&index),
        size: listed.iter().map(|p| p.4).sum(),
        media_type: media_type.to_string(),
        is_index: true,
        created: created.into_iter().max(),
        platforms: listed,
    }
}

/// Pushes the test's images; the expected listing by repository and tag.
async fn populate(pusher: &Pusher) -> BTreeMap<String, BTreeMap<String, Expected>> {
    let mut all: BTreeMap<String, BTreeMap<String, Expected>> = BTreeMap::new();
    // Plain images, Docker and OCI.
    for (repo, tag, oci, seed) in [
        ("alpha", "v1", false, 10u8),
        ("tools/ci", "edge", false, 20),
        ("zeta", "0.1", true, 30),
    ] {
        let (manifest, expected) = push_image(pusher, repo, oci, "amd64", seed).await;
        let media_type = expected.media_type.clone();
        pusher.manifest(repo, tag, &media_type, &manifest).await;
        all.entry(repo.into())
            .or_default()
            .insert(tag.into(), expected);
    }
    // Three tags sharing one digest, and an OCI index.
    let (manifest, expected) = push_image(pusher, "team/api", true, "amd64", 40).await;
    for tag in ["1.0", "latest", "stable"] {
        pusher
            .manifest("team/api", tag, OCI_MANIFEST, &manifest)
            .await;
        all.entry("team/api".into())
            .or_default()
            .insert(tag.into(), expected.clone());
    }
    // An OCI index and a Docker manifest list.
    for (repo, tag, oci, platforms, seed) in [
        (
            "team/api",
            "multi",
            true,
            [("amd64", None), ("arm64", Some("v8"))],
            50u8,
        ),
        (
            "team/web",
            "2.0",
            false,
            [("amd64", None), ("arm", Some("v7"))],
            60,
        ),
    ] {
        let index = push_index(pusher, repo, tag, oci, &platforms, seed).await;
        all.entry(repo.into())
            .or_default()
            .insert(tag.into(), index);
    }
    all
}

/// The report's listing in the shape of [`Expected`].
fn listed(report: &InventoryReport) -> BTreeMap<String, BTreeMap<String, Expected>> {
    let mut out: BTreeMap<String, BTreeMap<String, Expected>> = BTreeMap::new();
    for repo in &report.repositories {
        let path = repo
            .pull_uri
            .as_deref()
            .and_then(|u| u.split_once('/'))
            .map(|(_, path)| path.to_string())
            .expect("a pull URI host/path");
        let tags = out.entry(path).or_default();
        for tag in repo.tags.as_deref().unwrap_or_default() {
            tags.insert(
                tag.name.clone(),
                Expected {
                    digest: tag.digest.clone().unwrap_or_default(),
                    size: tag.size_bytes.unwrap_or_default(),
                    media_type: tag.media_type.clone().unwrap_or_default(),
                    is_index: tag.is_index.unwrap_or_default(),
                    created: tag
                        .created_at
                        .map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    platforms: tag
                        .platforms
                        .iter()
                        .map(|p| {
                            (
                                p.os.clone().unwrap_or_default(),
                                p.architecture.clone().unwrap_or_default(),
                                p.variant.clone(),
                                p.digest.clone().unwrap_or_default(),
                                p.size_bytes.unwrap_or_default(),
                            )
                        })
                        .collect(),
                },
            );
        }
    }
    out
}

/// Serves `app` on a free loopback port, in the background; its address.
async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn provider(config: OciConfig) -> Arc<dyn RegistryProvider> {
    Arc::new(OciProvider::new(config).expect("OCI provider"))
}

async fn inventory(provider: Arc<dyn RegistryProvider>, depth: TagDepth) -> InventoryReport {
    inventory_of(vec![provider], depth).await
}

async fn inventory_of(
    providers: Vec<Arc<dyn RegistryProvider>>,
    depth: TagDepth,
) -> InventoryReport {
    let inventory = Inventory::new(providers)
        .with_options(InventoryOptions::new().with_depth(depth))
        .expect("options");
    tokio::time::timeout(SAFETY_NET, inventory.collect())
        .await
        .expect("the inventory ends")
}

fn without_created(
    mut all: BTreeMap<String, BTreeMap<String, Expected>>,
) -> BTreeMap<String, BTreeMap<String, Expected>> {
    for tags in all.values_mut() {
        for tag in tags.values_mut() {
            tag.created = None;
        }
    }
    all
}

/// An anonymous registry with the test's images in it, and what it holds; `None` when the
/// binary is missing (the test skips, or fails under `CI=true`).
async fn anonymous_registry_with_images(
    label: &str,
) -> Option<(RegistryServer, BTreeMap<String, BTreeMap<String, Expected>>)> {
    let binary = registry_binary()?;
    let registry = RegistryServer::start(&binary, scratch_dir(label), "").await;
    let pusher = Pusher {
        http: reqwest::Client::new(),
        base: registry.url.clone(),
        auth: None,
    };
    let pushed = populate(&pusher).await;
    Some((registry, pushed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_registry_lists_exactly_what_was_pushed() {
    let Some((registry, pushed)) = anonymous_registry_with_images("anon").await else {
        return;
    };

    // Full depth with the image configurations: everything, across 3 catalog pages of 2.
    let config = OciConfig::new("lab", registry.url.clone())
        .with_page_size(2)
        .with_details(true);
    let report = inventory(provider(config), TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(listed(&report), pushed);
    let host = registry.host();
    let api = report
        .repositories
        .iter()
        .find(|r| r.name == "team/api")
        .expect("team/api");
    assert_eq!(api.registry, host);
    assert_eq!(api.full_name, format!("{host}/team/api"));
    assert_eq!(report.sources[0].provider.as_str(), "oci");

    // Without details: the same, and no creation times.
    let report = inventory(
        provider(OciConfig::new("lab", registry.url.clone()).with_page_size(2)),
        TagDepth::Full,
    )
    .await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(listed(&report), without_created(pushed.clone()));

    // Names only: no manifests fetched, one tag listing per repository.
    let oci = OciProvider::new(OciConfig::new("lab", registry.url.clone()).with_page_size(2))
        .expect("provider");
    let report = inventory(Arc::new(oci.clone()), TagDepth::Names).await;
    assert!(report.complete, "{:?}", report.errors);
    let names: BTreeMap<String, Vec<String>> = report
        .repositories
        .iter()
        .map(|r| {
            let tags = r.tags.as_deref().unwrap_or_default();
            (
                r.name.clone(),
                tags.iter().map(|t| t.name.clone()).collect(),
            )
        })
        .collect();
    let want: BTreeMap<String, Vec<String>> = pushed
        .iter()
        .map(|(repo, tags)| (repo.clone(), tags.keys().cloned().collect()))
        .collect();
    assert_eq!(names, want);
    // 5 repositories in pages of 2: 3 catalog pages, and 5 tag listings.
    assert_eq!(report.sources[0].requests, 3 + 5, "{:?}", report.sources);

    // The catalog really pages: the first page has n=2 names and a token for the next.
    let page = oci
        .repositories_page(&RepositoryQuery::all(), None)
        .await
        .expect("first page");
    assert_eq!(page.items.len(), 2);
    assert!(matches!(page.next, Some(Cursor::Token { .. })), "{page:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouping_by_first_segment_and_configured_repositories() {
    let Some((registry, pushed)) = anonymous_registry_with_images("group").await else {
        return;
    };
    let host = registry.host();
    let grouped = Arc::new(
        OciProvider::new(
            OciConfig::new("lab", registry.url.clone())
                .with_page_size(2)
                .with_grouping(Grouping::FirstSegment),
        )
        .expect("provider"),
    );
    let mut registries: Vec<String> =
        futures::TryStreamExt::try_collect::<Vec<_>>(grouped.list_registries())
            .await
            .expect("registries")
            .into_iter()
            .map(|r| r.name)
            .collect();
    registries.sort();
    let mut want = vec![host.clone(), "team".to_string(), "tools".to_string()];
    want.sort();
    assert_eq!(registries, want);
    // One segment, listed from `last=team/` on: its two repositories and nothing else.
    let team: Vec<(String, String)> = futures::TryStreamExt::try_collect::<Vec<_>>(
        grouped.list_repositories(RepositoryQuery::in_registry("team")),
    )
    .await
    .expect("team")
    .into_iter()
    .map(|r| (r.registry, r.name))
    .collect();
    assert_eq!(
        team,
        [("team".into(), "api".into()), ("team".into(), "web".into())]
    );
    let top: Vec<String> = futures::TryStreamExt::try_collect::<Vec<_>>(
        grouped.list_repositories(RepositoryQuery::in_registry(host.clone())),
    )
    .await
    .expect("top level")
    .into_iter()
    .map(|r| r.name)
    .collect();
    assert_eq!(top, ["alpha", "zeta"]);
    let report = inventory(grouped, TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(listed(&report), without_created(pushed.clone()));

    // Configured repositories: exactly those, without asking the catalog.
    let configured =
        OciConfig::new("lab", registry.url.clone()).with_repositories(["zeta", "team/web"]);
    let report = inventory(provider(configured), TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    let mut want = without_created(pushed);
    want.retain(|repo, _| repo == "zeta" || repo == "team/web");
    assert_eq!(listed(&report), want);
    // zeta: its tag list and one manifest; team/web: its tag list, the manifest list and its
    // two platform manifests. No catalog request.
    assert_eq!(report.sources[0].requests, 2 + 4, "{:?}", report.sources);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_registry_needs_the_right_credentials() {
    let Some(binary) = registry_binary() else {
        return;
    };
    let dir = scratch_dir("basic");
    let output = Command::new(htpasswd_binary())
        .args(["-Bbn", USER, PASSWORD])
        .output()
        .expect("htpasswd runs (apache2-utils)");
    assert!(output.status.success());
    std::fs::write(dir.join("htpasswd"), &output.stdout).expect("htpasswd file");
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: reginv-test\n    path: {}\n",
        dir.join("htpasswd").display()
    );
    let registry = RegistryServer::start(&binary, dir, &auth).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let pusher = Pusher {
        http: reqwest::Client::new(),
        base: registry.url.clone(),
        auth: Some(format!("Basic {basic}")),
    };
    let pushed = populate(&pusher).await;

    // The credentials from a docker config.json, as `docker login` writes it.
    let docker_config = registry.dir.join("docker-config.json");
    std::fs::write(
        &docker_config,
        serde_json::to_vec(&serde_json::json!({
            "auths": { registry.host(): { "auth": basic } }
        }))
        .expect("json"),
    )
    .expect("docker config");
    let credentials =
        reginv::oci::docker_config::credentials_from_file(&docker_config, &registry.host())
            .expect("readable")
            .expect("an entry for the registry");
    let config = OciConfig::new("lab", registry.url.clone())
        .with_page_size(2)
        .with_credentials(credentials);
    let report = inventory(provider(config), TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(listed(&report), without_created(pushed.clone()));

    // The same through a configuration file: the password from a variable.
    let toml = format!(
        "[[providers]]\nname = \"lab\"\nkind = \"oci\"\nendpoint = \"{}\"\n\
         username = \"{USER}\"\npassword_env = \"LAB_PASSWORD\"\npage_size = 2\n\
         repositories = [\"team/api\", \"alpha\"]\n",
        registry.url
    );
    let config = reginv::Config::from_toml_str(&toml, "reginv.toml").expect("valid");
    let env = reginv::Environment::from_vars([("LAB_PASSWORD", PASSWORD)]);
    let providers = config.build_providers(&env).expect("providers");
    let report = inventory_of(providers, TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    let mut want = without_created(pushed.clone());
    want.retain(|repo, _| repo == "team/api" || repo == "alpha");
    assert_eq!(listed(&report), want);

    // Without credentials, and with a wrong password: authentication failures, no listing.
    let report = inventory(
        provider(OciConfig::new("lab", registry.url.clone())),
        TagDepth::Names,
    )
    .await;
    assert!(!report.complete);
    assert_eq!(report.errors[0].kind, ErrorKind::Authentication);
    assert!(
        report.errors[0].message.contains("none is configured"),
        "{:?}",
        report.errors
    );
    let wrong = OciConfig::new("lab", registry.url.clone())
        .with_credentials(OciCredentials::new(USER, "not-the-password"));
    let report = inventory(provider(wrong), TagDepth::Names).await;
    assert!(!report.complete);
    assert_eq!(report.errors[0].kind, ErrorKind::Authentication);
    assert!(report.repositories.is_empty());
    assert!(!format!("{:?}", report.errors).contains("not-the-password"));
}

/// A token server for the registry: checks Basic credentials, answers JWTs the registry trusts
/// (ES256, signed with a throwaway certificate in `x5c`), and counts requests per scope.
struct TokenServer {
    url: String,
    signer: Arc<JwtSigner>,
    requests: Arc<Mutex<Vec<String>>>,
    cert_pem: String,
}

struct JwtSigner {
    key: ring::signature::EcdsaKeyPair,
    cert_der: Vec<u8>,
}

const SERVICE: &str = "reginv-test";
const ISSUER: &str = "reginv-test-issuer";

impl JwtSigner {
    /// A token granting `actions` on each (type, name) of `access`.
    fn token(&self, access: &[(String, String, Vec<String>)]) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let now = chrono::Utc::now().timestamp();
        let header = serde_json::json!({
            "typ": "JWT", "alg": "ES256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.cert_der)]
        });
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(kind, name, actions)| {
                serde_json::json!({"type": kind, "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": USER, "aud": SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("jti-{now}-{}", access.len()),
            "access": access
        });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let rng = ring::rand::SystemRandom::new();
        let signature = self.key.sign(&rng, input.as_bytes()).expect("signs");
        format!("{input}.{}", b64(signature.as_ref()))
    }
}

/// `type:name:actions` scopes (names may hold `:`? not in OCI names; split at the ends).
fn parse_scope(scope: &str) -> Option<(String, String, Vec<String>)> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    Some((
        kind.to_string(),
        name.to_string(),
        actions.split(',').map(str::to_string).collect(),
    ))
}

impl TokenServer {
    async fn start() -> TokenServer {
        use axum::extract::{Query, State};
        use axum::http::{HeaderMap, StatusCode};
        use axum::response::IntoResponse;

        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["reginv-test-token".to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        let signer = Arc::new(JwtSigner {
            key: ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key.serialize_der(),
                &ring::rand::SystemRandom::new(),
            )
            .expect("ring key"),
            cert_der: cert.der().to_vec(),
        });
        let requests = Arc::new(Mutex::new(Vec::new()));
        type AppState = (Arc<JwtSigner>, Arc<Mutex<Vec<String>>>);
        async fn token(
            State((signer, requests)): State<AppState>,
            Query(query): Query<BTreeMap<String, String>>,
            headers: HeaderMap,
        ) -> axum::response::Response {
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
            let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
                == Some(format!("Basic {basic}").as_str());
            if !authorized || query.get("service").map(String::as_str) != Some(SERVICE) {
                return (
                    StatusCode::UNAUTHORIZED,
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}",
                )
                    .into_response();
            }
            let scope = query.get("scope").cloned().unwrap_or_default();
            requests.lock().expect("lock").push(scope.clone());
            let access: Vec<_> = parse_scope(&scope).into_iter().collect();
            axum::Json(serde_json::json!({
                "token": signer.token(&access), "expires_in": 300
            }))
            .into_response()
        }
        let app = axum::Router::new()
            .route("/token", axum::routing::get(token))
            .with_state((signer.clone(), requests.clone()));
        let addr = serve(app).await;
        TokenServer {
            url: format!("http://{addr}/token"),
            signer,
            requests,
            cert_pem: cert.pem(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_auth_registry_with_cached_tokens() {
    let Some(binary) = registry_binary() else {
        return;
    };
    let tokens = TokenServer::start().await;
    let dir = scratch_dir("token");
    std::fs::write(dir.join("cert.pem"), &tokens.cert_pem).expect("cert");
    let auth = format!(
        "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    \
         rootcertbundle: {}\n",
        tokens.url,
        dir.join("cert.pem").display()
    );
    let registry = RegistryServer::start(&binary, dir, &auth).await;
    // The pusher signs its own tokens with push rights on every repository it writes.
    let repos = ["alpha", "tools/ci", "zeta", "team/api", "team/web"];
    let access: Vec<_> = repos
        .iter()
        .map(|r| {
            (
                "repository".to_string(),
                r.to_string(),
                vec!["pull".to_string(), "push".to_string()],
            )
        })
        .collect();
    let pusher = Pusher {
        http: reqwest::Client::new(),
        base: registry.url.clone(),
        auth: Some(format!("Bearer {}", tokens.signer.token(&access))),
    };
    let pushed = populate(&pusher).await;

    let config = OciConfig::new("lab", registry.url.clone())
        .with_page_size(2)
        .with_credentials(OciCredentials::new(USER, PASSWORD));
    let report = inventory(provider(config), TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    assert_eq!(listed(&report), without_created(pushed));
    // One token per scope, reused for every page and manifest of it.
    let mut asked = tokens.requests.lock().expect("lock").clone();
    asked.sort();
    let mut want: Vec<String> = repos
        .iter()
        .map(|r| format!("repository:{r}:pull"))
        .chain(["registry:catalog:*".to_string()])
        .collect();
    want.sort();
    assert_eq!(asked, want);

    // A wrong password: the token server refuses, the listing fails as authentication.
    let wrong = OciConfig::new("lab", registry.url.clone())
        .with_credentials(OciCredentials::new(USER, "wrong-password"));
    let report = inventory(provider(wrong), TagDepth::Names).await;
    assert!(!report.complete);
    assert_eq!(report.errors[0].kind, ErrorKind::Authentication);
    assert!(!format!("{:?}", report.errors).contains("wrong-password"));
}

/// A registry that refuses the catalog (as Docker Hub does): the message says what to do.
#[tokio::test]
async fn a_refused_catalog_says_to_configure_repositories() {
    let app = axum::Router::new().route(
        "/v2/_catalog",
        axum::routing::get(|| async {
            (
                axum::http::StatusCode::NOT_FOUND,
                r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#,
            )
        }),
    );
    let addr = serve(app).await;
    let report = inventory(
        provider(OciConfig::new("hub", format!("http://{addr}"))),
        TagDepth::Names,
    )
    .await;
    assert!(!report.complete);
    let failure = &report.errors[0];
    assert_eq!(failure.kind, ErrorKind::Unsupported);
    assert!(failure.message.contains(CATALOG_REFUSED), "{failure:?}");
    assert_eq!(failure.code.as_deref(), Some("UNSUPPORTED"));
}

/// An `oci` source merged with NCR and SWR emulator sources in one inventory: each source's
/// rows carry their provenance, and the OCI rows are exactly what was pushed.
#[cfg(all(feature = "ncp", feature = "huawei"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oci_source_merges_with_ncr_and_swr() {
    use reginv::huawei::{HuaweiConfig, HuaweiCredentials, HuaweiProvider};
    use reginv::ncp::{NcpConfig, NcpProvider, NcpRegion};
    use reginv_emulator::{Emulator, Fixture, FixtureSizes};

    let Some((registry, pushed)) = anonymous_registry_with_images("merge").await else {
        return;
    };
    let fixture = Fixture::generate(
        7,
        FixtureSizes {
            ncp_regions: vec!["kr".into()],
            registries: 2,
            repositories_per_registry: 2,
            total_repositories: None,
            min_tags: 1,
            max_tags: 3,
        },
    );
    let emulator = Emulator::builder()
        .fixture(fixture.clone())
        .start()
        .await
        .expect("the emulator starts");
    let ncp = NcpProvider::new(
        NcpConfig::new("ncp-kr", NcpRegion::Kr)
            .with_endpoint(emulator.ncp_endpoint())
            .with_credentials(emulator.ncp_credentials()),
    )
    .expect("NCP provider");
    let swr = HuaweiProvider::new(
        HuaweiConfig::new("swr-ap", "ap-southeast-1")
            .with_endpoint(emulator.swr_endpoint())
            .with_credentials(HuaweiCredentials::AkSk(emulator.swr_credentials())),
    )
    .expect("SWR provider");
    let oci = OciProvider::new(OciConfig::new("lab", registry.url.clone()).with_page_size(2))
        .expect("OCI provider");
    let providers: Vec<Arc<dyn RegistryProvider>> =
        vec![Arc::new(ncp), Arc::new(swr), Arc::new(oci)];
    let report = inventory_of(providers, TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    let kinds: Vec<(&str, &str)> = report
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.provider.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("ncp-kr", "ncp"), ("swr-ap", "huawei"), ("lab", "oci")]
    );
    let count = |source: &str| {
        report
            .repositories
            .iter()
            .filter(|r| r.source == source)
            .count()
    };
    let ncp_repos: usize = fixture.ncp["kr"].iter().map(|r| r.images.len()).sum();
    let swr_repos: usize = fixture.swr.namespaces.iter().map(|n| n.repos.len()).sum();
    assert_eq!(count("ncp-kr"), ncp_repos);
    assert_eq!(count("swr-ap"), swr_repos);
    let mut oci_only = report.clone();
    oci_only.repositories.retain(|r| r.source == "lab");
    assert_eq!(listed(&oci_only), without_created(pushed));
    // The report serializes as one document whatever the providers.
    let json = serde_json::to_value(&report).expect("JSON");
    assert_eq!(json["sources"][2]["provider"], "oci");

    // The audit reads the oci source like any other: evaluated where it reports the data (its
    // repositories and tags), not evaluated (never passed) where it does not (scan results, pull
    // times, exposure).
    let audit = reginv_audit::Audit::new(reginv_audit::AuditConfig::default())
        .expect("the default rules")
        .run(&report);
    let rule = |id: &str| {
        audit
            .rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id}"))
    };
    assert!(rule("empty-repository")
        .evaluated_sources
        .contains(&"lab".to_string()));
    for id in ["image-not-scanned", "stale-image"] {
        assert!(
            rule(id).not_evaluated.iter().any(|n| n.source == "lab"),
            "{id}: {:?}",
            rule(id)
        );
    }
    assert!(audit
        .findings
        .iter()
        .filter(|f| f.source == "lab")
        .all(|f| f.provider.as_str() == "oci"));

    // The store keeps it and gives it back unchanged.
    let dir = std::env::temp_dir().join(format!("reginv-oci-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let store = reginv_store::Store::open_str(&format!("sqlite:{}", dir.join("s.db").display()))
        .await
        .expect("store");
    let plan = reginv_store::RunPlan::new(
        TagDepth::Full,
        report
            .sources
            .iter()
            .map(|s| reginv::Source::new(&s.name, s.provider.clone(), &s.region, &s.endpoint))
            .collect(),
    );
    let mut writer = store.begin_run(&plan).await.expect("run");
    for registry in &report.registries {
        let event = reginv::InventoryEvent::Registry(Box::new(registry.clone()));
        writer.push(&event).await.expect("registry");
    }
    for repo in &report.repositories {
        let event = reginv::InventoryEvent::Repository(Box::new(repo.clone()));
        writer.push(&event).await.expect("repository");
    }
    for summary in &report.sources {
        let event = reginv::InventoryEvent::SourceFinished(summary.clone());
        writer.push(&event).await.expect("summary");
    }
    let id = writer.finish(true).await.expect("finish");
    let mut stored = store.snapshot(id).await.expect("snapshot").report;
    stored.generated_at = report.generated_at;
    assert_eq!(stored, report);
    std::fs::remove_dir_all(&dir).ok();
}

/// However many tags and platforms are described at once, at most `detail_concurrency`
/// manifest requests of a provider are in flight (a scripted registry that counts them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_requests_stay_within_the_concurrency() {
    use axum::extract::{Path as UrlPath, State};
    use axum::response::IntoResponse;

    #[derive(Clone, Default)]
    struct Gauge {
        now: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }
    fn image(arch: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"digest": sha256(arch.as_bytes()), "size": 10},
            "layers": [{"digest": sha256(b"layer"), "size": 100}]
        }))
        .expect("json")
    }
    fn index() -> Vec<u8> {
        let entries: Vec<serde_json::Value> = ["amd64", "arm64", "s390x"]
            .iter()
            .map(|arch| {
                serde_json::json!({"mediaType": OCI_MANIFEST, "digest": sha256(&image(arch)),
                    "size": image(arch).len(), "platform": {"os": "linux", "architecture": arch}})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries
        }))
        .expect("json")
    }
    async fn manifest(
        State(gauge): State<Gauge>,
        UrlPath(reference): UrlPath<String>,
    ) -> axum::response::Response {
        let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        gauge.now.fetch_sub(1, Ordering::SeqCst);
        let body = ["amd64", "arm64", "s390x"]
            .iter()
            .map(|arch| image(arch))
            .find(|m| sha256(m) == reference)
            .unwrap_or_else(index);
        ([("content-type", OCI_INDEX)], body).into_response()
    }
    let gauge = Gauge::default();
    let tags: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
    let app = axum::Router::new()
        .route(
            "/v2/_catalog",
            axum::routing::get(|| async {
                axum::Json(serde_json::json!({"repositories": ["app"]}))
            }),
        )
        .route(
            "/v2/app/tags/list",
            axum::routing::get(move || {
                let tags = tags.clone();
                async move { axum::Json(serde_json::json!({"name": "app", "tags": tags})) }
            }),
        )
        .route(
            "/v2/app/manifests/{reference}",
            axum::routing::get(manifest),
        )
        .with_state(gauge.clone());
    let addr = serve(app).await;
    let mut config = OciConfig::new("fake", format!("http://{addr}"));
    config.detail_concurrency = 3;
    let report = inventory(provider(config), TagDepth::Full).await;
    assert!(report.complete, "{:?}", report.errors);
    let tags = report.repositories[0].tags.as_deref().unwrap_or_default();
    assert_eq!(tags.len(), 12);
    for tag in tags {
        assert_eq!(tag.platforms.len(), 3);
        assert_eq!(tag.size_bytes, Some(3 * 110));
        assert_eq!(tag.is_index, Some(true));
    }
    // 12 index manifests and 36 platform manifests, never more than 3 at once.
    assert!(
        gauge.peak.load(Ordering::SeqCst) <= 3,
        "{gauge_peak}",
        gauge_peak = gauge.peak.load(Ordering::SeqCst)
    );
}

/// The `oci` keys of a configuration entry: what is required, what belongs to other kinds, and
/// that a password never shows in errors or `Debug`.
#[test]
fn oci_configuration_entries_are_checked() {
    let entry = |extra: &str| {
        format!(
            "[[providers]]\nname = \"lab\"\nkind = \"oci\"\nendpoint = \"https://reg.example\"\n{extra}"
        )
    };
    let ok = reginv::Config::from_toml_str(
        &entry("username = \"u\"\npassword = \"hunter2\"\ngroup_by = \"first_segment\"\ndetails = true\n"),
        "reginv.toml",
    )
    .expect("valid");
    assert!(!format!("{ok:?}").contains("hunter2"));
    let env = reginv::Environment::from_vars([("X", "Y")]);
    let config =
        <OciConfig as reginv::BackendConfig>::from_entry(&ok.providers[0], &env).expect("config");
    assert_eq!(config.grouping, Grouping::FirstSegment);
    assert!(config.details);
    assert_eq!(config.credentials.expect("creds").username, "u");
    for (extra, key) in [
        ("username = \"u\"\n", "username"),
        ("group_by = \"team\"\n", "group_by"),
        ("access_key = \"a\"\nsecret_key = \"b\"\n", "access_key"),
        ("repositories = \"team/app\"\n", "repositories"),
        (
            "password = \"hunter2\"\npassword_env = \"P\"\nusername = \"u\"\n",
            "password_env",
        ),
    ] {
        let err = reginv::Config::from_toml_str(&entry(extra), "reginv.toml").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{extra}");
        assert!(err.to_string().contains(&format!("key `{key}`")), "{err}");
        assert!(!err.to_string().contains("hunter2"));
    }
    let err = reginv::Config::from_toml_str(
        "[[providers]]\nname = \"lab\"\nkind = \"oci\"\n",
        "reginv.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("key `endpoint`"), "{err}");
    let err = reginv::Config::from_toml_str(
        "[[providers]]\nname = \"n\"\nkind = \"ncp\"\nregion = \"kr\"\nusername = \"u\"\n",
        "reginv.toml",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("applies to kind \"oci\" only"),
        "{err}"
    );
}
