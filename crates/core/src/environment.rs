//! [`Environment`]: where environment variables and the home directory are read from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where configuration and credential lookup read environment variables and the home
/// directory: the process environment, or a fixed set of variables (for tests and embedding,
/// so nothing mutates or reads the process environment). Backends read nothing behind it.
/// Empty values count as unset. `Debug` prints variable names, never values.
///
/// ```
/// use reginv_core::Environment;
///
/// let env = Environment::from_vars([("HOME", "/home/ci"), ("EMPTY", " ")]);
/// assert_eq!(env.var("EMPTY"), None);
/// assert_eq!(env.home_dir(), Some("/home/ci".into()));
/// assert_eq!(Environment::from_vars([("X", "1")]).home_dir(), None);
/// ```
#[derive(Clone, Default)]
pub struct Environment {
    vars: Option<BTreeMap<String, String>>,
}

impl Environment {
    /// The process environment.
    pub fn process() -> Self {
        Environment { vars: None }
    }

    /// Exactly these variables.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Environment {
            vars: Some(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// The value of `name`, when set and not empty.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).cloned(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// The home directory: `HOME`, else `USERPROFILE` (Windows), from this environment.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.first_of(&["HOME", "USERPROFILE"])
            .map(|(_, home)| PathBuf::from(home))
    }

    /// The first of `names` that is set, with its value.
    pub fn first_of(&self, names: &[&str]) -> Option<(String, String)> {
        names
            .iter()
            .find_map(|name| self.var(name).map(|value| (name.to_string(), value)))
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Environment::process()"),
            Some(vars) => f
                .debug_struct("Environment")
                .field("vars", &vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}
