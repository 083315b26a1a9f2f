//! The `reginv-emulator` binary: serves NCR API v2, SWR `/v2/manage` and the OCI Distribution
//! read API on a local port until Ctrl-C or SIGTERM, printing its URLs and (throwaway)
//! credentials.
//!
//! ```text
//! reginv-emulator --listen 127.0.0.1:8080 --seed 7 --repos 500 --tags 12 --latency-ms 20 --fault-rate 0.05
//! reginv-emulator --fixture my-registries.json --json
//! ```
//!
//! Without `--fixture`, `--repos` / `--tags` / `--seed` generate data (see `--help`); with none of
//! them, the small sample company of `Fixture::sample()` is served.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use reginv_core::{AccessKeyPair, SecretString};
use reginv_emulator::{
    Emulator, Faults, Fixture, FixtureSizes, OciAuth, DEFAULT_NCP_ACCESS_KEY,
    DEFAULT_NCP_MAX_PAGE_SIZE, DEFAULT_NCP_SECRET_KEY, DEFAULT_SWR_ACCESS_KEY,
    DEFAULT_SWR_SECRET_KEY, DEFAULT_SWR_TOKEN,
};

/// A local server of the NAVER Cloud NCR v2, Huawei Cloud SWR /v2/manage and OCI Distribution APIs.
#[derive(Debug, Parser)]
#[command(name = "reginv-emulator", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Serve this fixture (JSON) instead of generated or sample data.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["repos", "tags", "min_tags", "registries"])]
    fixture: Option<PathBuf>,

    /// Write the fixture being served to FILE (JSON) before serving.
    #[arg(long, value_name = "FILE")]
    save_fixture: Option<PathBuf>,

    /// Seed of the generated data and (unless --fault-seed) of the faults. Generating data needs
    /// --repos; without --repos and --fixture the sample company is served.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Generate data: exactly this many repositories per provider (NCR: over kr/sgn/jpn and
    /// their registries; SWR: over its namespaces), dealt round-robin.
    #[arg(long)]
    repos: Option<usize>,

    /// The most tags a generated repository has; each draws uniformly from --min-tags..=--tags.
    #[arg(long, default_value_t = 5)]
    tags: usize,

    /// The fewest tags a generated repository has.
    #[arg(long, default_value_t = 0)]
    min_tags: usize,

    /// Generated registries per NCR region, and SWR namespaces.
    #[arg(long, default_value_t = 2)]
    registries: usize,

    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,

    /// Up to this many more milliseconds of latency, per request.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,

    /// Probability of a fault per request, spread evenly over 429, 5xx, dropped connection and
    /// truncated body (a quarter each). The specific rates below override their share.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,

    /// Probability of a 429 with Retry-After.
    #[arg(long)]
    throttle_rate: Option<f64>,

    /// Probability of a 500/502/503.
    #[arg(long)]
    server_error_rate: Option<f64>,

    /// Probability of closing the connection without a response.
    #[arg(long)]
    drop_rate: Option<f64>,

    /// Probability of a 200 with a truncated JSON body.
    #[arg(long)]
    truncate_rate: Option<f64>,

    /// Seed of the fault decisions (default: --seed).
    #[arg(long)]
    fault_seed: Option<u64>,

    /// Retry-After of every 429, in seconds.
    #[arg(long, default_value_t = 0)]
    retry_after: u64,

    /// After this many faults in a row for the same request, it is served.
    #[arg(long, default_value_t = 3)]
    max_consecutive_faults: u32,

    /// Throttle like an API gateway: requests per second allowed per credential (a token
    /// bucket); more get the vendor's 429 with --retry-after.
    #[arg(long, value_name = "RPS")]
    rate_limit: Option<u32>,

    /// With --rate-limit: how many requests a credential may send at once (default: RPS).
    #[arg(long, value_name = "N", requires = "rate_limit")]
    burst: Option<u32>,

    /// Added to every announced total (NCR count, SWR Content-Range total), to emulate a lying server.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    total_skew: i64,

    /// The largest NCR pagesize accepted.
    #[arg(long, default_value_t = DEFAULT_NCP_MAX_PAGE_SIZE)]
    ncp_max_page_size: u32,

    /// NCR access key to accept.
    #[arg(long, default_value = DEFAULT_NCP_ACCESS_KEY)]
    ncp_access_key: String,

    /// NCR secret key to accept.
    #[arg(long, default_value = DEFAULT_NCP_SECRET_KEY)]
    ncp_secret_key: String,

    /// SWR access key (AK) to accept.
    #[arg(long, default_value = DEFAULT_SWR_ACCESS_KEY)]
    swr_access_key: String,

    /// SWR secret key (SK) to accept.
    #[arg(long, default_value = DEFAULT_SWR_SECRET_KEY)]
    swr_secret_key: String,

    /// SWR X-Auth-Token to accept.
    #[arg(long, default_value = DEFAULT_SWR_TOKEN)]
    swr_token: String,

    /// How the OCI Distribution API (/v2/…) authenticates: anonymous, basic (HTTP Basic), or
    /// token (401 + WWW-Authenticate: Bearer, tokens from /oci/token for HTTP Basic).
    #[arg(long, value_name = "MODE", default_value = "anonymous", value_parser = ["anonymous", "basic", "token"])]
    oci_auth: String,

    /// The OCI user name (with --oci-auth basic or token).
    #[arg(long, default_value = "reginv")]
    oci_username: String,

    /// The OCI password (with --oci-auth basic or token).
    #[arg(long, default_value = "emulator-oci-password")]
    oci_password: String,

    /// Print exactly one JSON line with the URLs and credentials on stdout (for harnesses).
    #[arg(long)]
    json: bool,
}

impl Args {
    fn oci_auth(&self) -> OciAuth {
        let (username, password) = (self.oci_username.clone(), self.oci_password.clone());
        match self.oci_auth.as_str() {
            "basic" => OciAuth::Basic { username, password },
            "token" => OciAuth::Token { username, password },
            _ => OciAuth::Anonymous,
        }
    }

    fn fixture(&self) -> Result<Fixture, String> {
        if let Some(path) = &self.fixture {
            return Fixture::load(path).map_err(|e| e.to_string());
        }
        match self.repos {
            Some(repos) => Ok(Fixture::generate(
                self.seed,
                FixtureSizes {
                    registries: self.registries.max(1),
                    total_repositories: Some(repos),
                    min_tags: self.min_tags.min(self.tags),
                    max_tags: self.tags,
                    ..FixtureSizes::default()
                },
            )),
            None => Ok(Fixture::sample()),
        }
    }

    fn faults(&self) -> Result<Faults, String> {
        let mut f = Faults {
            seed: self.fault_seed.unwrap_or(self.seed),
            latency: Duration::from_millis(self.latency_ms),
            latency_jitter: Duration::from_millis(self.jitter_ms),
            retry_after_secs: self.retry_after,
            max_consecutive_faults: self.max_consecutive_faults,
            rate_limit_per_second: self.rate_limit,
            rate_limit_burst: self.burst,
            total_skew: self.total_skew,
            ..Faults::none()
        }
        .with_fault_rate(self.fault_rate);
        let rates = [
            (&mut f.throttle_rate, self.throttle_rate),
            (&mut f.server_error_rate, self.server_error_rate),
            (&mut f.drop_rate, self.drop_rate),
            (&mut f.truncate_rate, self.truncate_rate),
        ];
        for (slot, given) in rates {
            if let Some(rate) = given {
                *slot = rate;
            }
        }
        let all = [
            f.throttle_rate,
            f.server_error_rate,
            f.drop_rate,
            f.truncate_rate,
        ];
        if all.iter().any(|r| !(0.0..=1.0).contains(r)) || all.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err("fault rates must lie in 0..=1 and sum to at most 1".to_string());
        }
        Ok(f)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reginv-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("reginv-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let fixture = args.fixture()?;
    let faults = args.faults()?;
    if let Some(path) = &args.save_fixture {
        fixture.save(path).map_err(|e| e.to_string())?;
    }
    let counts = serde_json::json!({
        "ncp_registries": fixture.ncp_registry_count(),
        "ncp_repositories": fixture.ncp_repository_count(),
        "ncp_tags": fixture.ncp_tag_count(),
        "swr_namespaces": fixture.swr_namespace_count(),
        "swr_repositories": fixture.swr_repository_count(),
        "swr_tags": fixture.swr_tag_count(),
    });
    let emulator = Emulator::builder()
        .fixture(fixture)
        .faults(faults)
        .listen(args.listen)
        .ncp_credentials(AccessKeyPair::new(
            args.ncp_access_key.clone(),
            args.ncp_secret_key.clone(),
        ))
        .swr_credentials(AccessKeyPair::new(
            args.swr_access_key.clone(),
            args.swr_secret_key.clone(),
        ))
        .swr_token(SecretString::new(args.swr_token.clone()))
        .ncp_max_page_size(args.ncp_max_page_size)
        .oci_auth(args.oci_auth())
        .start()
        .await
        .map_err(|e| e.to_string())?;

    // These are the emulator's own throwaway credentials: printing them is the point.
    let ncp = emulator.ncp_credentials();
    let swr = emulator.swr_credentials();
    if args.json {
        let line = serde_json::json!({
            "base_url": emulator.base_url(),
            "ncp": {
                "endpoint": emulator.ncp_endpoint(),
                "access_key": ncp.access_key,
                "secret_key": ncp.secret_key.expose(),
            },
            "swr": {
                "endpoint": emulator.swr_endpoint(),
                "access_key": swr.access_key,
                "secret_key": swr.secret_key.expose(),
                "token": emulator.swr_token().expose(),
            },
            "oci": {
                "endpoint": emulator.oci_endpoint(),
                "auth": args.oci_auth,
                "username": args.oci_username,
                "password": args.oci_password,
            },
            "fixture": counts,
        });
        println!("{line}");
    } else {
        println!("reginv-emulator listening on {}", emulator.base_url());
        println!();
        println!(
            "NCR (NAVER Cloud) API v2:  {}/ncr/api/v2  (also /ncr/sgn-api/v2, /ncr/jpn-api/v2)",
            emulator.ncp_endpoint()
        );
        println!("  access key: {}", ncp.access_key);
        println!("  secret key: {}", ncp.secret_key.expose());
        println!(
            "SWR (Huawei Cloud) /v2/manage:  {}/v2/manage",
            emulator.swr_endpoint()
        );
        println!("  access key (AK): {}", swr.access_key);
        println!("  secret key (SK): {}", swr.secret_key.expose());
        println!("  X-Auth-Token:    {}", emulator.swr_token().expose());
        println!(
            "OCI Distribution (/v2/): {}  (repositories registry/name; auth {})",
            emulator.oci_endpoint(),
            args.oci_auth
        );
        if args.oci_auth != "anonymous" {
            println!(
                "  user: {}  password: {}",
                args.oci_username, args.oci_password
            );
        }
        println!();
        println!("data: {counts}");
        println!("Ctrl-C or SIGTERM stops the server.");
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    wait_for_signal().await;
    emulator.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
