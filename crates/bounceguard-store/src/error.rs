//! The store's error type.

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can go wrong in the store. Cloneable so that one failed group commit can
/// answer every waiter of the batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database URL has a scheme this store does not speak (only the scheme is echoed,
    /// never credentials).
    #[error("unsupported database URL scheme {0:?} (expected sqlite: or postgres://)")]
    UnsupportedUrl(String),
    /// The directory for a SQLite file could not be created.
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        /// Directory that could not be created.
        path: PathBuf,
        /// Underlying I/O error.
        source: Arc<std::io::Error>,
    },
    /// The database reported an error, or could not be reached.
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    /// The SQLite connection of the send writer reported an error.
    #[error("database error: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// Applying the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migrate(Arc<sqlx::migrate::MigrateError>),
    /// A message with this SES MessageId is already stored.
    #[error("a message with id {0:?} is already stored")]
    DuplicateMessage(String),
    /// The store was closed (or its writer task stopped) before the write was acknowledged.
    #[error("the store is closed")]
    Closed,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(Arc::new(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(Arc::new(error))
    }
}
