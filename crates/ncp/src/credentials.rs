//! Where NCP access keys come from: explicit keys, else the environment, else the ncloud CLI's
//! configuration file.
//!
//! The order and the names are those of NAVER Cloud's own tools:
//!
//! 1. the keys given explicitly ([`NcpConfig::credentials`](crate::NcpConfig::credentials));
//! 2. `NCLOUD_ACCESS_KEY` (alias `NCLOUD_ACCESS_KEY_ID`) and `NCLOUD_SECRET_KEY` (alias
//!    `NCLOUD_SECRET_ACCESS_KEY`); empty values count as unset;
//! 3. `~/.ncloud/configure`, lines `ncloud_access_key_id = …` and
//!    `ncloud_secret_access_key = …` outside any section or in its `[DEFAULT]` section.
//!
//! When nothing is found the error names everything that was looked for. Errors never carry the
//! secret.
//!
//! ```
//! use std::collections::HashMap;
//! use reginv_ncp::credentials::resolve_with;
//!
//! let env = HashMap::from([
//!     ("NCLOUD_ACCESS_KEY_ID", "AKID"),
//!     ("NCLOUD_SECRET_ACCESS_KEY", "secret"),
//! ]);
//! let keys = resolve_with(None, |name| env.get(name).map(|v| v.to_string()), None)?;
//! assert_eq!(keys.access_key, "AKID");
//! # Ok::<(), reginv_core::Error>(())
//! ```

use std::path::Path;

use reginv_core::{AccessKeyPair, Environment, Error, Result};

/// The environment variables holding the access key, in the order they are read.
pub const ACCESS_KEY_VARS: [&str; 2] = ["NCLOUD_ACCESS_KEY", "NCLOUD_ACCESS_KEY_ID"];
/// The environment variables holding the secret key, in the order they are read.
pub const SECRET_KEY_VARS: [&str; 2] = ["NCLOUD_SECRET_KEY", "NCLOUD_SECRET_ACCESS_KEY"];
/// The ncloud configuration file, relative to the home directory.
pub const CONFIG_FILE: &str = ".ncloud/configure";
/// The access key entry of the configuration file.
pub const FILE_ACCESS_KEY: &str = "ncloud_access_key_id";
/// The secret key entry of the configuration file.
pub const FILE_SECRET_KEY: &str = "ncloud_secret_access_key";

/// Resolves credentials from `explicit`, the process environment and `~/.ncloud/configure`.
pub fn resolve(explicit: Option<AccessKeyPair>) -> Result<AccessKeyPair> {
    resolve_in(explicit, &Environment::process())
}

/// Resolves credentials from `explicit`, then `env`'s variables, then `.ncloud/configure` in
/// `env`'s home directory: nothing is read from anywhere else.
pub fn resolve_in(explicit: Option<AccessKeyPair>, env: &Environment) -> Result<AccessKeyPair> {
    let home = env.home_dir();
    resolve_with(explicit, |name| env.var(name), home.as_deref())
}

/// Resolves credentials from `explicit`, then the variables `env` returns, then
/// `{home}/.ncloud/configure` (skipped when `home` is `None`). The testable form of [`resolve`].
pub fn resolve_with(
    explicit: Option<AccessKeyPair>,
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<AccessKeyPair> {
    if let Some(keys) = explicit {
        if keys.access_key.trim().is_empty() || keys.secret_key.is_empty() {
            return Err(Error::config(
                "the explicit NCP credentials have an empty access key or secret key",
            ));
        }
        return Ok(keys);
    }
    if let Some(keys) = from_env(&env)? {
        return Ok(keys);
    }
    let file = home.map(|h| h.join(CONFIG_FILE));
    if let Some(path) = &file {
        if let Some(keys) = from_file(path)? {
            return Ok(keys);
        }
    }
    let looked_in = match &file {
        Some(path) => format!(
            "{} (keys {FILE_ACCESS_KEY}, {FILE_SECRET_KEY})",
            path.display()
        ),
        None => format!("~/{CONFIG_FILE} (no home directory is known)"),
    };
    Err(Error::config(format!(
        "no NCP credentials found: give them explicitly, or set {} (or {}) and {} (or {}), or \
         write them to {looked_in}",
        ACCESS_KEY_VARS[0], ACCESS_KEY_VARS[1], SECRET_KEY_VARS[0], SECRET_KEY_VARS[1]
    )))
}

/// Where [`resolve_in`] takes the credentials from, in words for error messages (never the
/// secret): `explicit` ones, else the first of `env`'s variables set, else the configuration
/// file in `env`'s home directory.
pub fn describe_source(explicit: bool, env: &Environment) -> String {
    if explicit {
        return "the keys given to the provider".to_string();
    }
    let home_dir = env.home_dir();
    let env = |name: &str| env.var(name);
    if let (Some(_), Some(secret)) = (
        first_set_name(&env, &ACCESS_KEY_VARS),
        first_set_name(&env, &SECRET_KEY_VARS),
    ) {
        return format!("the environment variable {secret}");
    }
    match home_dir {
        Some(home) => format!("the file {}", home.join(CONFIG_FILE).display()),
        None => format!("~/{CONFIG_FILE}"),
    }
}

/// The name of the first of `names` that is set to a non-empty value.
fn first_set_name(
    env: &impl Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<&'static str> {
    names
        .iter()
        .copied()
        .find(|name| env(name).is_some_and(|v| !v.trim().is_empty()))
}

fn first_set(env: &impl Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| env(name))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Option<AccessKeyPair>> {
    let access = first_set(env, &ACCESS_KEY_VARS);
    let secret = first_set(env, &SECRET_KEY_VARS);
    match (access, secret) {
        (Some(access), Some(secret)) => Ok(Some(AccessKeyPair::new(access, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::config(format!(
            "{} (or {}) is set but neither {} nor {} is",
            ACCESS_KEY_VARS[0], ACCESS_KEY_VARS[1], SECRET_KEY_VARS[0], SECRET_KEY_VARS[1]
        ))),
        (None, Some(_)) => Err(Error::config(format!(
            "{} (or {}) is set but neither {} nor {} is",
            SECRET_KEY_VARS[0], SECRET_KEY_VARS[1], ACCESS_KEY_VARS[0], ACCESS_KEY_VARS[1]
        ))),
    }
}

fn from_file(path: &Path) -> Result<Option<AccessKeyPair>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "could not read {}: {e}",
                path.display()
            )))
        }
    };
    let (access, secret) = parse_configure(&text);
    match (access, secret) {
        (Some(access), Some(secret)) => Ok(Some(AccessKeyPair::new(access, secret))),
        (None, None) => Ok(None),
        (access, _) => {
            let missing = if access.is_none() {
                FILE_ACCESS_KEY
            } else {
                FILE_SECRET_KEY
            };
            Err(Error::config(format!(
                "{} has no {missing} entry (outside any section or in [DEFAULT])",
                path.display()
            )))
        }
    }
}

/// Reads `ncloud_access_key_id` and `ncloud_secret_access_key` from the text of an ncloud
/// `configure` file: entries outside any section or in `[DEFAULT]`; `#` and `;` start comments;
/// empty values count as missing.
pub fn parse_configure(text: &str) -> (Option<String>, Option<String>) {
    let mut access = None;
    let mut secret = None;
    let mut in_default = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_default = section.trim().eq_ignore_ascii_case("default");
            continue;
        }
        if !in_default {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            FILE_ACCESS_KEY if access.is_none() => access = Some(value.to_string()),
            FILE_SECRET_KEY if secret.is_none() => secret = Some(value.to_string()),
            _ => {}
        }
    }
    (access, secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ErrorKind;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempHome(PathBuf);

    impl TempHome {
        fn new(tag: &str, configure: Option<&str>) -> TempHome {
            let dir = std::env::temp_dir().join(format!(
                "reginv-ncp-cred-{tag}-{}-{}",
                std::process::id(),
                unique_suffix()
            ));
            std::fs::create_dir_all(dir.join(".ncloud")).unwrap();
            if let Some(text) = configure {
                std::fs::write(dir.join(CONFIG_FILE), text).unwrap();
            }
            TempHome(dir)
        }
    }

    impl Drop for TempHome {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn unique_suffix() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::SeqCst)
    }

    const FILE: &str = "# ncloud\n[DEFAULT]\nncloud_access_key_id = FILEKEY\nncloud_secret_access_key = filesecret\nncloud_api_url = https://ncloud.apigw.ntruss.com\n\n[other]\nncloud_access_key_id = OTHER\n";

    #[test]
    fn explicit_wins_over_env_and_file() {
        let home = TempHome::new("explicit", Some(FILE));
        let keys = resolve_with(
            Some(AccessKeyPair::new("EXPLICIT", "x")),
            env(&[("NCLOUD_ACCESS_KEY", "ENV"), ("NCLOUD_SECRET_KEY", "y")]),
            Some(&home.0),
        )
        .unwrap();
        assert_eq!(keys.access_key, "EXPLICIT");
        assert_eq!(keys.secret_key.expose(), "x");
    }

    #[test]
    fn env_wins_over_file_and_primary_names_win_over_aliases() {
        let home = TempHome::new("env", Some(FILE));
        let keys = resolve_with(
            None,
            env(&[
                ("NCLOUD_ACCESS_KEY", "ENV"),
                ("NCLOUD_ACCESS_KEY_ID", "ALIAS"),
                ("NCLOUD_SECRET_KEY", "envsecret"),
                ("NCLOUD_SECRET_ACCESS_KEY", "aliassecret"),
            ]),
            Some(&home.0),
        )
        .unwrap();
        assert_eq!(keys.access_key, "ENV");
        assert_eq!(keys.secret_key.expose(), "envsecret");

        let keys = resolve_with(
            None,
            env(&[
                ("NCLOUD_ACCESS_KEY", ""),
                ("NCLOUD_ACCESS_KEY_ID", "ALIAS"),
                ("NCLOUD_SECRET_ACCESS_KEY", "aliassecret"),
            ]),
            Some(&home.0),
        )
        .unwrap();
        assert_eq!(keys.access_key, "ALIAS");
        assert_eq!(keys.secret_key.expose(), "aliassecret");
    }

    #[test]
    fn the_file_is_read_when_the_env_is_empty() {
        let home = TempHome::new("file", Some(FILE));
        let keys = resolve_with(None, env(&[]), Some(&home.0)).unwrap();
        assert_eq!(keys.access_key, "FILEKEY");
        assert_eq!(keys.secret_key.expose(), "filesecret");
    }

    #[test]
    fn half_set_env_is_an_error_naming_the_missing_variable() {
        let err = resolve_with(None, env(&[("NCLOUD_ACCESS_KEY", "AK")]), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("NCLOUD_SECRET_KEY"), "{err}");
    }

    #[test]
    fn missing_everywhere_names_what_was_looked_for() {
        let home = TempHome::new("missing", None);
        let err = resolve_with(None, env(&[]), Some(&home.0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let text = err.to_string();
        for wanted in [
            "NCLOUD_ACCESS_KEY",
            "NCLOUD_ACCESS_KEY_ID",
            "NCLOUD_SECRET_KEY",
            "NCLOUD_SECRET_ACCESS_KEY",
            ".ncloud/configure",
            "ncloud_access_key_id",
        ] {
            assert!(text.contains(wanted), "{wanted} missing from {text}");
        }
        let err = resolve_with(None, env(&[]), None).unwrap_err();
        assert!(err.to_string().contains("no home directory"), "{err}");
    }

    #[test]
    fn a_file_with_only_one_key_names_the_other() {
        let home = TempHome::new("half", Some("ncloud_access_key_id = AK\n"));
        let err = resolve_with(None, env(&[]), Some(&home.0)).unwrap_err();
        assert!(
            err.to_string().contains("ncloud_secret_access_key"),
            "{err}"
        );
    }

    #[test]
    fn explicit_empty_keys_are_refused_without_printing_the_secret() {
        let err =
            resolve_with(Some(AccessKeyPair::new("", "topsecret")), env(&[]), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(!err.to_string().contains("topsecret"));
    }

    #[test]
    fn configure_parsing_ignores_other_sections_and_comments() {
        let (a, s) = parse_configure(
            "[prod]\nncloud_access_key_id = PROD\n[DEFAULT]\n; c\nncloud_access_key_id=DEF\nncloud_secret_access_key =  sec \n",
        );
        assert_eq!(a.as_deref(), Some("DEF"));
        assert_eq!(s.as_deref(), Some("sec"));
        assert_eq!(
            parse_configure("[prod]\nncloud_access_key_id = P\n"),
            (None, None)
        );
    }
}
