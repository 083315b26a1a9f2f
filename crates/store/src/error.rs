//! [`StoreError`]: what can go wrong opening, writing or reading a store.

/// An error of the store. Messages never contain a password: URLs are printed without it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL does not parse, or names a backend this build does not have.
    #[error("invalid store URL: {0}")]
    InvalidUrl(String),
    /// The database could not be opened or reached.
    #[error("cannot open the store {store}: {message}")]
    Open {
        /// The store, without its password.
        store: String,
        /// Why.
        message: String,
    },
    /// The store was written by a newer reginv whose schema this one does not know.
    #[error(
        "the store has schema version {found}, newer than this reginv knows ({known}): \
         upgrade reginv"
    )]
    NewerSchema {
        /// The version in the store.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A statement failed.
    #[error("store: {0}")]
    Database(String),
    /// A row could not be turned back into the model (a corrupt or hand-edited store).
    #[error("store: bad data in {table}: {message}")]
    Data {
        /// The table.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The snapshot asked for does not exist, or there are not enough finished snapshots.
    #[error("{0}")]
    NotFound(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Database(err.to_string())
    }
}

#[cfg(feature = "postgres")]
impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        // The Display of a server error is only its severity; its message is in the source.
        match err.as_db_error() {
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Database(err.to_string()),
        }
    }
}

/// The result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
