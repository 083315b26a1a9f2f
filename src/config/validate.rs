//! The rules every provider entry follows, whether it came from a file, the environment or code.

use std::collections::BTreeMap;

use crate::core::{Error, Result};

use super::{Config, Location, ProviderConfig, KINDS};

/// The largest page size a configuration may ask for (SWR's limit; NCR publishes none).
pub(crate) const MAX_PAGE_SIZE: u32 = 1000;

/// Checks every entry of `config` and that names are unique.
pub(crate) fn validate_config(config: &Config) -> Result<()> {
    for (index, entry) in config.providers.iter().enumerate() {
        let location = Location {
            origin: config.origin.clone(),
            index: Some(index),
            name: Some(entry.name.as_str()).filter(|n| !n.is_empty()),
        };
        validate_entry(entry, &|key, message| location.error(Some(key), message))?;
    }
    check_unique_names(
        config.providers.iter().map(|p| p.name.as_str()),
        &|index, message| {
            Location {
                origin: config.origin.clone(),
                index: Some(index),
                name: None,
            }
            .error(Some("name"), message)
        },
    )
}

/// Checks that no name is used twice; `error(index, message)` builds the error for the
/// second use.
pub(crate) fn check_unique_names<'a>(
    names: impl Iterator<Item = &'a str>,
    error: &dyn Fn(usize, String) -> Error,
) -> Result<()> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, name) in names.enumerate() {
        if let Some(earlier) = first.insert(name, index) {
            return Err(error(
                index,
                format!("the name {name:?} is already used by providers[{earlier}]; names must be unique"),
            ));
        }
    }
    Ok(())
}

fn non_empty(
    value: &Option<String>,
    key: &str,
    error: &dyn Fn(&str, String) -> Error,
) -> Result<()> {
    match value {
        Some(v) if v.trim().is_empty() => Err(error(key, "must not be empty".to_string())),
        _ => Ok(()),
    }
}

/// Checks one entry; `error(key, message)` builds the error naming where it is.
pub(crate) fn validate_entry(
    entry: &ProviderConfig,
    error: &dyn Fn(&str, String) -> Error,
) -> Result<()> {
    if entry.name.trim().is_empty() {
        return Err(error("name", "must not be empty".to_string()));
    }
    if !KINDS.contains(&entry.kind.as_str()) {
        let hint = match entry.kind.as_str() {
            "ncp" | "huawei" | "oci" => format!(
                "this build of reginv has no {} backend (enable the cargo feature `{}`)",
                entry.kind, entry.kind
            ),
            _ => format!(
                "unknown kind {:?}; expected one of: {}",
                entry.kind,
                ["ncp", "huawei", "oci"].join(", ")
            ),
        };
        return Err(error("kind", hint));
    }
    let huawei = entry.kind == "huawei";
    if entry.kind == "oci" {
        return validate_oci(entry, error);
    }
    for (key, set) in [
        ("username", entry.username.is_some()),
        ("password", entry.password.is_some()),
        ("username_env", entry.username_env.is_some()),
        ("password_env", entry.password_env.is_some()),
        ("docker_config", entry.docker_config.is_some()),
        ("repositories", entry.repositories.is_some()),
        ("group_by", entry.group_by.is_some()),
        ("details", entry.details.is_some()),
    ] {
        if set {
            return Err(error(
                key,
                format!("applies to kind \"oci\" only, not {:?}", entry.kind),
            ));
        }
    }
    if entry.region.trim().is_empty() {
        return Err(error("region", "must not be empty".to_string()));
    }
    if huawei {
        let valid = entry
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(error(
                "region",
                format!(
                    "{:?} is not a Huawei Cloud region (expected e.g. ap-southeast-1)",
                    entry.region
                ),
            ));
        }
    } else {
        check_ncp_region(&entry.region).map_err(|e| error("region", e.message().to_string()))?;
    }
    if let Some(endpoint) = &entry.endpoint {
        check_endpoint(endpoint).map_err(|message| error("endpoint", message))?;
    }
    non_empty(&entry.access_key, "access_key", error)?;
    if entry
        .secret_key
        .as_ref()
        .is_some_and(|s| s.expose().trim().is_empty())
    {
        return Err(error("secret_key", "must not be empty".to_string()));
    }
    for (key, value) in [
        ("access_key_env", &entry.access_key_env),
        ("secret_key_env", &entry.secret_key_env),
        ("security_token_env", &entry.security_token_env),
        ("token_env", &entry.token_env),
        ("project_id", &entry.project_id),
    ] {
        non_empty(value, key, error)?;
    }
    if entry.access_key.is_some() && entry.access_key_env.is_some() {
        return Err(error(
            "access_key_env",
            "give access_key or access_key_env, not both".to_string(),
        ));
    }
    if entry.secret_key.is_some() && entry.secret_key_env.is_some() {
        return Err(error(
            "secret_key_env",
            "give secret_key or secret_key_env, not both".to_string(),
        ));
    }
    let has_access = entry.access_key.is_some() || entry.access_key_env.is_some();
    let has_secret = entry.secret_key.is_some() || entry.secret_key_env.is_some();
    if has_access && !has_secret {
        let key = if entry.access_key.is_some() {
            "access_key"
        } else {
            "access_key_env"
        };
        return Err(error(
            key,
            "is given without secret_key or secret_key_env".to_string(),
        ));
    }
    if has_secret && !has_access {
        let key = if entry.secret_key.is_some() {
            "secret_key"
        } else {
            "secret_key_env"
        };
        return Err(error(
            key,
            "is given without access_key or access_key_env".to_string(),
        ));
    }
    for (key, set) in [
        ("project_id", entry.project_id.is_some()),
        ("security_token_env", entry.security_token_env.is_some()),
        ("token_env", entry.token_env.is_some()),
    ] {
        if set && !huawei {
            return Err(error(
                key,
                format!("applies to kind \"huawei\" only, not {:?}", entry.kind),
            ));
        }
    }
    if entry.token_env.is_some() && (has_access || entry.security_token_env.is_some()) {
        return Err(error(
            "token_env",
            "an IAM token replaces the keys: give token_env or keys (with security_token_env), \
             not both"
                .to_string(),
        ));
    }
    if entry.security_token_env.is_some() && !has_access {
        return Err(error(
            "security_token_env",
            "a security token goes with temporary keys: give access_key(_env) and \
             secret_key(_env) too"
                .to_string(),
        ));
    }
    if let Some(size) = entry.page_size {
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(error(
                "page_size",
                format!("must be between 1 and {MAX_PAGE_SIZE}, got {size}"),
            ));
        }
    }
    if let Some(rps) = entry.max_rps {
        if !(rps.is_finite() && rps > 0.0) {
            return Err(error(
                "max_rps",
                format!("must be a number above 0, got {rps}"),
            ));
        }
    }
    Ok(())
}

/// The rules of a `kind = "oci"` entry: an endpoint, no region or access keys, credentials as
/// a user name and a password (inline or from variables) or none.
fn validate_oci(entry: &ProviderConfig, error: &dyn Fn(&str, String) -> Error) -> Result<()> {
    let Some(endpoint) = &entry.endpoint else {
        return Err(error(
            "endpoint",
            "is required for kind \"oci\": the registry's https://host[:port]".to_string(),
        ));
    };
    check_endpoint(endpoint).map_err(|message| error("endpoint", message))?;
    for (key, set) in [
        ("region", !entry.region.is_empty()),
        ("access_key", entry.access_key.is_some()),
        ("secret_key", entry.secret_key.is_some()),
        ("access_key_env", entry.access_key_env.is_some()),
        ("secret_key_env", entry.secret_key_env.is_some()),
        ("project_id", entry.project_id.is_some()),
        ("security_token_env", entry.security_token_env.is_some()),
        ("token_env", entry.token_env.is_some()),
    ] {
        if set {
            return Err(error(
                key,
                "does not apply to kind \"oci\" (credentials are username/password, their \
                 _env keys, or docker_config)"
                    .to_string(),
            ));
        }
    }
    for (key, value) in [
        ("username", &entry.username),
        ("username_env", &entry.username_env),
        ("password_env", &entry.password_env),
        ("docker_config", &entry.docker_config),
    ] {
        non_empty(value, key, error)?;
    }
    if entry
        .password
        .as_ref()
        .is_some_and(|s| s.expose().trim().is_empty())
    {
        return Err(error("password", "must not be empty".to_string()));
    }
    for (one, other, both) in [
        (
            "username",
            "username_env",
            entry.username.is_some() && entry.username_env.is_some(),
        ),
        (
            "password",
            "password_env",
            entry.password.is_some() && entry.password_env.is_some(),
        ),
    ] {
        if both {
            return Err(error(other, format!("give {one} or {other}, not both")));
        }
    }
    let has_user = entry.username.is_some() || entry.username_env.is_some();
    let has_password = entry.password.is_some() || entry.password_env.is_some();
    if has_user != has_password {
        let key = if has_user { "username" } else { "password" };
        return Err(error(
            key,
            "needs both a user name and a password (or neither)".to_string(),
        ));
    }
    if let Some(group_by) = &entry.group_by {
        if !matches!(group_by.as_str(), "host" | "first_segment") {
            return Err(error(
                "group_by",
                "must be \"host\" or \"first_segment\"".to_string(),
            ));
        }
    }
    if let Some(size) = entry.page_size {
        if size == 0 {
            return Err(error("page_size", "must be at least 1".to_string()));
        }
    }
    if let Some(rps) = entry.max_rps {
        if !(rps.is_finite() && rps > 0.0) {
            return Err(error(
                "max_rps",
                format!("must be a number above 0, got {rps}"),
            ));
        }
    }
    Ok(())
}

#[cfg(feature = "ncp")]
fn check_ncp_region(region: &str) -> Result<()> {
    reginv_ncp::NcpRegion::parse(region).map(|_| ())
}

#[cfg(not(feature = "ncp"))]
fn check_ncp_region(_region: &str) -> Result<()> {
    Ok(())
}

/// An endpoint is an `http` or `https` URL with a host.
fn check_endpoint(endpoint: &str) -> std::result::Result<(), String> {
    let url = crate::core::http::Url::parse(endpoint.trim())
        .map_err(|e| format!("{endpoint:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{endpoint:?} must start with https:// (or http:// for a local emulator)"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{endpoint:?} has no host"));
    }
    Ok(())
}
