//! Finding the configuration: `--config FILE`, else `./reginv.toml`, else the vendors'
//! environment variables, else a message that says exactly what to do.

use std::path::{Path, PathBuf};

use reginv::Config;

use crate::error::CliError;

/// The file looked for in the current directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "reginv.toml";

/// Where the configuration came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// A file (given with `--config`, or `./reginv.toml`).
    File(PathBuf),
    /// The vendors' environment variables.
    Environment,
}

/// Loads the configuration the way the help text describes.
pub fn find_config(explicit: Option<&Path>) -> Result<(Config, ConfigOrigin), CliError> {
    if let Some(path) = explicit {
        return load_file(path);
    }
    let default = Path::new(DEFAULT_CONFIG_FILE);
    if default.is_file() {
        return load_file(default);
    }
    match Config::from_env()? {
        Some(config) => Ok((config, ConfigOrigin::Environment)),
        None => Err(CliError::new(nothing_configured())),
    }
}

fn load_file(path: &Path) -> Result<(Config, ConfigOrigin), CliError> {
    if !path.is_file() {
        return Err(CliError::new(format!(
            "configuration file {} does not exist (or is not a file)",
            path.display()
        )));
    }
    let config = Config::load(path)?;
    Ok((config, ConfigOrigin::File(path.to_path_buf())))
}

/// The message for a run with no configuration anywhere.
pub fn nothing_configured() -> String {
    format!(
        "no configuration: no --config FILE, no ./{DEFAULT_CONFIG_FILE}, and no credentials in \
the environment.
To inventory your registries, do one of:
  - write ./{DEFAULT_CONFIG_FILE} (or pass --config FILE), for example:

        [[providers]]
        name = \"ncp-kr\"               # your label for this account/region
        kind = \"ncp\"                  # ncp | huawei
        region = \"kr\"                 # ncp: kr | sgn | jpn; huawei: e.g. ap-southeast-1
        access_key_env = \"NCLOUD_ACCESS_KEY\"
        secret_key_env = \"NCLOUD_SECRET_KEY\"

  - or set NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY (NAVER Cloud; NCLOUD_REGION, default kr),
    or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_REGION (Huawei Cloud);
  - or run `reginv demo` to see a whole inventory of the built-in emulator (no credentials needed)."
    )
}
