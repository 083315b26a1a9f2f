//! The SQLite backend: one file, rusqlite with SQLite bundled (no system library needed).
//!
//! Calls run on the caller's task: SQLite answers in microseconds from a local file, and a
//! write batch is one transaction (one `fsync` in WAL mode).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

use super::Stmt;
use crate::error::{Result, StoreError};
use crate::value::{parse_time, time_text, Kind, Value};

/// An open SQLite store.
#[derive(Debug)]
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(v)) => ToSqlOutput::from(*v),
            Value::Text(Some(v)) => ToSqlOutput::from(v.as_str()),
            Value::Bool(Some(v)) => ToSqlOutput::from(*v),
            Value::Time(Some(t)) => ToSqlOutput::from(time_text(t)),
            Value::Int(None) | Value::Text(None) | Value::Bool(None) | Value::Time(None) => {
                ToSqlOutput::from(rusqlite::types::Null)
            }
        })
    }
}

/// The statement in SQLite's spelling: `$1` placeholders become `?1`.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Sqlite {
    /// Opens (creating) the database file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Sqlite> {
        let open_error = |e: rusqlite::Error| StoreError::Open {
            store: format!("sqlite:{}", path.display()),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(open_error)?;
        // WAL: readers never block the writer; a busy store is waited for, not an error.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_error)?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable (SQLite rolls back).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.lock().execute_batch(sql)?)
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sqlite_sql(sql))?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(n as u64)
    }

    pub(crate) fn query(
        &self,
        sql: &str,
        params: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Value>>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sqlite_sql(sql))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                values.push(read(row.get_ref(i)?, *kind)?);
            }
            out.push(values);
        }
        Ok(out)
    }

    pub(crate) fn transaction(&self, stmts: &[Stmt]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for stmt in stmts {
            let mut prepared = tx.prepare_cached(&sqlite_sql(stmt.sql))?;
            prepared.execute(rusqlite::params_from_iter(stmt.params.iter()))?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn read(value: ValueRef<'_>, kind: Kind) -> Result<Value> {
    let bad = |what: &str| StoreError::Data {
        table: "(query)",
        message: format!("expected {kind:?}, found {what}"),
    };
    Ok(match (kind, value) {
        (Kind::Int, ValueRef::Null) => Value::Int(None),
        (Kind::Text, ValueRef::Null) => Value::Text(None),
        (Kind::Bool, ValueRef::Null) => Value::Bool(None),
        (Kind::Time, ValueRef::Null) => Value::Time(None),
        (Kind::Int, ValueRef::Integer(v)) => Value::Int(Some(v)),
        (Kind::Bool, ValueRef::Integer(v)) => Value::Bool(Some(v != 0)),
        (Kind::Text, ValueRef::Text(t)) => {
            Value::Text(Some(String::from_utf8_lossy(t).into_owned()))
        }
        (Kind::Time, ValueRef::Text(t)) => {
            let text = String::from_utf8_lossy(t);
            Value::Time(Some(
                parse_time(&text).ok_or_else(|| bad(&format!("time {text:?}")))?,
            ))
        }
        (_, other) => return Err(bad(&format!("{:?}", other.data_type()))),
    })
}
