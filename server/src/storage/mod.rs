//! Everything Fanfare keeps, behind the [`Storage`] traits (`stores.rs`, one per area), with one
//! SQL implementation for both backends (`sql/`).

mod changes;
pub mod copy;
pub mod media;
mod media_records;
mod model;
mod overview;
mod referrals;
mod sql;
mod stores;

use std::sync::Arc;

pub use changes::*;
pub use media_records::*;
pub use model::*;
pub use overview::*;
pub use referrals::*;
pub use sql::{Backend, SqlStorage};
#[cfg(any(test, feature = "testing"))]
pub use sql::{PlanProbe, QueryPlan, SeedVisit};
pub use stores::*;

pub type DynStorage = Arc<dyn Storage>;

/// Opens the database a URL names, creating and migrating it as needed.
pub async fn connect(database_url: &str) -> Result<DynStorage, StorageError> {
    Ok(Arc::new(open(database_url).await?))
}

/// [`connect`], keeping the concrete type for maintenance work such as `fanfare copy`.
pub async fn open(database_url: &str) -> Result<SqlStorage, StorageError> {
    let backend = if database_url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        return Err(StorageError::Unsupported(format!(
            "unrecognised database URL {:?}: expected sqlite://PATH or postgres://…",
            redact_url(database_url)
        )));
    };
    let storage = SqlStorage::connect(database_url, backend).await?;
    storage.migrate().await?;
    Ok(storage)
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique value is already taken; carries the field it belongs to.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    #[error("{0}")]
    Unsupported(String),
    #[error("media store: {0}")]
    Media(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The change would leave a site without an owner; nothing was changed.
    #[error("a site needs at least one owner")]
    LastOwner,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let cursor = Cursor { created_at: 1_700_000_000_000, id: "abc123".into() };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for junk in ["", "12", "x.abc", "12.", "12.a-b", "12.a.b"] {
            assert_eq!(Cursor::decode(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(redact_url("postgres://me:secret@db/x"), "postgres://me:***@db/x");
        assert_eq!(redact_url("postgres://me@db/x"), "postgres://me@db/x");
        assert_eq!(redact_url("sqlite://fanfare.db"), "sqlite://fanfare.db");
    }
}
