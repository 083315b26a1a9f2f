//! The two databases behind one interface: statements are written once, with `$1`
//! placeholders, and run on either.

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

use crate::error::{Result, StoreError};
use crate::url::StoreUrl;
use crate::value::{Kind, Value};

/// One statement of a write batch.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub(crate) sql: &'static str,
    pub(crate) params: Vec<Value>,
}

/// Which SQL dialect a backend speaks, for the few places the DDL differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// An open database.
#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite(sqlite::Sqlite),
    #[cfg(feature = "postgres")]
    Postgres(postgres::Postgres),
}

impl Backend {
    pub(crate) async fn open(url: &StoreUrl) -> Result<Backend> {
        match url {
            StoreUrl::Sqlite(path) => Ok(Backend::Sqlite(sqlite::Sqlite::open(path)?)),
            #[cfg(feature = "postgres")]
            StoreUrl::Postgres(pg) => Ok(Backend::Postgres(postgres::Postgres::connect(pg).await?)),
            #[cfg(not(feature = "postgres"))]
            StoreUrl::Postgres(_) => Err(StoreError::InvalidUrl(
                "this reginv was built without PostgreSQL support (cargo feature `postgres`)"
                    .into(),
            )),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs several `;`-separated statements without parameters.
    pub(crate) async fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Backend::Sqlite(db) => db.batch(sql),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.batch(sql).await,
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub(crate) async fn execute(&self, sql: &'static str, params: &[Value]) -> Result<u64> {
        match self {
            Backend::Sqlite(db) => db.execute(sql, params),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.execute(sql, params).await,
        }
    }

    /// Runs a query; each row's columns read as `kinds`.
    pub(crate) async fn query(
        &self,
        sql: &'static str,
        params: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Value>>> {
        match self {
            Backend::Sqlite(db) => db.query(sql, params, kinds),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.query(sql, params, kinds).await,
        }
    }

    /// Runs the statements in one transaction: all or nothing.
    pub(crate) async fn transaction(&self, stmts: &[Stmt]) -> Result<()> {
        if stmts.is_empty() {
            return Ok(());
        }
        match self {
            Backend::Sqlite(db) => db.transaction(stmts),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.transaction(stmts).await,
        }
    }

    /// [`transaction`](Backend::transaction) without waiting, for `Drop`: SQLite only (its
    /// calls are synchronous); `false` when it could not be done here.
    pub(crate) fn transaction_now(&self, stmts: &[Stmt]) -> bool {
        match self {
            Backend::Sqlite(db) => db.transaction(stmts).is_ok(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => false,
        }
    }
}

/// `Err` for a query that returned no row where one was expected.
pub(crate) fn one_row(rows: Vec<Vec<Value>>, what: &str) -> Result<Vec<Value>> {
    rows.into_iter()
        .next()
        .ok_or_else(|| StoreError::Database(format!("{what}: no row returned")))
}
