//! `reginv ncp create-registry`: the vendor's registry creation, on one configured ncp source.

use reginv::ncp::{NcpConfig, NcpProvider};
use reginv::{BackendConfig, Config, Environment, ErrorKind, ProviderConfig};

use crate::cli::CreateRegistryArgs;
use crate::config_lookup::find_config;
use crate::error::CliError;

/// Creates the registry; a registry or bucket that exists already is an error (exit 1).
pub async fn run(args: CreateRegistryArgs) -> Result<i32, CliError> {
    let (config, _) = find_config(args.config.as_deref())?;
    let entry = ncp_source(&config, args.source.as_deref())?;
    let config = NcpConfig::from_entry(entry, &Environment::process())?;
    let provider = NcpProvider::new(config)?;
    match provider.create_registry(&args.name, &args.bucket).await {
        Ok(()) => {
            println!(
                "created registry {} (bucket {}) on {}",
                args.name,
                args.bucket,
                entry.name()
            );
            Ok(0)
        }
        Err(e) if e.kind() == ErrorKind::Conflict => Err(CliError::new(format!(
            "cannot create registry {:?} on {}: it (or bucket {:?}) already exists ({e})",
            args.name,
            entry.name(),
            args.bucket
        ))),
        Err(e) => Err(CliError::new(format!(
            "cannot create registry {:?} on {}: {e}",
            args.name,
            entry.name()
        ))),
    }
}

/// The ncp entry named `source`, or the only ncp entry when none is named.
fn ncp_source<'a>(
    config: &'a Config,
    source: Option<&str>,
) -> Result<&'a ProviderConfig, CliError> {
    let ncp: Vec<&ProviderConfig> = config
        .providers
        .iter()
        .filter(|p| p.kind() == "ncp")
        .collect();
    let names = |entries: &[&ProviderConfig]| {
        entries
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match source {
        Some(name) => {
            let Some(entry) = config.provider(name) else {
                let all: Vec<&ProviderConfig> = config.providers.iter().collect();
                return Err(CliError::new(format!(
                    "--source {name}: no such source (configured: {})",
                    names(&all)
                )));
            };
            if entry.kind() != "ncp" {
                return Err(CliError::new(format!(
                    "--source {name}: a {} source; create-registry needs an ncp source ({})",
                    entry.kind(),
                    if ncp.is_empty() {
                        "none is configured".to_string()
                    } else {
                        names(&ncp)
                    }
                )));
            }
            Ok(entry)
        }
        None => match ncp.as_slice() {
            [only] => Ok(only),
            [] => Err(CliError::new(format!(
                "no ncp source in {}: add a [[providers]] entry with kind = \"ncp\"",
                config.origin
            ))),
            several => Err(CliError::new(format!(
                "several ncp sources are configured ({}): choose one with --source NAME",
                names(several)
            ))),
        },
    }
}
