//! `reginv init`: a first configuration file, commented, with one entry per provider kind this
//! binary supports. Credentials are named by environment variable, never written inline.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use crate::cli::InitArgs;
use crate::error::CliError;

/// The configuration `reginv init` writes. Every entry loads as it is; each names the
/// environment variables its keys are read from, so the file holds no secret.
pub const TEMPLATE: &str = r#"# reginv configuration, written by `reginv init`.
# Each [[providers]] entry is one source: an account in one region. `name` is your label for it
# and appears in every output row. Delete the entries you do not need; copy one to add an
# account or a region. Keys are never written here: each entry names the environment variables
# that hold them (access_key/secret_key inline also work, but keep such a file private).
# Run `reginv inventory` in this directory, or `reginv inventory --config PATH`.

# NAVER Cloud Platform Container Registry (NCR).
[[providers]]
name = "ncp-kr"
kind = "ncp"
region = "kr"                              # kr | sgn | jpn
access_key_env = "NCLOUD_ACCESS_KEY"       # the variable that holds the access key
secret_key_env = "NCLOUD_SECRET_KEY"       # the variable that holds the secret key
# endpoint = "https://ncr.apigw.ntruss.com" # the vendor's API by default
# page_size = 100                          # items per page
# max_rps = 20                             # at most this many requests per second

# Huawei Cloud SoftWare Repository for Container (SWR).
[[providers]]
name = "swr-ap-southeast-1"
kind = "huawei"
region = "ap-southeast-1"                  # the SWR region, as in its endpoint
access_key_env = "HUAWEICLOUD_SDK_AK"
secret_key_env = "HUAWEICLOUD_SDK_SK"
# project_id = "…"                         # sent as X-Project-Id (optional)
# security_token_env = "HUAWEICLOUD_SDK_SECURITY_TOKEN"   # for temporary credentials
# max_rps = 20
"#;

/// Writes [`TEMPLATE`] to the chosen file (or stdout for `-`); an existing file is kept unless
/// `--force` is given.
pub fn run(args: &InitArgs) -> Result<i32, CliError> {
    if args.output == Path::new("-") {
        let mut stdout = io::stdout().lock();
        stdout
            .write_all(TEMPLATE.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::write("stdout", &e))?;
        return Ok(0);
    }
    write_new(&args.output, args.force)?;
    eprintln!(
        "reginv: wrote {}; set the variables it names (or edit it), then run `reginv inventory{}`",
        args.output.display(),
        if args.output == Path::new(crate::config_lookup::DEFAULT_CONFIG_FILE) {
            String::new()
        } else {
            format!(" --config {}", args.output.display())
        }
    );
    Ok(0)
}

/// Creates `path` with the template. Without `force` the file must not exist: it is created
/// with `O_EXCL`, so neither an existing file nor a planted symlink is ever written through.
fn write_new(path: &Path, force: bool) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let what = path.display().to_string();
    let mut file = options.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => CliError::new(format!(
            "{what} exists already; keeping it (use --force to replace it)"
        )),
        io::ErrorKind::NotFound => CliError::new(format!(
            "cannot create {what}: its directory does not exist"
        )),
        _ => CliError::write(&what, &e),
    })?;
    file.write_all(TEMPLATE.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::write(&what, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::Config;

    #[test]
    fn the_template_loads_with_one_entry_per_kind_and_no_secret() {
        let config = Config::from_toml_str(TEMPLATE, "reginv.toml").unwrap();
        let kinds: Vec<&str> = config.providers.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, ["ncp", "huawei"]);
        for line in TEMPLATE
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
        {
            let key = line.split('=').next().unwrap_or("").trim();
            assert!(
                key != "access_key" && key != "secret_key",
                "an inline secret key: {line}"
            );
        }
    }
}
