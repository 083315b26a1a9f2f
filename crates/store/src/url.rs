//! [`StoreUrl`]: where the store is. A path or `sqlite:PATH` is an SQLite file;
//! `postgres://user[:password]@host[:port]/db[?sslmode=…]` (or `postgresql://`) a PostgreSQL
//! database, the password taken from the URL or else from `PGPASSWORD`, as libpq does.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Result, StoreError};

/// A parsed store location. Its `Display` and `Debug` never show the password.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreUrl {
    /// An SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresUrl),
}

/// How the PostgreSQL connection is encrypted (libpq's `sslmode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, else plain (libpq's default); the certificate is not
    /// checked.
    Prefer,
    /// TLS or no connection; the certificate is not checked (encryption only).
    Require,
    /// TLS or no connection, the certificate chain checked against the web PKI roots (or the
    /// `sslrootcert` file) and its name against the host.
    VerifyFull,
}

impl SslMode {
    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A PostgreSQL connection target.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostgresUrl {
    /// The user.
    pub user: String,
    password: Option<String>,
    /// The host name or address.
    pub host: String,
    /// The port (default 5432).
    pub port: u16,
    /// The database (default: the user name).
    pub dbname: String,
    /// `sslmode` (default `prefer`).
    pub ssl_mode: SslMode,
    /// `sslrootcert`: a PEM file of the certificates to trust for `verify-full`.
    pub root_cert: Option<PathBuf>,
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("ssl_mode", &self.ssl_mode)
            .field("root_cert", &self.root_cert)
            .finish()
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "postgres://{}@{}:{}/{}",
            self.user, self.host, self.port, self.dbname
        )?;
        if self.ssl_mode != SslMode::Prefer {
            write!(f, "?sslmode={}", self.ssl_mode.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Postgres(url) => url.fmt(f),
        }
    }
}

impl StoreUrl {
    /// Parses `text`, the password falling back to the `PGPASSWORD` variable of the process.
    pub fn parse(text: &str) -> Result<StoreUrl> {
        StoreUrl::parse_with(text, |name| std::env::var(name).ok())
    }

    /// [`parse`](StoreUrl::parse) with environment variables (`PGPASSWORD`, `PGUSER`,
    /// `USER`) read from `env`.
    pub fn parse_with(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<StoreUrl> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::InvalidUrl("the store URL is empty".into()));
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(PostgresUrl::parse(text, &env)?));
        }
        let path = text.strip_prefix("sqlite:").unwrap_or(text);
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(StoreError::InvalidUrl("sqlite: needs a file path".into()));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            if scheme != "sqlite" {
                return Err(StoreError::InvalidUrl(format!(
                    "unknown store scheme {scheme:?}: use a path, sqlite:PATH or postgres://…"
                )));
            }
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(path)))
    }
}

impl PostgresUrl {
    fn parse(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<PostgresUrl> {
        let invalid = |why: String| StoreError::InvalidUrl(why);
        // Never echo the URL itself: it may hold a password.
        let url = url::Url::parse(text)
            .map_err(|e| invalid(format!("the PostgreSQL URL does not parse ({e})")))?;
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| invalid("bad percent-encoding in the URL".into()))
        };
        let user = match url.username() {
            "" => env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".into()),
            name => decode(name)?,
        };
        let password = match url.password() {
            Some(p) => Some(decode(p)?),
            None => env("PGPASSWORD"),
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_string(),
            _ => "localhost".to_string(),
        };
        let path = url.path().trim_start_matches('/');
        let dbname = if path.is_empty() {
            user.clone()
        } else {
            decode(path)?
        };
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    ssl_mode = match value.as_ref() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(invalid(format!(
                                "sslmode={other} is not supported: use disable, prefer, require \
                                 or verify-full"
                            )))
                        }
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                other => {
                    return Err(invalid(format!(
                        "unknown PostgreSQL URL parameter {other:?} (known: sslmode, sslrootcert)"
                    )))
                }
            }
        }
        Ok(PostgresUrl {
            user,
            password,
            host,
            port: url.port().unwrap_or(5432),
            dbname,
            ssl_mode,
            root_cert,
        })
    }

    /// Whether a password was given (in the URL or `PGPASSWORD`).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("reginv")
            .connect_timeout(std::time::Duration::from_secs(30))
            .ssl_mode(match self.ssl_mode {
                SslMode::Disable => tokio_postgres::config::SslMode::Disable,
                SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                SslMode::Require | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
            });
        if let Some(password) = &self.password {
            config.password(password);
        }
        config
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn paths_and_sqlite_urls_are_sqlite_files() {
        for (text, path) in [
            ("inventory.db", "inventory.db"),
            ("sqlite:/var/lib/reginv.db", "/var/lib/reginv.db"),
            ("sqlite://rel.db", "rel.db"),
            ("./a/b.sqlite", "./a/b.sqlite"),
        ] {
            assert_eq!(
                StoreUrl::parse_with(text, env(&[])).unwrap(),
                StoreUrl::Sqlite(PathBuf::from(path))
            );
        }
        assert!(StoreUrl::parse_with("", env(&[])).is_err());
        assert!(StoreUrl::parse_with("sqlite:", env(&[])).is_err());
        assert!(StoreUrl::parse_with("mysql://x/y", env(&[])).is_err());
    }

    #[test]
    fn postgres_urls_parse_with_libpq_defaults() {
        let StoreUrl::Postgres(url) =
            StoreUrl::parse_with("postgresql://alice@db.example:6543/inv", env(&[])).unwrap()
        else {
            panic!("not postgres");
        };
        assert_eq!(
            (
                url.user.as_str(),
                url.host.as_str(),
                url.port,
                url.dbname.as_str()
            ),
            ("alice", "db.example", 6543, "inv")
        );
        assert_eq!(url.ssl_mode, SslMode::Prefer);
        assert!(!url.has_password());
        let StoreUrl::Postgres(url) =
            StoreUrl::parse_with("postgres://bob@h/?sslmode=verify-full", env(&[])).unwrap()
        else {
            panic!("not postgres");
        };
        assert_eq!((url.port, url.dbname.as_str()), (5432, "bob"));
        assert_eq!(url.ssl_mode, SslMode::VerifyFull);
        assert!(StoreUrl::parse_with("postgres://h/db?sslmode=verify-ca", env(&[])).is_err());
        assert!(StoreUrl::parse_with("postgres://h/db?sslmod=require", env(&[])).is_err());
    }

    #[test]
    fn the_password_comes_from_the_url_or_pgpassword_and_is_never_shown() {
        let text = "postgres://carol:s%40cret@h:5/db?sslmode=require";
        let url = StoreUrl::parse_with(text, env(&[("PGPASSWORD", "other")])).unwrap();
        let StoreUrl::Postgres(pg) = &url else {
            panic!("not postgres");
        };
        assert_eq!(pg.password.as_deref(), Some("s@cret"));
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(
                !shown.contains("s@cret") && !shown.contains("s%40cret"),
                "{shown}"
            );
        }
        assert_eq!(url.to_string(), "postgres://carol@h:5/db?sslmode=require");
        let url = StoreUrl::parse_with("postgres://carol@h/db", env(&[("PGPASSWORD", "pw")]));
        let Ok(StoreUrl::Postgres(pg)) = url else {
            panic!("not postgres");
        };
        assert_eq!(pg.password.as_deref(), Some("pw"));
        assert!(!format!("{pg:?}").contains("pw\""));
    }
}
