//! Huawei Cloud credentials and where they are found.
//!
//! Load order, as Huawei's own SDKs: the credentials given explicitly, else the environment
//! (`HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_PROJECT_ID`,
//! `HUAWEICLOUD_SDK_SECURITY_TOKEN`), else the file `~/.huaweicloud/credentials` (ini keys `ak`,
//! `sk`, `project_id`, `security_token`; the `[default]` section when the file has sections).
//! A security token makes the credentials temporary ones. Secrets never appear in `Debug` output
//! or in errors.
//!
//! ```
//! use std::collections::HashMap;
//! use reginv_huawei::credentials::{resolve_with, CredentialsOrigin};
//!
//! let env: HashMap<&str, &str> = [
//!     ("HUAWEICLOUD_SDK_AK", "AK"),
//!     ("HUAWEICLOUD_SDK_SK", "SK"),
//!     ("HUAWEICLOUD_SDK_PROJECT_ID", "p-1"),
//! ].into();
//! let resolved = resolve_with(None, |k| env.get(k).map(|v| v.to_string()), None).unwrap();
//! assert_eq!(resolved.origin, CredentialsOrigin::Environment);
//! assert_eq!(resolved.project_id.as_deref(), Some("p-1"));
//! assert!(!format!("{resolved:?}").contains("\"SK\""));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use reginv_core::{AccessKeyPair, Environment, Error, Result, SecretString};

use crate::signing::HuaweiSigner;

/// The access key environment variable.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// The secret key environment variable.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// The project id environment variable.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// The security token environment variable (temporary credentials).
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// The credentials file, relative to the home directory.
pub const CREDENTIALS_FILE: &str = ".huaweicloud/credentials";

/// How requests to SWR authenticate. `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HuaweiCredentials {
    /// A permanent access key / secret key pair (`SDK-HMAC-SHA256` signing).
    AkSk(AccessKeyPair),
    /// Temporary credentials: a key pair and its security token (`X-Security-Token`).
    Temporary {
        /// The temporary key pair.
        keys: AccessKeyPair,
        /// The security token that goes with it.
        security_token: SecretString,
    },
    /// An IAM token (`X-Auth-Token`), no signature.
    Token(SecretString),
}

impl HuaweiCredentials {
    /// Permanent AK/SK credentials.
    pub fn aksk(access_key: impl Into<String>, secret_key: impl Into<SecretString>) -> Self {
        HuaweiCredentials::AkSk(AccessKeyPair::new(access_key, secret_key))
    }

    /// Temporary AK/SK credentials with their security token.
    pub fn temporary(
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
        security_token: impl Into<SecretString>,
    ) -> Self {
        HuaweiCredentials::Temporary {
            keys: AccessKeyPair::new(access_key, secret_key),
            security_token: security_token.into(),
        }
    }

    /// IAM token authentication.
    pub fn token(token: impl Into<SecretString>) -> Self {
        HuaweiCredentials::Token(token.into())
    }

    /// Checks that nothing required is empty.
    pub fn validate(&self) -> Result<()> {
        let keys_ok = |k: &AccessKeyPair| -> Result<()> {
            if k.access_key.trim().is_empty() {
                return Err(Error::config("the Huawei Cloud access key (AK) is empty"));
            }
            if k.secret_key.is_empty() {
                return Err(Error::config("the Huawei Cloud secret key (SK) is empty"));
            }
            Ok(())
        };
        match self {
            HuaweiCredentials::AkSk(keys) => keys_ok(keys),
            HuaweiCredentials::Temporary {
                keys,
                security_token,
            } => {
                keys_ok(keys)?;
                if security_token.is_empty() {
                    return Err(Error::config("the Huawei Cloud security token is empty"));
                }
                Ok(())
            }
            HuaweiCredentials::Token(token) if token.is_empty() => {
                Err(Error::config("the Huawei Cloud IAM token is empty"))
            }
            HuaweiCredentials::Token(_) => Ok(()),
        }
    }

    /// The signer for these credentials, sending `X-Project-Id` when `project_id` is set.
    pub fn signer(&self, project_id: Option<&str>) -> HuaweiSigner {
        let signer = match self {
            HuaweiCredentials::AkSk(keys) => HuaweiSigner::aksk(keys.clone()),
            HuaweiCredentials::Temporary {
                keys,
                security_token,
            } => HuaweiSigner::temporary(keys.clone(), security_token.clone()),
            HuaweiCredentials::Token(token) => HuaweiSigner::token(token.clone()),
        };
        match project_id {
            Some(p) => signer.with_project_id(p),
            None => signer,
        }
    }
}

impl fmt::Debug for HuaweiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HuaweiCredentials::AkSk(keys) => f.debug_tuple("AkSk").field(keys).finish(),
            HuaweiCredentials::Temporary { keys, .. } => f
                .debug_struct("Temporary")
                .field("keys", keys)
                .field("security_token", &"***")
                .finish(),
            HuaweiCredentials::Token(_) => f.debug_tuple("Token").field(&"***").finish(),
        }
    }
}

/// Where resolved credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsOrigin {
    /// Given in the configuration.
    Explicit,
    /// The `HUAWEICLOUD_SDK_*` environment variables.
    Environment,
    /// The credentials file at this path.
    File(PathBuf),
}

impl std::fmt::Display for CredentialsOrigin {
    /// Where the credentials came from, in words for error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsOrigin::Explicit => f.write_str("the keys given to the provider"),
            CredentialsOrigin::Environment => {
                write!(f, "the environment variables {ENV_AK} and {ENV_SK}")
            }
            CredentialsOrigin::File(path) => write!(f, "the file {}", path.display()),
        }
    }
}

/// Credentials and the project id found with them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedCredentials {
    /// The credentials.
    pub credentials: HuaweiCredentials,
    /// The project id found alongside (environment or file); `None` for explicit credentials.
    pub project_id: Option<String>,
    /// Where they came from.
    pub origin: CredentialsOrigin,
}

/// Resolves credentials from `explicit`, else the process environment, else
/// `~/.huaweicloud/credentials` (home from `HOME`, or `USERPROFILE` on Windows).
pub fn resolve(explicit: Option<HuaweiCredentials>) -> Result<ResolvedCredentials> {
    resolve_in(explicit, &Environment::process())
}

/// [`resolve`] from `env`'s variables and `.huaweicloud/credentials` in `env`'s home directory:
/// nothing is read from anywhere else.
pub fn resolve_in(
    explicit: Option<HuaweiCredentials>,
    env: &Environment,
) -> Result<ResolvedCredentials> {
    let home = env.home_dir();
    resolve_with(explicit, |k| env.var(k), home.as_deref())
}

/// [`resolve`] with the environment read through `env` and the home directory given, for tests
/// and for embedders with their own configuration sources. A missing or incomplete source is an
/// [`InvalidConfig`](reginv_core::ErrorKind::InvalidConfig) error that names what was looked for.
pub fn resolve_with(
    explicit: Option<HuaweiCredentials>,
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<ResolvedCredentials> {
    if let Some(credentials) = explicit {
        credentials.validate()?;
        return Ok(ResolvedCredentials {
            credentials,
            project_id: None,
            origin: CredentialsOrigin::Explicit,
        });
    }
    let var = |name: &str| {
        env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (ak, sk) = (var(ENV_AK), var(ENV_SK));
    if ak.is_some() || sk.is_some() {
        let (Some(ak), Some(sk)) = (ak, sk) else {
            return Err(Error::config(format!(
                "incomplete Huawei Cloud credentials in the environment: {ENV_AK} and {ENV_SK} \
                 must both be set"
            )));
        };
        return Ok(ResolvedCredentials {
            credentials: build(ak, sk, var(ENV_SECURITY_TOKEN)),
            project_id: var(ENV_PROJECT_ID),
            origin: CredentialsOrigin::Environment,
        });
    }
    let Some(home) = home else {
        return Err(Error::config(format!(
            "no Huawei Cloud credentials: none configured, {ENV_AK}/{ENV_SK} not set, and no home \
             directory to look for ~/{CREDENTIALS_FILE} in"
        )));
    };
    let path = home.join(CREDENTIALS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::config(format!(
                "no Huawei Cloud credentials: none configured, {ENV_AK}/{ENV_SK} not set, and {} \
                 does not exist",
                path.display()
            )))
        }
        Err(e) => {
            return Err(Error::config(format!(
                "could not read Huawei Cloud credentials file {}: {e}",
                path.display()
            )))
        }
    };
    let file = CredentialsFile::parse(&text);
    let (Some(ak), Some(sk)) = (file.get("ak"), file.get("sk")) else {
        return Err(Error::config(format!(
            "Huawei Cloud credentials file {} lacks `ak` and/or `sk`",
            path.display()
        )));
    };
    Ok(ResolvedCredentials {
        credentials: build(ak, sk, file.get("security_token")),
        project_id: file.get("project_id"),
        origin: CredentialsOrigin::File(path),
    })
}

fn build(ak: String, sk: String, security_token: Option<String>) -> HuaweiCredentials {
    match security_token {
        Some(token) => HuaweiCredentials::temporary(ak, sk, token),
        None => HuaweiCredentials::aksk(ak, sk),
    }
}

/// The key/value pairs of the credentials file: the `[default]` section when there is one,
/// else the keys before any section, else the first section.
struct CredentialsFile {
    pairs: Vec<(String, String)>,
}

impl CredentialsFile {
    fn parse(text: &str) -> CredentialsFile {
        // (section, key, value) in file order; section "" before any header.
        let mut entries: Vec<(String, String, String)> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_ascii_lowercase();
                continue;
            }
            let Some((key, value)) = line.split_once('=').or_else(|| line.split_once(':')) else {
                continue;
            };
            let value = value
                .trim()
                .trim_matches('"')
                .trim_matches('\'')
                .to_string();
            entries.push((section.clone(), key.trim().to_ascii_lowercase(), value));
        }
        let chosen = ["default", ""]
            .iter()
            .map(|s| s.to_string())
            .find(|s| entries.iter().any(|(sec, _, _)| sec == s))
            .or_else(|| entries.first().map(|(sec, _, _)| sec.clone()));
        let pairs = match chosen {
            Some(chosen) => entries
                .into_iter()
                .filter(|(sec, _, _)| *sec == chosen)
                .map(|(_, k, v)| (k, v))
                .collect(),
            None => Vec::new(),
        };
        CredentialsFile { pairs }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv_core::ErrorKind;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempHome(PathBuf);

    impl TempHome {
        fn new(tag: &str) -> TempHome {
            let dir = std::env::temp_dir().join(format!(
                "reginv-huawei-cred-{tag}-{}-{}",
                std::process::id(),
                chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
            ));
            std::fs::create_dir_all(dir.join(".huaweicloud")).unwrap();
            TempHome(dir)
        }
        fn write(&self, text: &str) {
            std::fs::write(self.0.join(CREDENTIALS_FILE), text).unwrap();
        }
    }

    impl Drop for TempHome {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn explicit_credentials_win_over_everything() {
        let env = env_of(&[(ENV_AK, "env-ak"), (ENV_SK, "env-sk")]);
        let r = resolve_with(Some(HuaweiCredentials::token("tok")), env, None).unwrap();
        assert_eq!(r.origin, CredentialsOrigin::Explicit);
        assert_eq!(r.credentials, HuaweiCredentials::token("tok"));
        assert_eq!(r.project_id, None);
    }

    #[test]
    fn explicit_empty_credentials_are_rejected() {
        for creds in [
            HuaweiCredentials::aksk("", "sk"),
            HuaweiCredentials::aksk("ak", ""),
            HuaweiCredentials::token(""),
            HuaweiCredentials::temporary("ak", "sk", ""),
        ] {
            let err = resolve_with(Some(creds), env_of(&[]), None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        }
    }

    #[test]
    fn environment_gives_keys_project_and_security_token() {
        let env = env_of(&[
            (ENV_AK, "AK1"),
            (ENV_SK, "SK1"),
            (ENV_PROJECT_ID, "proj"),
            (ENV_SECURITY_TOKEN, "sts"),
        ]);
        let r = resolve_with(None, env, None).unwrap();
        assert_eq!(r.origin, CredentialsOrigin::Environment);
        assert_eq!(
            r.credentials,
            HuaweiCredentials::temporary("AK1", "SK1", "sts")
        );
        assert_eq!(r.project_id.as_deref(), Some("proj"));

        let r = resolve_with(None, env_of(&[(ENV_AK, "AK1"), (ENV_SK, "SK1")]), None).unwrap();
        assert_eq!(r.credentials, HuaweiCredentials::aksk("AK1", "SK1"));
        assert_eq!(r.project_id, None);
    }

    #[test]
    fn half_an_environment_is_an_error_naming_both_variables() {
        let home = TempHome::new("half");
        home.write("ak = fileak\nsk = filesk\n");
        let err = resolve_with(None, env_of(&[(ENV_AK, "AK1")]), Some(&home.0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains(ENV_SK), "{err}");
    }

    #[test]
    fn the_file_is_read_when_the_environment_is_empty() {
        let home = TempHome::new("file");
        home.write(
            "# Huawei Cloud\n[default]\nak = FILEAK\nsk = \"FILESK\"\nproject_id=p-9\n\n\
             [other]\nak = nope\nsk = nope\n",
        );
        let env = env_of(&[(ENV_AK, "  "), (ENV_SK, "")]);
        let r = resolve_with(None, env, Some(&home.0)).unwrap();
        assert_eq!(r.credentials, HuaweiCredentials::aksk("FILEAK", "FILESK"));
        assert_eq!(r.project_id.as_deref(), Some("p-9"));
        assert_eq!(
            r.origin,
            CredentialsOrigin::File(home.0.join(CREDENTIALS_FILE))
        );
    }

    #[test]
    fn a_file_without_sections_and_with_a_security_token() {
        let home = TempHome::new("nosection");
        home.write("AK=a\nSK=b\nsecurity_token = t\n");
        let r = resolve_with(None, env_of(&[]), Some(&home.0)).unwrap();
        assert_eq!(r.credentials, HuaweiCredentials::temporary("a", "b", "t"));
    }

    #[test]
    fn missing_everywhere_names_what_was_looked_for() {
        let home = TempHome::new("missing");
        let err = resolve_with(None, env_of(&[]), Some(&home.0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let text = err.to_string();
        assert!(text.contains(ENV_AK) && text.contains(ENV_SK), "{text}");
        assert!(text.contains(".huaweicloud"), "{text}");

        let err = resolve_with(None, env_of(&[]), None).unwrap_err();
        assert!(err.to_string().contains(CREDENTIALS_FILE), "{err}");
    }

    #[test]
    fn an_incomplete_file_is_an_error_without_its_contents() {
        let home = TempHome::new("incomplete");
        home.write("[default]\nak = VISIBLE-AK\n");
        let err = resolve_with(None, env_of(&[]), Some(&home.0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("`sk`"), "{err}");
        assert!(!err.to_string().contains("VISIBLE-AK"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            HuaweiCredentials::aksk("AKID", "secret-sk-value"),
            HuaweiCredentials::temporary("AKID", "secret-sk-value", "secret-sts-value"),
            HuaweiCredentials::token("secret-token-value"),
        ];
        for c in &all {
            let text = format!("{c:?} {c:#?}");
            assert!(!text.contains("secret-"), "{text}");
            let signer = format!("{:?}", c.signer(Some("p")));
            assert!(!signer.contains("secret-"), "{signer}");
        }
        assert!(format!("{:?}", all[0]).contains("AKID"));
    }
}
