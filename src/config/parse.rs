//! Reading a TOML configuration into [`ProviderConfig`] entries that remember where each key
//! was written, so every error names the line, the provider entry and the key.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::core::{ConfigValue, Error, Position, Result};
use crate::factory_table::ProviderFactories;

use super::validate::check_unique_names;
use super::{Config, ProviderConfig};

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

/// Top-level tables other parts of reginv read from the same file (`[audit]`: the audit's
/// thresholds and suppressions, read by `reginv-audit`); left alone here.
const OTHER_SECTIONS: &[&str] = &["audit"];

/// The line and column of byte offset `at` in `text`.
fn position(text: &str, at: usize) -> Position {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    Position {
        line: before.matches('\n').count() + 1,
        column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
    }
}

/// `origin:line:column` of byte offset `at` in `text`.
fn located(text: &str, origin: &str, at: usize) -> String {
    let at = position(text, at);
    format!("{origin}:{}:{}", at.line, at.column)
}

/// A TOML error from the parser, with its position.
fn toml_error(text: &str, origin: &str, err: &toml::de::Error) -> Error {
    let at = match err.span() {
        Some(span) => located(text, origin, span.start),
        None => origin.to_string(),
    };
    Error::config(format!("{at}: {}", err.message().trim()))
}

/// A TOML value as a configuration value (tables and dates by their type's name).
fn value(toml_value: &toml::Value) -> ConfigValue {
    match toml_value {
        toml::Value::String(s) => ConfigValue::String(s.clone()),
        toml::Value::Integer(n) => ConfigValue::Integer(*n),
        toml::Value::Float(x) => ConfigValue::Float(*x),
        toml::Value::Boolean(b) => ConfigValue::Boolean(*b),
        toml::Value::Array(items) => ConfigValue::List(items.iter().map(value).collect()),
        other => ConfigValue::Other(other.type_str()),
    }
}

/// One `[[providers]]` table as an entry with positions.
fn entry(text: &str, raw: &Spanned<RawEntry>) -> ProviderConfig {
    let mut entry = ProviderConfig::empty();
    entry.set_position(position(text, raw.span().start));
    for (key, val) in raw.get_ref() {
        entry.insert_at(
            key.get_ref().clone(),
            value(val.get_ref()),
            position(text, key.span().start),
            position(text, val.span().start),
        );
    }
    entry
}

/// Parses `text` and validates every entry with `factories`.
pub(crate) fn parse(text: &str, origin: &str, factories: &ProviderFactories) -> Result<Config> {
    // First pass: syntax and top-level keys. Values are read without spans: the toml crate
    // cannot give a span for a table made implicitly by a dotted header (`[[audit.suppress]]`
    // with no `[audit]`), and fails on it.
    let top: BTreeMap<Spanned<String>, toml::Value> =
        toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let mut store_url = None;
    for (key, value) in &top {
        if OTHER_SECTIONS.contains(&key.get_ref().as_str()) {
            continue;
        }
        if key.get_ref() == "store" {
            store_url = read_store_table(text, origin, key.span(), value)?;
            continue;
        }
        if key.get_ref() != "providers" {
            return Err(Error::config(format!(
                "{}: unknown top-level key `{}`; the keys are `providers` (write each source \
                 as a [[providers]] table), `store` and `audit`",
                located(text, origin, key.span().start),
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
                located(text, origin, at)
            )));
        }
    }
    let doc: RawDoc = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let raws = doc.providers.map(Spanned::into_inner).unwrap_or_default();
    let providers: Vec<ProviderConfig> = raws.iter().map(|raw| entry(text, raw)).collect();
    let mut config = Config::new(providers, origin);
    for index in 0..config.providers.len() {
        if let Some(entry) = config.located(index) {
            factories.validate_entry(&entry)?;
        }
    }
    check_unique_names(&config)?;

    config.store_url = store_url;
    Ok(config)
}

/// Reads the `[store]` table: `url = "…"`, its only key.
fn read_store_table(
    text: &str,
    origin: &str,
    key_span: Range<usize>,
    value: &toml::Value,
) -> Result<Option<String>> {
    let at = |span: Range<usize>| located(text, origin, span.start);
    let toml::Value::Table(table) = value else {
        return Err(Error::config(format!(
            "{}: `store` must be a table: write [store] and url = \"…\" under it",
            at(key_span.clone())
        )));
    };
    let mut url = None;
    for (key, item) in table {
        match (key.as_str(), item) {
            ("url", toml::Value::String(text)) => url = Some(text.clone()),
            ("url", _) => {
                return Err(Error::config(format!(
                    "{}: [store] url must be a string",
                    at(key_span.clone())
                )))
            }
            (other, _) => {
                return Err(Error::config(format!(
                    "{}: [store]: unknown key `{other}`; the only one is `url`",
                    at(key_span.clone())
                )))
            }
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a\nbé = 1\n";
        assert_eq!(position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(position(text, 2), Position { line: 2, column: 1 });
        assert_eq!(position(text, 7), Position { line: 2, column: 5 });
    }
}
