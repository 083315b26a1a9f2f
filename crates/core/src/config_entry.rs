//! [`ConfigEntry`]: one configured source as a key → value table that remembers where each key
//! was written, so a backend reading its own keys reports errors that name the file, the line,
//! the entry and the key.
//!
//! The facade parses the configuration file into entries; each backend owns the keys of its
//! kind and reads them with the typed readers here ([`string`](ConfigEntry::string),
//! [`integer`](ConfigEntry::integer), …), which refuse a value of the wrong type without
//! echoing it (it may be a secret). The keys every HTTP backend shares (endpoint, page size,
//! rate cap, insecure opt-in, access keys) are read once, in
//! [`ClientOptions::from_entry`](crate::ClientOptions::from_entry) and
//! [`ConfigEntry::access_keys`].
//!
//! ```
//! use reginv_core::{ConfigEntry, Environment, ErrorKind};
//!
//! let entry = ConfigEntry::new("ncp-kr", "ncp")
//!     .with("region", "kr")
//!     .with("access_key_env", "MY_AK")
//!     .with("secret_key_env", "MY_SK")
//!     .with("page_size", 50);
//! assert_eq!(entry.string("region")?.as_deref(), Some("kr"));
//! assert_eq!(entry.integer("page_size")?, Some(50));
//! let err = entry.boolean("region").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InvalidConfig);
//! assert!(err.to_string().contains("provider \"ncp-kr\": key `region`: must be true or false"));
//! let env = Environment::from_vars([("MY_AK", "AK"), ("MY_SK", "SK")]);
//! assert_eq!(entry.access_keys(&env)?.unwrap().access_key, "AK");
//! # Ok::<(), reginv_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::credentials::{AccessKeyPair, SecretString};
use crate::environment::Environment;
use crate::error::{Error, Result};

/// The keys of every entry: the source label and its provider kind.
pub const ENTRY_KEYS: [&str; 2] = ["name", "kind"];

/// The access key keys every key-signing backend reads with [`ConfigEntry::access_keys`].
pub const ACCESS_KEY_KEYS: [&str; 4] = [
    "access_key",
    "secret_key",
    "access_key_env",
    "secret_key_env",
];

/// A line and column (both from 1) in a configuration file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, in characters, from 1.
    pub column: usize,
}

/// Where an entry sits in its configuration: the origin (a file path, `environment`, …) and its
/// index among the entries. Errors of a located entry start `origin: providers[i] ("name"): `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLocation {
    /// The file path, or `environment`, or another name of where the configuration came from.
    pub origin: String,
    /// The entry's index among the configuration's entries, when it has one.
    pub index: Option<usize>,
}

/// A value of a configuration key.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConfigValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// A list (`repositories = ["team/app", "team/api"]`).
    List(Vec<ConfigValue>),
    /// A value no key takes (a table, a date), by its type's name (`table`).
    Other(&'static str),
}

impl ConfigValue {
    /// The name of the value's type, for messages (`string`, `integer`, `array`).
    pub fn type_name(&self) -> &'static str {
        match self {
            ConfigValue::String(_) => "string",
            ConfigValue::Integer(_) => "integer",
            ConfigValue::Float(_) => "float",
            ConfigValue::Boolean(_) => "boolean",
            ConfigValue::List(_) => "array",
            ConfigValue::Other(name) => name,
        }
    }
}

impl From<&str> for ConfigValue {
    fn from(value: &str) -> Self {
        ConfigValue::String(value.to_string())
    }
}

impl From<String> for ConfigValue {
    fn from(value: String) -> Self {
        ConfigValue::String(value)
    }
}

impl From<&String> for ConfigValue {
    fn from(value: &String) -> Self {
        ConfigValue::String(value.clone())
    }
}

impl From<SecretString> for ConfigValue {
    fn from(value: SecretString) -> Self {
        ConfigValue::String(value.expose().to_string())
    }
}

impl From<i64> for ConfigValue {
    fn from(value: i64) -> Self {
        ConfigValue::Integer(value)
    }
}

impl From<u32> for ConfigValue {
    fn from(value: u32) -> Self {
        ConfigValue::Integer(i64::from(value))
    }
}

impl From<i32> for ConfigValue {
    fn from(value: i32) -> Self {
        ConfigValue::Integer(i64::from(value))
    }
}

impl From<f64> for ConfigValue {
    fn from(value: f64) -> Self {
        ConfigValue::Float(value)
    }
}

impl<T: Into<ConfigValue>> From<Vec<T>> for ConfigValue {
    fn from(values: Vec<T>) -> Self {
        ConfigValue::List(values.into_iter().map(Into::into).collect())
    }
}

impl From<bool> for ConfigValue {
    fn from(value: bool) -> Self {
        ConfigValue::Boolean(value)
    }
}

/// One key's value and where the key and the value were written.
#[derive(Clone, PartialEq)]
struct Slot {
    value: ConfigValue,
    key_at: Option<Position>,
    value_at: Option<Position>,
}

/// One configured source: `name`, `kind` and the keys its backend owns, each with the position
/// it was written at (when it came from a file).
///
/// `Debug` prints every key, with the values of keys whose names say they hold a secret
/// (`secret`, `password` or `token` in the name, except `…_env` keys, which name a variable) as
/// `***`. Errors never echo a value.
#[derive(Clone, Default, PartialEq)]
pub struct ConfigEntry {
    values: BTreeMap<String, Slot>,
    at: Option<Position>,
    location: Option<EntryLocation>,
}

impl ConfigEntry {
    /// An entry named `name` of provider kind `kind`, with no other key.
    pub fn new(name: impl Into<String>, kind: impl Into<String>) -> Self {
        ConfigEntry::default()
            .with("name", name.into())
            .with("kind", kind.into())
    }

    /// An entry with no key at all (a parser fills it with [`insert_at`](ConfigEntry::insert_at)).
    pub fn empty() -> Self {
        ConfigEntry::default()
    }

    /// This entry with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<ConfigValue>) -> Self {
        self.set(key, value);
        self
    }

    /// Sets `key` to `value` (written in code: no position).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<ConfigValue>) {
        self.values.insert(
            key.into(),
            Slot {
                value: value.into(),
                key_at: None,
                value_at: None,
            },
        );
    }

    /// Sets `key` to `value`, written at `key_at` (the key) and `value_at` (the value).
    pub fn insert_at(
        &mut self,
        key: impl Into<String>,
        value: ConfigValue,
        key_at: Position,
        value_at: Position,
    ) {
        self.values.insert(
            key.into(),
            Slot {
                value,
                key_at: Some(key_at),
                value_at: Some(value_at),
            },
        );
    }

    /// Sets the endpoint (`endpoint`).
    pub fn with_endpoint(self, endpoint: impl Into<String>) -> Self {
        self.with("endpoint", endpoint.into())
    }

    /// Sets explicit keys (`access_key`, `secret_key`).
    pub fn with_keys(
        self,
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
    ) -> Self {
        self.with("access_key", access_key.into())
            .with("secret_key", secret_key.into())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<ConfigValue> {
        self.values.remove(key).map(|slot| slot.value)
    }

    /// The value of `key`, of whatever type.
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key).map(|slot| &slot.value)
    }

    /// Whether the entry has `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Every key, in alphabetical order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.values.keys().map(String::as_str)
    }

    /// The source label (`name`; empty when missing or not a string).
    pub fn name(&self) -> &str {
        match self.get("name") {
            Some(ConfigValue::String(name)) => name,
            _ => "",
        }
    }

    /// The provider kind (`kind`; empty when missing or not a string).
    pub fn kind(&self) -> &str {
        match self.get("kind") {
            Some(ConfigValue::String(kind)) => kind,
            _ => "",
        }
    }

    /// Sets where the entry's table starts in its file (errors about a missing key point here).
    pub fn set_position(&mut self, at: Position) {
        self.at = Some(at);
    }

    /// This entry, placed at `location` in its configuration (errors then name it).
    pub fn located(mut self, location: EntryLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Where the entry is in its configuration, when it was placed.
    pub fn location(&self) -> Option<&EntryLocation> {
        self.location.as_ref()
    }

    /// The position of `key`'s value, when it was written in a file.
    pub fn value_position(&self, key: &str) -> Option<Position> {
        self.values.get(key).and_then(|slot| slot.value_at)
    }

    /// `origin[:line:column]: providers[i] ("name"): key `key`: message`, with the parts that
    /// are known (a position only with an origin).
    pub fn describe(
        &self,
        key: Option<&str>,
        at: Option<Position>,
        message: impl fmt::Display,
    ) -> String {
        let mut out = String::new();
        let name = Some(self.name()).filter(|n| !n.trim().is_empty());
        let index = self.location.as_ref().and_then(|l| l.index);
        if let Some(location) = self.location.as_ref().filter(|l| !l.origin.is_empty()) {
            out.push_str(&location.origin);
            if let Some(at) = at {
                out.push_str(&format!(":{}:{}", at.line, at.column));
            }
            out.push_str(": ");
        }
        match (index, name) {
            (Some(i), Some(name)) => out.push_str(&format!("providers[{i}] ({name:?}): ")),
            (Some(i), None) => out.push_str(&format!("providers[{i}]: ")),
            (None, Some(name)) => out.push_str(&format!("provider {name:?}: ")),
            (None, None) => {}
        }
        if let Some(key) = key {
            out.push_str(&format!("key `{key}`: "));
        }
        out.push_str(&message.to_string());
        out
    }

    /// An [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error about `key`, at its value
    /// (or at the entry when the key is missing).
    pub fn error(&self, key: &str, message: impl fmt::Display) -> Error {
        let at = self.value_position(key).or(self.at);
        Error::config(self.describe(Some(key), at, message))
    }

    /// An error about `key` itself (an unknown key), at the key.
    pub fn key_error(&self, key: &str, message: impl fmt::Display) -> Error {
        let at = self
            .values
            .get(key)
            .and_then(|slot| slot.key_at)
            .or(self.at);
        Error::config(self.describe(Some(key), at, message))
    }

    /// An error about `key` that names no position: for what the environment, not the file,
    /// got wrong (a variable that is not set).
    pub fn error_without_position(&self, key: &str, message: impl fmt::Display) -> Error {
        Error::config(self.describe(Some(key), None, message))
    }

    /// A backend's error about this entry (building its client failed), prefixed with where the
    /// entry is; the kind is kept.
    pub fn wrap(&self, error: &Error) -> Error {
        Error::new(error.kind(), self.describe(None, None, error.message()))
    }

    /// The first key of the entry that is not `name`, `kind` or one of `known`, if any.
    pub fn unknown_key<'a>(&'a self, known: &[&str]) -> Option<&'a str> {
        self.keys()
            .find(|key| !ENTRY_KEYS.contains(key) && !known.contains(key))
    }

    /// Checks that the entry has no key but `name`, `kind` and `known`; the error lists them.
    pub fn check_keys(&self, known: &[&str]) -> Result<()> {
        match self.unknown_key(known) {
            None => Ok(()),
            Some(key) => {
                let all: Vec<&str> = ENTRY_KEYS.iter().chain(known).copied().collect();
                Err(self.key_error(
                    key,
                    format!(
                        "unknown key; the keys of a provider are: {}",
                        all.join(", ")
                    ),
                ))
            }
        }
    }

    /// `key`'s value, checked to be of type `want` (described as `want_name`).
    fn typed(
        &self,
        key: &str,
        want_name: &str,
        ok: impl Fn(&ConfigValue) -> bool,
    ) -> Result<Option<&ConfigValue>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) if ok(value) => Ok(Some(value)),
            // Never echo a value: it may be a secret.
            Some(value) => Err(self.error(
                key,
                format!("must be {want_name}, not {}", value.type_name()),
            )),
        }
    }

    /// `key`'s string, trimmed; an error when it is of another type or blank.
    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.typed(key, "a string", |v| matches!(v, ConfigValue::String(_)))? {
            Some(ConfigValue::String(s)) if s.trim().is_empty() => {
                Err(self.error(key, "must not be empty"))
            }
            Some(ConfigValue::String(s)) => Ok(Some(s.trim().to_string())),
            _ => Ok(None),
        }
    }

    /// `key`'s string; an error naming the key when it is missing.
    pub fn required_string(&self, key: &str) -> Result<String> {
        self.string(key)?
            .ok_or_else(|| self.error(key, "is required but missing"))
    }

    /// `key`'s string as a secret (not trimmed); an error when it is of another type or blank.
    pub fn secret(&self, key: &str) -> Result<Option<SecretString>> {
        match self.typed(key, "a string", |v| matches!(v, ConfigValue::String(_)))? {
            Some(ConfigValue::String(s)) if s.trim().is_empty() => {
                Err(self.error(key, "must not be empty"))
            }
            Some(ConfigValue::String(s)) => Ok(Some(SecretString::new(s.clone()))),
            _ => Ok(None),
        }
    }

    /// `key`'s integer.
    pub fn integer(&self, key: &str) -> Result<Option<i64>> {
        match self.typed(key, "an integer", |v| matches!(v, ConfigValue::Integer(_)))? {
            Some(ConfigValue::Integer(n)) => Ok(Some(*n)),
            _ => Ok(None),
        }
    }

    /// `key`'s number (an integer or a float).
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        let ok = |v: &ConfigValue| matches!(v, ConfigValue::Integer(_) | ConfigValue::Float(_));
        match self.typed(key, "a number", ok)? {
            Some(ConfigValue::Integer(n)) => Ok(Some(*n as f64)),
            Some(ConfigValue::Float(x)) => Ok(Some(*x)),
            _ => Ok(None),
        }
    }

    /// `key`'s boolean.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.typed(key, "true or false", |v| {
            matches!(v, ConfigValue::Boolean(_))
        })? {
            Some(ConfigValue::Boolean(b)) => Ok(Some(*b)),
            _ => Ok(None),
        }
    }

    /// `key`'s list of strings, each trimmed; an error when it is of another type, or an item
    /// is not a string or is blank.
    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>> {
        let list = |v: &ConfigValue| {
            matches!(v, ConfigValue::List(items)
                if items.iter().all(|i| matches!(i, ConfigValue::String(_))))
        };
        match self.typed(key, "a list of strings", list)? {
            Some(ConfigValue::List(items)) => {
                let mut strings = Vec::with_capacity(items.len());
                for item in items {
                    if let ConfigValue::String(s) = item {
                        if s.trim().is_empty() {
                            return Err(self.error(key, "must not hold an empty string"));
                        }
                        strings.push(s.trim().to_string());
                    }
                }
                Ok(Some(strings))
            }
            _ => Ok(None),
        }
    }

    /// The value of the environment variable that `key` names (`token_env = "MY_TOKEN"`), from
    /// `env`; `None` when the entry has no `key`, an error naming both when the variable is not
    /// set.
    pub fn env_var(&self, env: &Environment, key: &str) -> Result<Option<String>> {
        let Some(var) = self.string(key)? else {
            return Ok(None);
        };
        match env.var(&var) {
            Some(value) => Ok(Some(value.trim().to_string())),
            None => Err(self.error_without_position(
                key,
                format!("names the environment variable {var}, which is not set (or is empty)"),
            )),
        }
    }

    /// Checks the access key keys: each of `access_key` / `access_key_env` and `secret_key` /
    /// `secret_key_env` at most once, and both halves or neither.
    pub fn check_access_keys(&self) -> Result<()> {
        self.string("access_key")?;
        self.secret("secret_key")?;
        self.string("access_key_env")?;
        self.string("secret_key_env")?;
        let has = |key: &str| self.contains(key);
        if has("access_key") && has("access_key_env") {
            return Err(self.error(
                "access_key_env",
                "give access_key or access_key_env, not both",
            ));
        }
        if has("secret_key") && has("secret_key_env") {
            return Err(self.error(
                "secret_key_env",
                "give secret_key or secret_key_env, not both",
            ));
        }
        let has_access = has("access_key") || has("access_key_env");
        let has_secret = has("secret_key") || has("secret_key_env");
        if has_access && !has_secret {
            let key = if has("access_key") {
                "access_key"
            } else {
                "access_key_env"
            };
            return Err(self.error(key, "is given without secret_key or secret_key_env"));
        }
        if has_secret && !has_access {
            let key = if has("secret_key") {
                "secret_key"
            } else {
                "secret_key_env"
            };
            return Err(self.error(key, "is given without access_key or access_key_env"));
        }
        Ok(())
    }

    /// Whether the entry gives keys (`access_key` or `access_key_env`).
    pub fn has_access_keys(&self) -> bool {
        self.contains("access_key") || self.contains("access_key_env")
    }

    /// The keys given by `access_key` / `secret_key`, else read from the variables named by
    /// `access_key_env` / `secret_key_env` in `env` (an error when one is unset); `None` when
    /// the entry gives neither, so the vendor's own resolution applies.
    pub fn access_keys(&self, env: &Environment) -> Result<Option<AccessKeyPair>> {
        self.check_access_keys()?;
        let access = match self.string("access_key")? {
            Some(key) => Some(key),
            None => self.env_var(env, "access_key_env")?,
        };
        let secret = match self.secret("secret_key")? {
            Some(secret) => Some(secret),
            None => self.env_var(env, "secret_key_env")?.map(SecretString::new),
        };
        match (access, secret) {
            (Some(access), Some(secret)) => Ok(Some(AccessKeyPair::new(access, secret))),
            _ => Ok(None),
        }
    }
    /// Where this entry takes its credentials from, in words for the error when the vendor
    /// rejects them (never the secret): `token_env`, `secret_key`, `secret_key_env`,
    /// `password` or `password_env`, with the entry's name; `None` when it gives none, so the
    /// backend's own resolution applies.
    pub fn credentials_source(&self) -> Option<String> {
        let var = |key: &str| match self.get(key) {
            Some(ConfigValue::String(v)) => Some(v.trim().to_string()),
            _ => None,
        };
        let secret = if let Some(v) = var("token_env") {
            format!("the variable {v} (token_env)")
        } else if self.get("secret_key").is_some() {
            "the secret_key key".to_string()
        } else if let Some(v) = var("secret_key_env") {
            format!("the variable {v} (secret_key_env)")
        } else if self.get("password").is_some() {
            "the password key".to_string()
        } else if let Some(v) = var("password_env") {
            format!("the variable {v} (password_env)")
        } else {
            return None;
        };
        Some(format!(
            "{secret} of provider {:?} in the configuration",
            self.name()
        ))
    }
}

/// Whether `key` holds a secret: its name says `secret`, `password` or `token`, and it is not
/// the name of a variable (`…_env`).
fn is_secret_key(key: &str) -> bool {
    !key.ends_with("_env")
        && ["secret", "password", "token"]
            .iter()
            .any(|word| key.contains(word))
}

impl fmt::Debug for ConfigEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, slot) in &self.values {
            if is_secret_key(key) {
                map.entry(key, &"***");
            } else {
                map.entry(key, &slot.value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const SECRET: &str = "s3cr3t-VALUE-that-must-not-leak";

    fn located(entry: ConfigEntry) -> ConfigEntry {
        entry.located(EntryLocation {
            origin: "reginv.toml".into(),
            index: Some(1),
        })
    }

    #[test]
    fn errors_name_origin_position_entry_and_key() {
        let mut entry = ConfigEntry::new("swr-ap", "huawei");
        let at = |line, column| Position { line, column };
        entry.insert_at("page_size", ConfigValue::from("big"), at(7, 1), at(7, 13));
        entry.set_position(at(3, 1));
        let entry = located(entry);
        let msg = entry.integer("page_size").unwrap_err().to_string();
        assert_eq!(
            msg,
            "invalid configuration: reginv.toml:7:13: providers[1] (\"swr-ap\"): key \
             `page_size`: must be an integer, not string"
        );
        let msg = entry.required_string("region").unwrap_err().to_string();
        assert!(msg.contains("reginv.toml:3:1: providers[1]"), "{msg}");
        assert!(msg.contains("key `region`: is required"), "{msg}");
        let msg = entry.check_keys(&["region"]).unwrap_err().to_string();
        assert!(msg.contains("reginv.toml:7:1: "), "at the key: {msg}");
        assert!(msg.contains("unknown key; the keys of a provider are: name, kind, region"));
    }

    #[test]
    fn secrets_are_never_printed() {
        let entry = ConfigEntry::new("a", "ncp")
            .with_keys("AKID", SECRET)
            .with("token", SECRET)
            .with("secret_key_env", "MY_SK");
        let text = format!("{entry:?}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("AKID") && text.contains("***") && text.contains("MY_SK"));
        let wrong = ConfigEntry::new("a", "ncp").with("secret_key", 5);
        let err = wrong.secret("secret_key").unwrap_err();
        assert!(err.to_string().contains("must be a string, not integer"));
    }

    #[test]
    fn access_keys_come_inline_or_from_the_named_variables() {
        let env = Environment::from_vars([("AK", "from-env"), ("SK", SECRET)]);
        let inline = ConfigEntry::new("a", "x").with_keys("A", "B");
        assert_eq!(inline.access_keys(&env).unwrap().unwrap().access_key, "A");
        let named = ConfigEntry::new("a", "x")
            .with("access_key_env", "AK")
            .with("secret_key_env", "SK");
        let keys = named.access_keys(&env).unwrap().unwrap();
        assert_eq!(
            (keys.access_key.as_str(), keys.secret_key.expose()),
            ("from-env", SECRET)
        );
        let err = named
            .access_keys(&Environment::from_vars([("AK", "x")]))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err
            .to_string()
            .contains("provider \"a\": key `secret_key_env`: names"));
        assert!(ConfigEntry::new("a", "x")
            .access_keys(&env)
            .unwrap()
            .is_none());
        let half = ConfigEntry::new("a", "x").with("access_key", "A");
        assert!(half
            .access_keys(&env)
            .unwrap_err()
            .to_string()
            .contains("without secret_key"));
    }
}
