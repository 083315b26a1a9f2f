//! Credentials from the docker CLI's `config.json`.
//!
//! Read: the `auths` map, whose keys are registry hosts (`registry.example:5000`) or URLs
//! (`https://index.docker.io/v1/`), and whose entries hold `auth` (base64 of `user:password`) or
//! `username` and `password`. Not read: credential helpers (`credsStore`, `credHelpers`) and
//! `identitytoken` (OAuth refresh tokens) are out of scope; when the entry for the registry is
//! one of those, the provider goes on anonymously and logs a warning saying so.
//!
//! Where the file is: the `docker_config` path the configuration names, else
//! `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. The home directory and the
//! variables come from the caller (the facade's `Environment`), never from the process behind it.
//!
//! ```
//! use reginv_oci::docker_config::credentials_in;
//!
//! let json = r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"YWxpY2U6czNjcjN0"}}}"#;
//! let found = credentials_in(json, "reg.example:5000")?.expect("an entry");
//! assert_eq!(found.username, "alice");
//! assert_eq!(found.password.expose(), "s3cr3t");
//! # Ok::<(), reginv_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use reginv_core::{Error, Result};
use serde::Deserialize;

use crate::auth::OciCredentials;

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The file to read: `explicit`, else `$DOCKER_CONFIG/config.json`, else
/// `{home}/.docker/config.json`; `None` when neither a variable nor a home is known.
pub fn config_path(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    if let Some(dir) = env("DOCKER_CONFIG").filter(|d| !d.trim().is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    home.map(|h| h.join(".docker").join("config.json"))
}

/// The credentials for `host` (`name[:port]`) in the file at `path`; `Ok(None)` when the file
/// does not exist or has no usable entry for the host.
pub fn credentials_from_file(path: &Path, host: &str) -> Result<Option<OciCredentials>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read the docker configuration {}: {e}",
                path.display()
            )))
        }
    };
    credentials_in(&text, host).map_err(|e| {
        Error::config(format!(
            "the docker configuration {}: {}",
            path.display(),
            e.message()
        ))
    })
}

/// The host part of an `auths` key: scheme and path dropped, lower case.
fn key_host(key: &str) -> String {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or("").to_ascii_lowercase()
}

/// The hosts that name Docker Hub in `auths`.
const DOCKER_HUB: [&str; 3] = ["index.docker.io", "registry-1.docker.io", "docker.io"];

/// The credentials for `host` in the text of a `config.json`.
pub fn credentials_in(text: &str, host: &str) -> Result<Option<OciCredentials>> {
    let config: DockerConfig =
        serde_json::from_str(text).map_err(|e| Error::config(format!("is not valid JSON: {e}")))?;
    let host = host.to_ascii_lowercase();
    let wanted = |candidate: &str| {
        candidate == host
            || (DOCKER_HUB.contains(&host.as_str()) && DOCKER_HUB.contains(&candidate))
    };
    let entry = config
        .auths
        .iter()
        .find(|(key, _)| wanted(&key_host(key)))
        .map(|(_, entry)| entry);
    let helper = config.cred_helpers.keys().any(|key| wanted(&key_host(key)))
        || config.creds_store.is_some();
    let Some(entry) = entry else {
        if helper {
            tracing::warn!(
                host = %host,
                "the docker configuration names a credential helper for this registry; \
                 credential helpers are not supported, going on anonymously"
            );
        }
        return Ok(None);
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.trim().is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| Error::config(format!("the auth of {host} is not base64 text")))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| Error::config(format!("the auth of {host} is not user:password")))?;
        return Ok(Some(OciCredentials::new(user, password)));
    }
    if let (Some(user), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(OciCredentials::new(user.clone(), password.clone())));
    }
    if entry.identitytoken.is_some() {
        tracing::warn!(host = %host, "identity tokens in the docker configuration are not supported, going on anonymously");
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entries_by_host_url_or_docker_hub_alias() {
        let json = r#"{"auths":{
            "reg.example:5000":{"username":"bob","password":"pw"},
            "https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"},
            "other.example":{"identitytoken":"x"}}}"#;
        let bob = credentials_in(json, "REG.example:5000").unwrap().unwrap();
        assert_eq!(
            (bob.username.as_str(), bob.password.expose()),
            ("bob", "pw")
        );
        let hub = credentials_in(json, "registry-1.docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.expose()),
            ("hub", "hubpw")
        );
        assert!(credentials_in(json, "other.example").unwrap().is_none());
        assert!(credentials_in(json, "reg.example").unwrap().is_none());
    }

    #[test]
    fn bad_entries_are_errors_without_the_secret() {
        let err = credentials_in(r#"{"auths":{"h":{"auth":"bm9jb2xvbg=="}}}"#, "h").unwrap_err();
        assert!(err.message().contains("user:password"));
        assert!(credentials_in("not json", "h").is_err());
    }

    #[test]
    fn the_path_follows_explicit_then_docker_config_then_home() {
        let home = Path::new("/home/u");
        let env = |name: &str| (name == "DOCKER_CONFIG").then(|| "/etc/dc".to_string());
        assert_eq!(
            config_path(Some(Path::new("/x.json")), env, Some(home)),
            Some(PathBuf::from("/x.json"))
        );
        assert_eq!(
            config_path(None, env, Some(home)),
            Some(PathBuf::from("/etc/dc/config.json"))
        );
        assert_eq!(
            config_path(None, |_| None, Some(home)),
            Some(PathBuf::from("/home/u/.docker/config.json"))
        );
        assert_eq!(config_path(None, |_| None, None), None);
    }

    #[test]
    fn a_missing_file_is_no_credentials() {
        let path = Path::new("/nonexistent/reginv/config.json");
        assert!(credentials_from_file(path, "h").unwrap().is_none());
    }
}
