//! Reading a TOML configuration with positions, so every error names the line, the provider
//! entry and the key.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::core::{Error, Result, SecretString};

use super::validate::{check_unique_names, validate_entry};
use super::{Config, Location, ProviderConfig};

type RawEntry = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
struct RawDoc {
    #[serde(default)]
    providers: Option<Spanned<Vec<Spanned<RawEntry>>>>,
}

/// Where the `providers` value is, for an error about its shape.
#[derive(Deserialize)]
struct ProvidersSpan {
    #[serde(default)]
    providers: Option<Spanned<toml::Value>>,
}

/// The keys of a provider entry and the TOML type each takes.
const KEYS: &[(&str, ValueType)] = &[
    ("name", ValueType::String),
    ("kind", ValueType::String),
    ("region", ValueType::String),
    ("endpoint", ValueType::String),
    ("access_key", ValueType::String),
    ("secret_key", ValueType::String),
    ("access_key_env", ValueType::String),
    ("secret_key_env", ValueType::String),
    ("project_id", ValueType::String),
    ("security_token_env", ValueType::String),
    ("token_env", ValueType::String),
    ("page_size", ValueType::Integer),
    ("max_rps", ValueType::Number),
    ("allow_insecure_http", ValueType::Boolean),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueType {
    String,
    Integer,
    Number,
    Boolean,
}

impl ValueType {
    fn name(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Integer => "an integer",
            ValueType::Number => "a number",
            ValueType::Boolean => "true or false",
        }
    }
}

/// `origin:line:column` of byte offset `at` in `text`.
fn position(text: &str, origin: &str, at: usize) -> String {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{origin}:{line}:{column}")
}

/// A TOML error from the parser, with its position.
fn toml_error(text: &str, origin: &str, err: &toml::de::Error) -> Error {
    let at = match err.span() {
        Some(span) => position(text, origin, span.start),
        None => origin.to_string(),
    };
    Error::config(format!("{at}: {}", err.message().trim()))
}

/// Top-level tables other parts of reginv read from the same file (`[audit]`: the audit's
/// thresholds and suppressions, read by `reginv-audit`); left alone here.
const OTHER_SECTIONS: &[&str] = &["audit"];

/// Parses and validates `text`.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Config> {
    // First pass: syntax and top-level keys. Values are read without spans: the toml crate
    // cannot give a span for a table made implicitly by a dotted header (`[[audit.suppress]]`
    // with no `[audit]`), and fails on it.
    let top: BTreeMap<Spanned<String>, toml::Value> =
        toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    for (key, value) in &top {
        if OTHER_SECTIONS.contains(&key.get_ref().as_str()) {
            continue;
        }
        if key.get_ref() != "providers" {
            return Err(Error::config(format!(
                "{}: unknown top-level key `{}`; the only one is `providers` (write each source \
                 as a [[providers]] table), besides [audit]",
                position(text, origin, key.span().start),
                key.get_ref()
            )));
        }
        if !matches!(value, toml::Value::Array(items) if items.iter().all(toml::Value::is_table)) {
            let at = toml::from_str::<ProvidersSpan>(text)
                .ok()
                .and_then(|doc| doc.providers)
                .map_or(key.span().start, |value| value.span().start);
            return Err(Error::config(format!(
                "{}: `providers` must be a list of tables: write each source as a [[providers]] \
                 table",
                position(text, origin, at)
            )));
        }
    }
    let doc: RawDoc = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let entries = doc.providers.map(Spanned::into_inner).unwrap_or_default();
    let mut providers = Vec::with_capacity(entries.len());
    let mut spans = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let reader = EntryReader::new(text, origin, index, entry);
        let provider = reader.read()?;
        validate_entry(&provider, &|key, message| reader.error(key, message))?;
        providers.push(provider);
        spans.push(reader.key_span("name").unwrap_or_else(|| entry.span()));
    }
    check_unique_names(
        providers.iter().map(|p| p.name.as_str()),
        &|index, message| {
            let span = spans.get(index).cloned().unwrap_or(0..0);
            Location {
                origin: position(text, origin, span.start),
                index: Some(index),
                name: None,
            }
            .error(Some("name"), message)
        },
    )?;
    Ok(Config::new(providers, origin))
}

/// Reads one `[[providers]]` table.
struct EntryReader<'a> {
    text: &'a str,
    origin: &'a str,
    index: usize,
    name: Option<&'a str>,
    entry: &'a Spanned<RawEntry>,
}

impl<'a> EntryReader<'a> {
    fn new(text: &'a str, origin: &'a str, index: usize, entry: &'a Spanned<RawEntry>) -> Self {
        let name = entry
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref() == "name")
            .and_then(|(_, v)| v.get_ref().as_str())
            .filter(|n| !n.trim().is_empty());
        EntryReader {
            text,
            origin,
            index,
            name,
            entry,
        }
    }

    fn get(&self, key: &str) -> Option<(&'a Spanned<String>, &'a Spanned<toml::Value>)> {
        self.entry
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref() == key)
    }

    /// Where `key`'s value is, when the entry has it.
    fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.get(key).map(|(_, v)| v.span())
    }

    fn error_at(
        &self,
        span: Range<usize>,
        key: Option<&str>,
        message: impl std::fmt::Display,
    ) -> Error {
        Location {
            origin: position(self.text, self.origin, span.start),
            index: Some(self.index),
            name: self.name,
        }
        .error(key, message)
    }

    /// An error about `key`, at its value (or at the entry when it is missing).
    fn error(&self, key: &str, message: impl std::fmt::Display) -> Error {
        let span = self.key_span(key).unwrap_or_else(|| self.entry.span());
        self.error_at(span, Some(key), message)
    }

    fn read(&self) -> Result<ProviderConfig> {
        for key in self.entry.get_ref().keys() {
            if !KEYS.iter().any(|(known, _)| known == key.get_ref()) {
                let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
                return Err(self.error_at(
                    key.span(),
                    Some(key.get_ref()),
                    format!(
                        "unknown key; the keys of a provider are: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        let required = |key: &str| -> Result<String> {
            self.string(key)?.ok_or_else(|| {
                self.error_at(self.entry.span(), Some(key), "is required but missing")
            })
        };
        let mut provider =
            ProviderConfig::new(required("name")?, required("kind")?, required("region")?);
        provider.endpoint = self.string("endpoint")?;
        provider.access_key = self.string("access_key")?;
        provider.secret_key = self.string("secret_key")?.map(SecretString::new);
        provider.access_key_env = self.string("access_key_env")?;
        provider.secret_key_env = self.string("secret_key_env")?;
        provider.project_id = self.string("project_id")?;
        provider.security_token_env = self.string("security_token_env")?;
        provider.token_env = self.string("token_env")?;
        provider.page_size = match self.typed("page_size", ValueType::Integer)? {
            Some(toml::Value::Integer(n)) => Some(u32::try_from(*n).map_err(|_| {
                self.error("page_size", format!("must be between 1 and 1000, got {n}"))
            })?),
            _ => None,
        };
        provider.max_rps = match self.typed("max_rps", ValueType::Number)? {
            Some(toml::Value::Integer(n)) => Some(*n as f64),
            Some(toml::Value::Float(x)) => Some(*x),
            _ => None,
        };
        provider.allow_insecure_http =
            match self.typed("allow_insecure_http", ValueType::Boolean)? {
                Some(toml::Value::Boolean(b)) => Some(*b),
                _ => None,
            };
        Ok(provider)
    }

    /// `key`'s value after checking it has type `want`.
    fn typed(&self, key: &str, want: ValueType) -> Result<Option<&'a toml::Value>> {
        let Some((_, value)) = self.get(key) else {
            return Ok(None);
        };
        let ok = matches!(
            (want, value.get_ref()),
            (ValueType::String, toml::Value::String(_))
                | (ValueType::Integer, toml::Value::Integer(_))
                | (
                    ValueType::Number,
                    toml::Value::Integer(_) | toml::Value::Float(_)
                )
                | (ValueType::Boolean, toml::Value::Boolean(_))
        );
        if !ok {
            // Never echo a value: it may be a secret.
            return Err(self.error(
                key,
                format!(
                    "must be {}, not {}",
                    want.name(),
                    value.get_ref().type_str()
                ),
            ));
        }
        Ok(Some(value.get_ref()))
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .typed(key, ValueType::String)?
            .and_then(toml::Value::as_str)
            .map(str::to_string))
    }
}
