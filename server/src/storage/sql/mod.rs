//! The storage in SQL, once for both backends: SQLite (the embedded default: one file in WAL
//! mode, fsynced on every commit) and PostgreSQL (for several servers on one database).
//!
//! Queries go through sqlx's `Any` driver and are written in the SQL both understand:
//! `$1`-style parameters, `ON CONFLICT … DO NOTHING`, flags as 0/1 integers. The few places the
//! dialects differ switch on [`Backend`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_protocol::api::Status;
use fanfare_protocol::referrals::ReferralAttribution;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::{
    AccountStore, Advocate, AdvocateStats, ApiToken, AuditEntry, Conversion, ConversionSource, CouponCounts,
    CouponsAdded, Cursor, DataStore, Delivery, DeliveryAttempt, DeliveryState, IdempotencyClaim,
    IdempotentAnswer, ImportOutcome, ImportedTestimonial, Invitation, InvitationStatus, InvitationStore,
    Invited, ListQuery, MediaKind, MediaRecord, MediaRecordStore, Moderated, Money, NewAdvocate,
    NewConversion, NewInvitation, NewSite, NewTestimonialRecord, OperationsStore, Photo, PoolAlert, Pruned,
    PublishedMedia, RatingSummary, ReferralStore, Refund, Retention, Reward, RewardListing, RewardRules,
    RewardState, RewardStore, SaleRef, SendOutcome, Session, Site, SiteChanges, SiteKey, SiteKeyStore,
    SiteStore, StorageError, StoredSecret, SubmissionStore, Testimonial, TestimonialEdit, TestimonialStore,
    User, Webhook, WebhookStore,
};
use crate::domain::Role;

mod accounts;
// The bench's fast seeding of a big site and its look at the query plans: test builds only.
#[cfg(any(test, feature = "testing"))]
mod bench_seed;
mod changes;
mod data;
mod inserts;
mod invitations;
mod media;
mod operations;
mod overview;
#[cfg(any(test, feature = "testing"))]
mod plans;
mod referrals;
mod rewards;
mod rows;
mod search;
mod site_keys;
mod sites;
mod submissions;
mod testimonials;
mod webhooks;

#[cfg(any(test, feature = "testing"))]
pub use bench_seed::SeedVisit;
use inserts::insert_testimonials;
#[cfg(any(test, feature = "testing"))]
pub use plans::{PlanProbe, QueryPlan};
use rows::*;
use search::SearchFilter;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct SqlStorage {
    pool: AnyPool,
    backend: Backend,
    /// New testimonials go through one writer that commits whatever has queued up together.
    submissions: mpsc::Sender<Submission>,
    /// For connections outside the pool (PostgreSQL's `LISTEN`).
    url: String,
}

/// A testimonial waiting for the group commit, with the way to tell its request it is stored.
type Submission = (ImportedTestimonial, oneshot::Sender<Result<(), StorageError>>);

/// Most testimonials committed in one transaction.
const GROUP_COMMIT_MAX: usize = 64;
/// Turns of the scheduler a batch under load waits for submissions on their way (see [`gather`]).
const GATHER_TURNS: usize = 8;
/// Batches a PostgreSQL group commit has under way at once (each holds a pooled connection).
const POSTGRES_BATCHES_IN_FLIGHT: usize = 4;

impl SqlStorage {
    pub async fn connect(database_url: &str, backend: Backend) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let pool = match backend {
            Backend::Sqlite => {
                // `mode=rwc`: create the file on first use, as every command may be the first.
                let url = if database_url.contains('?') {
                    database_url.to_owned()
                } else {
                    format!("{database_url}?mode=rwc")
                };
                let options: AnyConnectOptions = url.parse()?;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            // A 2xx means stored: WAL plus a full fsync on every commit survives
                            // a killed process and a lost machine alike. Writers queue for the
                            // lock instead of failing; the CLI may write while a server runs.
                            connection
                                .execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                                )
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                let options: AnyConnectOptions = database_url.parse()?;
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let (submissions, queue) = mpsc::channel(1024);
        tokio::spawn(group_commit(pool.clone(), backend, queue));
        Ok(Self { pool, backend, submissions, url: database_url.to_owned() })
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn write_transaction(&self) -> Result<sqlx::Transaction<'_, sqlx::Any>, sqlx::Error> {
        begin_write(&self.pool, self.backend).await
    }

    /// The pool, for maintenance that works table by table (`fanfare copy`).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// `SELECT <every testimonial column and its tags>`, in this backend's dialect.
    fn select_testimonials(&self) -> String {
        let tags = match self.backend {
            Backend::Sqlite => TAGS_SQLITE,
            Backend::Postgres => TAGS_POSTGRES,
        };
        format!("SELECT {TESTIMONIAL_COLUMNS}, {tags}")
    }

    async fn load_origins(&self, site_id: i64) -> Result<Vec<String>, StorageError> {
        let origins =
            sqlx::query_scalar("SELECT origin FROM site_origins WHERE site_id = $1 ORDER BY origin")
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(origins)
    }

    async fn site_from_row(&self, row: SiteRow) -> Result<Site, StorageError> {
        let origins = self.load_origins(row.id).await?;
        row.into_site(origins)
    }
}

/// The group commit: takes every testimonial that has queued up (at most
/// [`GROUP_COMMIT_MAX`]), inserts them with one statement in one transaction, and only then
/// answers each request. Under load this turns many commits (each an fsync) into one; alone, a
/// submission waits for nothing but its own commit. If the batch fails, each is retried alone,
/// so one bad row never costs the others.
///
/// SQLite has one writer at a time, so one batch commits while the next gathers. PostgreSQL
/// takes several at once: while one batch waits for its commit to reach the disk, the next is
/// already inserted, and the server flushes the commits waiting together in one go.
async fn group_commit(pool: AnyPool, backend: Backend, mut queue: mpsc::Receiver<Submission>) {
    let in_flight = Arc::new(Semaphore::new(match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => POSTGRES_BATCHES_IN_FLIGHT,
    }));
    let mut last_batch = 1;
    while let Some(first) = queue.recv().await {
        // Waiting for a free slot first lets the queue grow meanwhile: the batch is as big as the
        // moment allows.
        let Ok(slot) = in_flight.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        gather(&mut queue, &mut batch, last_batch).await;
        last_batch = batch.len();
        let pool = pool.clone();
        tokio::spawn(async move {
            commit_batch(&pool, backend, batch).await;
            drop(slot);
        });
    }
}

/// Takes what has queued up, and under load (the last batch was bigger than what is here yet)
/// gives the submissions already on their way a few turns of the scheduler to join: far less
/// than a commit, which each of them would otherwise wait for again after just missing this one.
/// Clients that send again as soon as they are answered arrive together, so this keeps batches
/// whole instead of alternating between one and the rest.
async fn gather(queue: &mut mpsc::Receiver<Submission>, batch: &mut Vec<Submission>, expected: usize) {
    let mut turns = 0;
    loop {
        while batch.len() < GROUP_COMMIT_MAX {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if batch.len() >= expected.min(GROUP_COMMIT_MAX) || turns == GATHER_TURNS {
            return;
        }
        turns += 1;
        tokio::task::yield_now().await;
    }
}

async fn commit_batch(pool: &AnyPool, backend: Backend, batch: Vec<Submission>) {
    if insert_batch(pool, backend, batch.iter().map(|(row, _)| row)).await.is_ok() {
        for (_, answer) in batch {
            let _ = answer.send(Ok(()));
        }
        return;
    }
    for (row, answer) in batch {
        let _ = answer.send(insert_batch(pool, backend, std::iter::once(&row)).await);
    }
}

/// A transaction that will write. SQLite takes the write lock at BEGIN, so two writers queue
/// (within the busy timeout) instead of one failing when it upgrades a read lock.
async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// Holds the site's row until the transaction ends, so checks of what a site has (its owners,
/// its number of webhooks) stay true until the change they guard is committed. SQLite's
/// write transactions already hold the database's write lock from `BEGIN IMMEDIATE`.
pub(super) async fn lock_site(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    site_id: i64,
) -> Result<(), StorageError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM sites WHERE id = $1 FOR UPDATE")
            .bind(site_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_batch(
    pool: &AnyPool,
    backend: Backend,
    rows: impl Iterator<Item = &ImportedTestimonial>,
) -> Result<(), StorageError> {
    let rows: Vec<&ImportedTestimonial> = rows.collect();
    let taken = |error: sqlx::Error| match medium_taken(&error) {
        Some(field) => StorageError::Conflict { field },
        None => StorageError::from(error),
    };
    // Without tags the batch is one statement, which commits whole or not at all on its own: one
    // round trip to the database instead of three (BEGIN, INSERT, COMMIT).
    if rows.iter().all(|row| row.record.tags.is_empty()) {
        let mut connection = pool.acquire().await?;
        if let Err(error) = insert_testimonials(&mut connection, &rows, false).await {
            if backend == Backend::Sqlite {
                // SQLite's search index (an FTS5 table a trigger writes) can leave the connection
                // of a statement that failed on its own holding an old read snapshot, so its next
                // write fails with SQLITE_BUSY_SNAPSHOT: that connection is closed, not reused.
                // Failures are rare (a taken id or upload); the common case keeps its one trip.
                let _ = connection.detach().close().await;
            }
            return Err(taken(error));
        }
        return Ok(());
    }
    let mut tx = begin_write(pool, backend).await?;
    insert_testimonials(&mut tx, &rows, false).await.map_err(taken)?;
    tx.commit().await?;
    Ok(())
}

/// The photo or video a row refers to belongs to another testimonial already (two submissions
/// raced with one upload): the unique index that says so, by the column it names.
fn medium_taken(error: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = error else { return None };
    if !db.is_unique_violation() {
        return None;
    }
    let said = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
    ["video", "photo"].into_iter().find(|column| said.contains(column))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Tags come back newline-joined from one subquery; sorted so every reader sees one order.
fn split_tags(joined: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> =
        joined.unwrap_or_default().split('\n').filter(|tag| !tag.is_empty()).map(str::to_owned).collect();
    tags.sort();
    tags
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The filters of every newest-first list in one statement, `search` being the clause of
/// [`SearchFilter`] that tests `$4`: a filter whose parameter is NULL lets every row through,
/// so the SQL stays the same and is prepared once. The cursor's `created_at <=` stands alone,
/// outside any NULL test (no cursor bounds it at the largest time), so both planners seek to it
/// in the index: a page a million rows down costs what the first one does. Within the cursor's
/// millisecond, rows go on by id.
fn list_filters(search: &str) -> String {
    format!(
        " WHERE site_id = $1 AND status = $2 \
         AND ($3 IS NULL OR id IN (SELECT testimonial_id FROM testimonial_tags WHERE tag = $3)) \
         AND ($4 IS NULL OR {search}) \
         AND ($5 IS NULL OR rating = $5) \
         AND created_at <= COALESCE($6, 9223372036854775807) AND ($6 IS NULL OR created_at < $6 OR id < $7) \
         ORDER BY created_at DESC, id DESC LIMIT $8"
    )
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    /// The durability promise rests on these settings holding on every pooled connection.
    #[tokio::test]
    async fn sqlite_connections_are_durable_and_enforce_foreign_keys() {
        let database = TestDatabase::create_on(Backend::Sqlite).await.unwrap();
        let storage = SqlStorage::connect(&database.url, Backend::Sqlite).await.unwrap();
        storage.migrate().await.unwrap();
        let mut connections = Vec::new();
        for _ in 0..3 {
            let mut connection = storage.pool().acquire().await.unwrap();
            let journal: String =
                sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *connection).await.unwrap();
            let synchronous: i64 =
                sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *connection).await.unwrap();
            let foreign_keys: i64 =
                sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *connection).await.unwrap();
            assert_eq!((journal.as_str(), synchronous, foreign_keys), ("wal", 2, 1));
            connections.push(connection);
        }
    }
}
