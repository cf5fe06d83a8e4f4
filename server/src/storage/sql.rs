//! The storage in SQL, once for both backends: SQLite (the embedded default: one file in WAL
//! mode, fsynced on every commit) and PostgreSQL (for several servers on one database).
//!
//! Queries go through sqlx's `Any` driver and are written in the SQL both understand:
//! `$1`-style parameters, `ON CONFLICT … DO NOTHING`, flags as 0/1 integers. The few places the
//! dialects differ switch on [`Backend`].

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_protocol::api::Status;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use super::{
    Advocate, AdvocateStats, ApiToken, AuditEntry, Conversion, Delivery, DeliveryAttempt, DeliveryState,
    IdempotencyClaim, ImportedTestimonial, ListQuery, Moderated, NewAdvocate, NewConversion, NewSite,
    NewTestimonialRecord, Photo, RatingSummary, Session, Site, SiteChanges, Storage, StorageError,
    Testimonial, TestimonialEdit, User, Webhook,
};
use crate::domain::Role;

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
}

/// A testimonial waiting for the group commit, with the way to tell its request it is stored.
type Submission = (ImportedTestimonial, oneshot::Sender<Result<(), StorageError>>);

/// Most testimonials committed in one transaction.
const GROUP_COMMIT_MAX: usize = 64;

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
        Ok(Self { pool, backend, submissions })
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

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: i64,
    slug: String,
    name: String,
    accent: String,
    texts: String,
    consent_text: String,
    consent_version: i64,
    low_rating_threshold: i64,
    auto_approve_min_rating: Option<i64>,
    referral_window_days: i64,
    referral_landing_url: Option<String>,
    conversion_burst_limit: i64,
    proof_of_work: i64,
    created_at: i64,
}

impl SiteRow {
    fn into_site(self, origins: Vec<String>) -> Result<Site, StorageError> {
        let texts: BTreeMap<String, String> = serde_json::from_str(&self.texts)
            .map_err(|error| StorageError::Corrupt(format!("texts of site {}: {error}", self.slug)))?;
        let low_rating_threshold = u8::try_from(self.low_rating_threshold)
            .map_err(|_| StorageError::Corrupt(format!("low rating threshold of site {}", self.slug)))?;
        Ok(Site {
            id: self.id,
            slug: self.slug,
            name: self.name,
            accent: self.accent,
            texts,
            consent_text: self.consent_text,
            consent_version: self.consent_version,
            low_rating_threshold,
            auto_approve_min_rating: self.auto_approve_min_rating.and_then(|n| u8::try_from(n).ok()),
            referral_window_days: u32::try_from(self.referral_window_days).unwrap_or(30),
            referral_landing_url: self.referral_landing_url,
            conversion_burst_limit: u32::try_from(self.conversion_burst_limit).unwrap_or(u32::MAX),
            proof_of_work: u8::try_from(self.proof_of_work).unwrap_or(0),
            origins,
            created_at: self.created_at,
        })
    }
}

const SITE_COLUMNS: &str =
    "id, slug, name, accent, texts, consent_text, consent_version, low_rating_threshold, auto_approve_min_rating, \
     referral_window_days, referral_landing_url, conversion_burst_limit, proof_of_work, created_at";

#[derive(sqlx::FromRow)]
struct TestimonialRow {
    id: String,
    site_id: i64,
    status: String,
    name: String,
    email: String,
    role: Option<String>,
    company: Option<String>,
    rating: i64,
    body: String,
    consent: i64,
    consent_text: Option<String>,
    consent_version: Option<i64>,
    photo_id: Option<String>,
    referral_code: Option<String>,
    page_url: Option<String>,
    ip_prefix: Option<String>,
    reply: Option<String>,
    featured: i64,
    follow_up: i64,
    contact_me: i64,
    follow_up_resolved_at: Option<i64>,
    follow_up_note: Option<String>,
    tags: Option<String>,
    edited: i64,
    created_at: i64,
    updated_at: i64,
}

const TESTIMONIAL_COLUMNS: &str = "id, site_id, status, name, email, role, company, rating, body, consent, \
    consent_text, consent_version, photo_id, referral_code, page_url, ip_prefix, reply, featured, follow_up, contact_me, \
    follow_up_resolved_at, follow_up_note, edited, created_at, updated_at";

/// A new value for one column of `sites` (`None` stores NULL).
enum Setting {
    Text(Option<String>),
    Number(Option<i64>),
}

/// The testimonial's tags, newline-joined, as one more column.
const TAGS_SQLITE: &str =
    "(SELECT group_concat(tag, char(10)) FROM testimonial_tags WHERE testimonial_id = testimonials.id) AS tags";
const TAGS_POSTGRES: &str =
    "(SELECT string_agg(tag, chr(10)) FROM testimonial_tags WHERE testimonial_id = testimonials.id) AS tags";

impl TryFrom<TestimonialRow> for Testimonial {
    type Error = StorageError;

    fn try_from(row: TestimonialRow) -> Result<Self, Self::Error> {
        let status = Status::parse(&row.status).ok_or_else(|| {
            StorageError::Corrupt(format!("status {:?} of testimonial {}", row.status, row.id))
        })?;
        let rating = u8::try_from(row.rating)
            .map_err(|_| StorageError::Corrupt(format!("rating of testimonial {}", row.id)))?;
        Ok(Testimonial {
            id: row.id,
            site_id: row.site_id,
            status,
            name: row.name,
            email: row.email,
            role: row.role,
            company: row.company,
            rating,
            text: row.body,
            consent: row.consent != 0,
            consent_text: row.consent_text,
            consent_version: row.consent_version,
            photo_id: row.photo_id,
            referral_code: row.referral_code,
            page_url: row.page_url,
            ip_prefix: row.ip_prefix,
            reply: row.reply,
            featured: row.featured != 0,
            follow_up: row.follow_up != 0,
            contact_me: row.contact_me != 0,
            follow_up_resolved_at: row.follow_up_resolved_at,
            follow_up_note: row.follow_up_note,
            tags: split_tags(row.tags.as_deref()),
            edited: row.edited != 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const DELIVERY_COLUMNS: &str =
    "d.id, d.webhook_id, w.url, w.secret, d.event, d.payload, d.state, d.attempts, \
    d.last_status, d.last_error, d.next_attempt_at, d.created_at \
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    url: String,
    secret: String,
    event: String,
    payload: String,
    state: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: i64,
    created_at: i64,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StorageError;

    fn try_from(row: DeliveryRow) -> Result<Self, Self::Error> {
        let state = DeliveryState::parse(&row.state)
            .ok_or_else(|| StorageError::Corrupt(format!("state {:?} of delivery {}", row.state, row.id)))?;
        Ok(Delivery {
            id: row.id,
            webhook_id: row.webhook_id,
            url: row.url,
            secret: row.secret,
            event: row.event,
            payload: row.payload,
            state,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            last_status: row.last_status.and_then(|status| u16::try_from(status).ok()),
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
        })
    }
}

/// The group commit: takes every testimonial that has queued up (at most
/// [`GROUP_COMMIT_MAX`]), inserts them in one transaction and one fsync, and only then answers
/// each request. Under load this turns many fsyncs into one; alone, a submission waits for
/// nothing but its own commit. If the batch fails, each is retried alone, so one bad row
/// never costs the others.
async fn group_commit(pool: AnyPool, backend: Backend, mut queue: mpsc::Receiver<Submission>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP_COMMIT_MAX {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if insert_batch(&pool, backend, batch.iter().map(|(row, _)| row)).await.is_ok() {
            for (_, answer) in batch {
                let _ = answer.send(Ok(()));
            }
            continue;
        }
        for (row, answer) in batch {
            let _ = answer.send(insert_batch(&pool, backend, std::iter::once(&row)).await);
        }
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

async fn insert_batch(
    pool: &AnyPool,
    backend: Backend,
    rows: impl Iterator<Item = &ImportedTestimonial>,
) -> Result<(), StorageError> {
    let mut tx = begin_write(pool, backend).await?;
    for row in rows {
        insert_row(&mut tx, row, false).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The one INSERT of a testimonial row, for new submissions and imports alike; with `or_ignore`
/// an id already stored is left untouched. Returns how many rows were added.
async fn insert_row(
    conn: &mut sqlx::AnyConnection,
    item: &ImportedTestimonial,
    or_ignore: bool,
) -> Result<u64, sqlx::Error> {
    let record = &item.record;
    let on_conflict = if or_ignore { " ON CONFLICT (id) DO NOTHING" } else { "" };
    let inserted = sqlx::query(&format!(
        "INSERT INTO testimonials (id, site_id, status, name, email, role, company, rating, body, \
         consent, consent_text, consent_version, photo_id, referral_code, page_url, ip_prefix, follow_up, \
         contact_me, manage_token_hash, reply, featured, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23){on_conflict}"
    ))
    .bind(&record.id)
    .bind(record.site_id)
    .bind(record.status.as_str())
    .bind(&record.name)
    .bind(&record.email)
    .bind(&record.role)
    .bind(&record.company)
    .bind(i64::from(record.rating))
    .bind(&record.text)
    .bind(flag(record.consent))
    .bind(&record.consent_text)
    .bind(record.consent_version)
    .bind(&record.photo_id)
    .bind(&record.referral_code)
    .bind(&record.page_url)
    .bind(&record.ip_prefix)
    .bind(flag(record.follow_up))
    .bind(flag(record.contact_me))
    .bind(&record.manage_token_hash)
    .bind(&item.reply)
    .bind(flag(item.featured))
    .bind(record.created_at)
    .bind(item.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected())
}

const ADVOCATE_COLUMNS: &str = "id, site_id, code, name, email, ip_prefix, device, created_at";

#[derive(sqlx::FromRow)]
struct AdvocateRow {
    id: i64,
    site_id: i64,
    code: String,
    name: String,
    email: String,
    ip_prefix: Option<String>,
    device: Option<String>,
    created_at: i64,
}

impl From<AdvocateRow> for Advocate {
    fn from(row: AdvocateRow) -> Self {
        Advocate {
            id: row.id,
            site_id: row.site_id,
            code: row.code,
            name: row.name,
            email: row.email,
            ip_prefix: row.ip_prefix,
            device: row.device,
            created_at: row.created_at,
        }
    }
}

const CONVERSION_COLUMNS: &str =
    "id, site_id, advocate_id, external_id, email, flags, review, reward_given_at, created_at";

#[derive(sqlx::FromRow)]
struct ConversionRow {
    id: i64,
    site_id: i64,
    advocate_id: i64,
    external_id: String,
    email: Option<String>,
    flags: String,
    review: Option<String>,
    reward_given_at: Option<i64>,
    created_at: i64,
}

impl From<ConversionRow> for Conversion {
    fn from(row: ConversionRow) -> Self {
        Conversion {
            id: row.id,
            site_id: row.site_id,
            advocate_id: row.advocate_id,
            external_id: row.external_id,
            email: row.email,
            flags: row.flags.split(',').filter(|flag| !flag.is_empty()).map(str::to_owned).collect(),
            review: row.review.map(|review| review == "accepted"),
            reward_given_at: row.reward_given_at,
            created_at: row.created_at,
        }
    }
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

/// The filters of every newest-first list in one statement: a filter whose parameter is NULL
/// lets every row through, so the SQL stays the same and is prepared once.
const LIST_FILTERS: &str = " WHERE site_id = $1 AND status = $2 \
     AND ($3 IS NULL OR id IN (SELECT testimonial_id FROM testimonial_tags WHERE tag = $3)) \
     AND ($4 IS NULL OR lower(name) LIKE $4 ESCAPE '\\' OR lower(body) LIKE $4 ESCAPE '\\') \
     AND ($5 IS NULL OR rating = $5) \
     AND ($6 IS NULL OR created_at < $6 OR (created_at = $6 AND id < $7)) \
     ORDER BY created_at DESC, id DESC LIMIT $8";

/// `%words%` for LIKE, with the visitor's own `%`, `_` and `\` matched literally.
fn contains_pattern(words: &str) -> String {
    let mut pattern = String::from("%");
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[async_trait]
impl Storage for SqlStorage {
    async fn create_site(&self, site: NewSite, now: i64) -> Result<Site, StorageError> {
        let mut tx = self.write_transaction().await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO sites (slug, name, consent_text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(site.slug.as_str())
        .bind(&site.name)
        .bind(&site.consent_text)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let site_id = match inserted {
            Ok(id) => id,
            Err(error) if is_unique_violation(&error) => {
                return Err(StorageError::Conflict { field: "slug" })
            }
            Err(error) => return Err(error.into()),
        };
        for origin in &site.origins {
            sqlx::query("INSERT INTO site_origins (site_id, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(site_id)
                .bind(origin.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.site_by_slug(site.slug.as_str())
            .await?
            .ok_or_else(|| StorageError::Corrupt("a site vanished right after it was created".into()))
    }

    async fn update_site(&self, slug: &str, changes: SiteChanges) -> Result<Option<Site>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let Some(site_id) = sqlx::query_scalar::<_, i64>("SELECT id FROM sites WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        if let Some(consent_text) = &changes.consent_text {
            sqlx::query(
                "UPDATE sites SET consent_text = $1, consent_version = consent_version + 1 \
                 WHERE id = $2 AND consent_text <> $3",
            )
            .bind(consent_text)
            .bind(site_id)
            .bind(consent_text)
            .execute(&mut *tx)
            .await?;
        }
        let texts = changes
            .texts
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|error| StorageError::Corrupt(format!("texts cannot be stored: {error}")))?;
        // Every other setting is one column: set those that were given.
        let columns: [(&str, Option<Setting>); 9] = [
            ("name", changes.name.clone().map(|v| Setting::Text(Some(v)))),
            ("accent", changes.accent.clone().map(|v| Setting::Text(Some(v)))),
            ("texts", texts.map(|v| Setting::Text(Some(v)))),
            (
                "auto_approve_min_rating",
                changes.auto_approve_min_rating.map(|v| Setting::Number(v.map(i64::from))),
            ),
            ("proof_of_work", changes.proof_of_work.map(|v| Setting::Number(Some(i64::from(v))))),
            (
                "referral_window_days",
                changes.referral_window_days.map(|v| Setting::Number(Some(i64::from(v)))),
            ),
            ("referral_landing_url", changes.referral_landing_url.clone().map(Setting::Text)),
            (
                "conversion_burst_limit",
                changes.conversion_burst_limit.map(|v| Setting::Number(Some(i64::from(v)))),
            ),
            (
                "low_rating_threshold",
                changes.low_rating_threshold.map(|v| Setting::Number(Some(i64::from(v)))),
            ),
        ];
        for (column, value) in columns {
            let Some(value) = value else { continue };
            let sql = format!("UPDATE sites SET {column} = $1 WHERE id = $2");
            let query = match value {
                Setting::Text(text) => sqlx::query(&sql).bind(text),
                Setting::Number(number) => sqlx::query(&sql).bind(number),
            };
            query.bind(site_id).execute(&mut *tx).await?;
        }
        if let Some(origins) = &changes.origins {
            sqlx::query("DELETE FROM site_origins WHERE site_id = $1")
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            for origin in origins {
                sqlx::query(
                    "INSERT INTO site_origins (site_id, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(site_id)
                .bind(origin.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        self.site_by_slug(slug).await
    }

    async fn site_by_slug(&self, slug: &str) -> Result<Option<Site>, StorageError> {
        let row = sqlx::query_as::<_, SiteRow>(&format!("SELECT {SITE_COLUMNS} FROM sites WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.site_from_row(row).await?)),
            None => Ok(None),
        }
    }

    async fn list_sites(&self) -> Result<Vec<Site>, StorageError> {
        let rows = sqlx::query_as::<_, SiteRow>(&format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY slug"))
            .fetch_all(&self.pool)
            .await?;
        let mut sites = Vec::with_capacity(rows.len());
        for row in rows {
            sites.push(self.site_from_row(row).await?);
        }
        Ok(sites)
    }

    async fn upsert_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        site_id: i64,
        role: Role,
        now: i64,
    ) -> Result<User, StorageError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(hash) = password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO memberships (user_id, site_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, site_id) DO UPDATE SET role = excluded.role",
        )
        .bind(user_id)
        .bind(site_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(User { id: user_id, email: email.to_owned() })
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT id, email FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>, StorageError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT users.id, users.email FROM api_tokens JOIN users ON users.id = api_tokens.user_id \
             WHERE api_tokens.token_hash = $1 AND api_tokens.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn role_on_site(&self, user_id: i64, site_id: i64) -> Result<Option<Role>, StorageError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND site_id = $2")
                .bind(user_id)
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?;
        role.map(|role| role.parse().map_err(StorageError::Corrupt)).transpose()
    }

    async fn insert_testimonial(&self, record: NewTestimonialRecord) -> Result<(), StorageError> {
        let created_at = record.created_at;
        let row = ImportedTestimonial {
            record,
            reply: None,
            featured: false,
            tags: Vec::new(),
            updated_at: created_at,
        };
        let (stored, answer) = oneshot::channel();
        self.submissions
            .send((row, stored))
            .await
            .map_err(|_| StorageError::Unsupported("the storage is shutting down".into()))?;
        answer.await.map_err(|_| StorageError::Unsupported("the storage is shutting down".into()))?
    }

    async fn list_published(
        &self,
        site_id: i64,
        query: &ListQuery,
    ) -> Result<Vec<Testimonial>, StorageError> {
        self.list_by_status(site_id, Status::Approved, query).await
    }

    async fn rating_summary(&self, site_id: i64) -> Result<RatingSummary, StorageError> {
        let (count, average): (i64, Option<f64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(AVG(rating) AS DOUBLE PRECISION) FROM testimonials \
             WHERE site_id = $1 AND status IN ('approved', 'rejected')",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(RatingSummary { count: u64::try_from(count).unwrap_or(0), average })
    }

    async fn list_by_status(
        &self,
        site_id: i64,
        status: Status,
        query: &ListQuery,
    ) -> Result<Vec<Testimonial>, StorageError> {
        let sql = format!("{} FROM testimonials{LIST_FILTERS}", self.select_testimonials());
        let rows: Vec<TestimonialRow> = sqlx::query_as(&sql)
            .bind(site_id)
            .bind(status.as_str())
            .bind(query.tag.clone())
            .bind(query.search.as_deref().map(contains_pattern))
            .bind(query.rating.map(i64::from))
            .bind(query.cursor.as_ref().map(|cursor| cursor.created_at))
            .bind(query.cursor.as_ref().map(|cursor| cursor.id.clone()))
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn testimonial(&self, site_id: i64, id: &str) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "{} FROM testimonials WHERE site_id = $1 AND id = $2",
            self.select_testimonials()
        ))
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Testimonial::try_from).transpose()
    }

    async fn moderate(
        &self,
        site_id: i64,
        id: &str,
        status: Status,
        now: i64,
    ) -> Result<Moderated, StorageError> {
        // One conditional UPDATE, so a withdrawal racing an approval can never be overridden.
        let updated = sqlx::query(
            "UPDATE testimonials SET status = $1, updated_at = $2 \
             WHERE site_id = $3 AND id = $4 AND status <> 'withdrawn' AND ($5 <> 'approved' OR consent = 1)",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(site_id)
        .bind(id)
        .bind(status.as_str())
        .execute(&self.pool)
        .await?;
        let current = self.testimonial(site_id, id).await?;
        Ok(match current {
            None => Moderated::NotFound,
            Some(testimonial) if updated.rows_affected() == 1 => Moderated::Done(Box::new(testimonial)),
            Some(testimonial) if testimonial.status == Status::Withdrawn => Moderated::Withdrawn,
            Some(_) => Moderated::NoConsent,
        })
    }

    async fn status_counts(&self, site_id: i64) -> Result<Vec<(Status, u64)>, StorageError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM testimonials WHERE site_id = $1 GROUP BY status")
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(Status::ALL
            .into_iter()
            .map(|status| {
                let count = rows.iter().find(|(name, _)| name == status.as_str()).map_or(0, |(_, n)| *n);
                (status, u64::try_from(count).unwrap_or(0))
            })
            .collect())
    }

    async fn set_reply(
        &self,
        site_id: i64,
        id: &str,
        reply: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET reply = $1, replied_at = $2, updated_at = $3 WHERE site_id = $4 AND id = $5",
        )
        .bind(reply)
        .bind(reply.map(|_| now))
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }

    async fn set_featured(
        &self,
        site_id: i64,
        id: &str,
        featured: bool,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query("UPDATE testimonials SET featured = $1, updated_at = $2 WHERE site_id = $3 AND id = $4")
            .bind(flag(featured))
            .bind(now)
            .bind(site_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.testimonial(site_id, id).await
    }

    async fn password_hash(&self, email: &str) -> Result<Option<(User, Option<String>)>, StorageError> {
        let row: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, email, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, email, hash)| (User { id, email }, hash)))
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StorageError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT users.id, users.email, sessions.csrf_token FROM sessions \
             JOIN users ON users.id = sessions.user_id WHERE sessions.id_hash = $1 AND sessions.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email, csrf_token)| Session { user: User { id, email }, csrf_token }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn sites_of_user(&self, user_id: i64) -> Result<Vec<(Site, Role)>, StorageError> {
        let slugs: Vec<(String, String)> = sqlx::query_as(
            "SELECT sites.slug, memberships.role FROM memberships JOIN sites ON sites.id = memberships.site_id \
             WHERE memberships.user_id = $1 ORDER BY sites.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut sites = Vec::with_capacity(slugs.len());
        for (slug, role) in slugs {
            if let Some(site) = self.site_by_slug(&slug).await? {
                sites.push((site, role.parse().map_err(StorageError::Corrupt)?));
            }
        }
        Ok(sites)
    }

    async fn record_audit(&self, entry: AuditEntry) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO audit_log (site_id, user_id, actor, action, testimonial_id, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.site_id)
        .bind(entry.user_id)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.testimonial_id)
        .bind(&entry.detail)
        .bind(entry.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, site_id: i64, limit: u32) -> Result<Vec<AuditEntry>, StorageError> {
        type Row = (i64, Option<i64>, String, String, Option<String>, Option<String>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT site_id, user_id, actor, action, testimonial_id, detail, created_at FROM audit_log \
             WHERE site_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(site_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(site_id, user_id, actor, action, testimonial_id, detail, created_at)| AuditEntry {
                site_id,
                user_id,
                actor,
                action,
                testimonial_id,
                detail,
                created_at,
            })
            .collect())
    }

    async fn testimonial_by_manage_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "{} FROM testimonials WHERE manage_token_hash = $1",
            self.select_testimonials()
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Testimonial::try_from).transpose()
    }

    async fn withdraw(&self, token_hash: &str, now: i64) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET status = 'withdrawn', featured = 0, updated_at = $1 WHERE manage_token_hash = $2",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        self.testimonial_by_manage_token(token_hash).await
    }

    async fn author_edit(
        &self,
        token_hash: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET name = $1, role = $2, company = $3, rating = $4, body = $5, edited = 1, \
             status = 'pending', updated_at = $6 WHERE manage_token_hash = $7 AND status <> 'withdrawn'",
        )
        .bind(&edit.name)
        .bind(&edit.role)
        .bind(&edit.company)
        .bind(i64::from(edit.rating))
        .bind(&edit.text)
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        self.testimonial_by_manage_token(token_hash).await
    }

    async fn moderator_edit(
        &self,
        site_id: i64,
        id: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET name = $1, role = $2, company = $3, rating = $4, body = $5, edited = 1, \
             updated_at = $6 WHERE site_id = $7 AND id = $8",
        )
        .bind(&edit.name)
        .bind(&edit.role)
        .bind(&edit.company)
        .bind(i64::from(edit.rating))
        .bind(&edit.text)
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }

    async fn set_tags(
        &self,
        site_id: i64,
        id: &str,
        tags: &[String],
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let updated = sqlx::query("UPDATE testimonials SET updated_at = $1 WHERE site_id = $2 AND id = $3")
            .bind(now)
            .bind(site_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM testimonial_tags WHERE testimonial_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for tag in tags {
            sqlx::query(
                "INSERT INTO testimonial_tags (testimonial_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.testimonial(site_id, id).await
    }

    async fn follow_ups(
        &self,
        site_id: i64,
        resolved: bool,
        limit: u32,
    ) -> Result<Vec<Testimonial>, StorageError> {
        let rows: Vec<TestimonialRow> = sqlx::query_as(&format!(
            "{} FROM testimonials WHERE site_id = $1 \
             AND (follow_up = 1 OR contact_me = 1) AND status NOT IN ('spam', 'withdrawn') \
             AND (CASE WHEN follow_up_resolved_at IS NULL THEN 0 ELSE 1 END) = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3",
            self.select_testimonials()
        ))
        .bind(site_id)
        .bind(flag(resolved))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn resolve_follow_up(
        &self,
        site_id: i64,
        id: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET follow_up_resolved_at = $1, follow_up_note = $2, updated_at = $3 \
             WHERE site_id = $4 AND id = $5",
        )
        .bind(now)
        .bind(note)
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }

    async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiToken>, StorageError> {
        let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, created_at, revoked_at)| ApiToken { id, created_at, revoked_at })
            .collect())
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64, now: i64) -> Result<bool, StorageError> {
        let updated = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 AND user_id = $3",
        )
        .bind(now)
        .bind(token_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn members(&self, site_id: i64) -> Result<Vec<(User, Role)>, StorageError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT users.id, users.email, memberships.role FROM memberships \
             JOIN users ON users.id = memberships.user_id WHERE memberships.site_id = $1 ORDER BY users.email",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, email, role)| Ok((User { id, email }, role.parse().map_err(StorageError::Corrupt)?)))
            .collect()
    }

    async fn remove_member(&self, site_id: i64, user_id: i64) -> Result<bool, StorageError> {
        let deleted = sqlx::query("DELETE FROM memberships WHERE site_id = $1 AND user_id = $2")
            .bind(site_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn member_emails(&self, site_id: i64) -> Result<Vec<String>, StorageError> {
        let emails = sqlx::query_scalar(
            "SELECT users.email FROM memberships JOIN users ON users.id = memberships.user_id \
             WHERE memberships.site_id = $1 ORDER BY users.email",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(emails)
    }

    async fn server_key(&self, name: &str, fresh: &str) -> Result<String, StorageError> {
        // Insert-if-absent then read: two processes starting together still agree on one key.
        sqlx::query("INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        let key = sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(key)
    }

    async fn use_nonce(&self, nonce: &str, now: i64) -> Result<bool, StorageError> {
        let inserted =
            sqlx::query("INSERT INTO used_nonces (nonce, used_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(nonce)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn add_webhook(
        &self,
        site_id: i64,
        url: &str,
        secret: &str,
        now: i64,
    ) -> Result<Webhook, StorageError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (site_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(site_id)
        .bind(url)
        .bind(secret)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(Webhook { id, site_id, url: url.to_owned(), secret: secret.to_owned(), created_at: now })
    }

    async fn webhooks(&self, site_id: i64) -> Result<Vec<Webhook>, StorageError> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, site_id, url, secret, created_at FROM webhooks WHERE site_id = $1 ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, site_id, url, secret, created_at)| Webhook { id, site_id, url, secret, created_at })
            .collect())
    }

    async fn delete_webhook(&self, site_id: i64, webhook_id: i64) -> Result<bool, StorageError> {
        let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND site_id = $2")
            .bind(webhook_id)
            .bind(site_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn enqueue_deliveries(
        &self,
        site_id: i64,
        event: &str,
        payload: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        // Most sites have no webhook: find out with a read, which never waits for SQLite's
        // write lock (an INSERT … SELECT of nothing would, behind every submission).
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM webhooks WHERE site_id = $1 LIMIT 1")
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await?;
        if any.is_none() {
            return Ok(0);
        }
        let inserted = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, site_id, event, payload, state, next_attempt_at, created_at) \
             SELECT id, site_id, $1, $2, 'pending', $3, $4 FROM webhooks WHERE site_id = $5",
        )
        .bind(event)
        .bind(payload)
        .bind(now)
        .bind(now)
        .bind(site_id)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected())
    }

    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            // Only the instance whose UPDATE still sees the old time owns the attempt.
            let taken = sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                 WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
            )
            .bind(lease_until)
            .bind(row.id)
            .bind(row.next_attempt_at)
            .execute(&self.pool)
            .await?;
            if taken.rows_affected() == 1 {
                claimed.push(Delivery::try_from(row)?);
            }
        }
        Ok(claimed)
    }

    async fn record_delivery_attempt(
        &self,
        delivery_id: i64,
        attempt: DeliveryAttempt,
    ) -> Result<(), StorageError> {
        let state = match (attempt.delivered, attempt.retry_at) {
            (true, _) => DeliveryState::Delivered,
            (false, Some(_)) => DeliveryState::Pending,
            (false, None) => DeliveryState::Failed,
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
             next_attempt_at = coalesce($4, next_attempt_at), delivered_at = $5 WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(attempt.status.map(i64::from))
        .bind(&attempt.error)
        .bind(attempt.retry_at)
        .bind(attempt.delivered.then_some(attempt.now))
        .bind(delivery_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn deliveries(&self, site_id: i64, limit: u32) -> Result<Vec<Delivery>, StorageError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} WHERE d.site_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
        ))
        .bind(site_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn all_testimonials(&self, site_id: i64) -> Result<Vec<Testimonial>, StorageError> {
        let rows: Vec<TestimonialRow> = sqlx::query_as(&format!(
            "{} FROM testimonials WHERE site_id = $1 ORDER BY created_at, id",
            self.select_testimonials()
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn import_testimonial(&self, item: ImportedTestimonial) -> Result<bool, StorageError> {
        let record = &item.record;
        let mut tx = self.write_transaction().await?;
        let inserted = insert_row(&mut tx, &item, true).await?;
        if inserted == 0 {
            return Ok(false);
        }
        for tag in &item.tags {
            sqlx::query(
                "INSERT INTO testimonial_tags (testimonial_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(&record.id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn erase_email(&self, site_id: i64, email: &str) -> Result<u64, StorageError> {
        let key = crate::domain::email_key(email);
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "DELETE FROM photos WHERE id IN (SELECT photo_id FROM testimonials \
             WHERE site_id = $1 AND lower(email) = lower($2) AND photo_id IS NOT NULL)",
        )
        .bind(site_id)
        .bind(email)
        .execute(&mut *tx)
        .await?;
        // Tags go with their testimonial; visits and conversions with their advocate (CASCADE).
        let deleted = sqlx::query("DELETE FROM testimonials WHERE site_id = $1 AND lower(email) = lower($2)")
            .bind(site_id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM advocates WHERE site_id = $1 AND email_key = $2")
            .bind(site_id)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM conversions WHERE site_id = $1 AND email_key = $2")
            .bind(site_id)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected())
    }

    async fn backup(&self, path: &std::path::Path) -> Result<(), StorageError> {
        let target = path.to_str().ok_or_else(|| {
            StorageError::Unsupported(format!("backup path {} is not UTF-8", path.display()))
        })?;
        if self.backend == Backend::Postgres {
            return Err(StorageError::Unsupported(
                "back up PostgreSQL with its own tools: pg_dump --format=custom DATABASE > FILE".into(),
            ));
        }
        // VACUUM INTO writes a transactionally consistent copy while writers carry on.
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_advocate(&self, advocate: NewAdvocate) -> Result<Advocate, StorageError> {
        let inserted = sqlx::query(
            "INSERT INTO advocates (site_id, code, name, email, email_key, ip_prefix, device, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (site_id, email_key) DO NOTHING",
        )
        .bind(advocate.site_id)
        .bind(&advocate.code)
        .bind(&advocate.name)
        .bind(&advocate.email)
        .bind(&advocate.email_key)
        .bind(&advocate.ip_prefix)
        .bind(&advocate.device)
        .bind(advocate.created_at)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                return Err(StorageError::Conflict { field: "code" })
            }
            Err(error) => return Err(error.into()),
        }
        let row: AdvocateRow = sqlx::query_as(&format!(
            "SELECT {ADVOCATE_COLUMNS} FROM advocates WHERE site_id = $1 AND email_key = $2"
        ))
        .bind(advocate.site_id)
        .bind(&advocate.email_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    async fn advocate_by_code(&self, site_id: i64, code: &str) -> Result<Option<Advocate>, StorageError> {
        let row: Option<AdvocateRow> = sqlx::query_as(&format!(
            "SELECT {ADVOCATE_COLUMNS} FROM advocates WHERE site_id = $1 AND code = $2"
        ))
        .bind(site_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Advocate::from))
    }

    async fn advocate(&self, site_id: i64, advocate_id: i64) -> Result<Option<Advocate>, StorageError> {
        let row: Option<AdvocateRow> = sqlx::query_as(&format!(
            "SELECT {ADVOCATE_COLUMNS} FROM advocates WHERE site_id = $1 AND id = $2"
        ))
        .bind(site_id)
        .bind(advocate_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Advocate::from))
    }

    async fn record_visit(
        &self,
        advocate_id: i64,
        device: Option<&str>,
        ip_prefix: Option<&str>,
        now: i64,
        since: i64,
    ) -> Result<bool, StorageError> {
        // One statement: two tabs opening the same link at once still count once.
        let inserted = sqlx::query(
            "INSERT INTO referral_visits (advocate_id, device, ip_prefix, created_at) \
             SELECT $1, $2, $3, $4 WHERE $5 IS NULL OR NOT EXISTS (SELECT 1 FROM referral_visits \
             WHERE advocate_id = $6 AND device = $7 AND created_at >= $8)",
        )
        .bind(advocate_id)
        .bind(device)
        .bind(ip_prefix)
        .bind(now)
        .bind(device)
        .bind(advocate_id)
        .bind(device)
        .bind(since)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn conversions_since(&self, site_id: i64, since: i64) -> Result<u64, StorageError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM conversions WHERE site_id = $1 AND created_at >= $2")
                .bind(site_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(count(n))
    }

    async fn record_conversion(&self, conversion: NewConversion) -> Result<(Conversion, bool), StorageError> {
        let inserted = sqlx::query(
            "INSERT INTO conversions (site_id, advocate_id, external_id, email, email_key, ip_prefix, \
             device, flags, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(conversion.site_id)
        .bind(conversion.advocate_id)
        .bind(&conversion.external_id)
        .bind(&conversion.email)
        .bind(&conversion.email_key)
        .bind(&conversion.ip_prefix)
        .bind(&conversion.device)
        .bind(conversion.flags.join(","))
        .bind(conversion.created_at)
        .execute(&self.pool)
        .await?;
        let row: ConversionRow = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND external_id = $2"
        ))
        .bind(conversion.site_id)
        .bind(&conversion.external_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.into(), inserted.rows_affected() == 1))
    }

    async fn advocate_stats(
        &self,
        site_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<AdvocateStats>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct StatsRow {
            #[sqlx(flatten)]
            advocate: AdvocateRow,
            visits: i64,
            conversions: i64,
            flagged: i64,
        }
        let rows: Vec<StatsRow> = sqlx::query_as(
            "SELECT a.id, a.site_id, a.code, a.name, a.email, a.ip_prefix, a.device, a.created_at, \
             (SELECT COUNT(*) FROM referral_visits v WHERE v.advocate_id = a.id) AS visits, \
             (SELECT COUNT(*) FROM conversions c WHERE c.advocate_id = a.id \
                AND (c.review IS NULL OR c.review = 'accepted')) AS conversions, \
             (SELECT COUNT(*) FROM conversions c WHERE c.advocate_id = a.id AND c.flags <> '' \
                AND c.review IS NULL) AS flagged \
             FROM advocates a WHERE a.site_id = $1 \
             ORDER BY conversions DESC, visits DESC, a.created_at, a.id LIMIT $2 OFFSET $3",
        )
        .bind(site_id)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| AdvocateStats {
                advocate: row.advocate.into(),
                visits: count(row.visits),
                conversions: count(row.conversions),
                flagged: count(row.flagged),
            })
            .collect())
    }

    async fn conversions_of(&self, site_id: i64, advocate_id: i64) -> Result<Vec<Conversion>, StorageError> {
        let rows: Vec<ConversionRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND advocate_id = $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(site_id)
        .bind(advocate_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Conversion::from).collect())
    }

    async fn flagged_conversions(&self, site_id: i64) -> Result<Vec<Conversion>, StorageError> {
        let rows: Vec<ConversionRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND flags <> '' AND review IS NULL \
             ORDER BY created_at, id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Conversion::from).collect())
    }

    async fn review_conversion(
        &self,
        site_id: i64,
        conversion_id: i64,
        accepted: bool,
    ) -> Result<bool, StorageError> {
        let updated = sqlx::query("UPDATE conversions SET review = $1 WHERE site_id = $2 AND id = $3")
            .bind(if accepted { "accepted" } else { "rejected" })
            .bind(site_id)
            .bind(conversion_id)
            .execute(&self.pool)
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn mark_reward_given(
        &self,
        site_id: i64,
        conversion_id: i64,
        now: i64,
    ) -> Result<bool, StorageError> {
        let updated = sqlx::query(
            "UPDATE conversions SET reward_given_at = coalesce(reward_given_at, $1) WHERE site_id = $2 AND id = $3",
        )
        .bind(now)
        .bind(site_id)
        .bind(conversion_id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn claim_idempotency_key(
        &self,
        site_id: i64,
        key: &str,
        request_hash: &str,
        now: i64,
        fresh_since: i64,
    ) -> Result<IdempotencyClaim, StorageError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE site_id = $1 AND key = $2 AND created_at < $3")
            .bind(site_id)
            .bind(key)
            .bind(fresh_since)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (site_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(site_id)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let claim = if inserted.rows_affected() == 1 {
            IdempotencyClaim::New
        } else {
            let (request_hash, status, body): (String, Option<i64>, Option<String>) = sqlx::query_as(
                "SELECT request_hash, status, body FROM idempotency_keys WHERE site_id = $1 AND key = $2",
            )
            .bind(site_id)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            match (status.and_then(|status| u16::try_from(status).ok()), body) {
                (Some(status), Some(body)) => IdempotencyClaim::Done { request_hash, status, body },
                _ => IdempotencyClaim::InProgress { request_hash },
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        site_id: i64,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE site_id = $3 AND key = $4")
            .bind(i64::from(status))
            .bind(body)
            .bind(site_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, site_id: i64, key: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE site_id = $1 AND key = $2")
            .bind(site_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn store_photo(&self, photo: Photo, stale_before: i64) -> Result<(), StorageError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "DELETE FROM photos WHERE site_id = $1 AND created_at < $2 \
             AND id NOT IN (SELECT photo_id FROM testimonials WHERE site_id = $1 AND photo_id IS NOT NULL)",
        )
        .bind(photo.site_id)
        .bind(stale_before)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO photos (id, site_id, data, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&photo.id)
            .bind(photo.site_id)
            .bind(&photo.data)
            .bind(i64::from(photo.width))
            .bind(i64::from(photo.height))
            .bind(photo.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unattached_photo(&self, site_id: i64, id: &str) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM photos WHERE site_id = $1 AND id = $2 \
             AND NOT EXISTS (SELECT 1 FROM testimonials WHERE photo_id = $2)",
        )
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn photo(&self, site_id: i64, id: &str) -> Result<Option<Photo>, StorageError> {
        let row: Option<(String, i64, Vec<u8>, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, site_id, data, width, height, created_at FROM photos WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(photo_from_row))
    }

    async fn published_photo(&self, id: &str) -> Result<Option<Photo>, StorageError> {
        let row: Option<(String, i64, Vec<u8>, i64, i64, i64)> = sqlx::query_as(
            "SELECT p.id, p.site_id, p.data, p.width, p.height, p.created_at FROM photos p \
             JOIN testimonials t ON t.photo_id = p.id AND t.site_id = p.site_id \
             WHERE p.id = $1 AND t.status = 'approved'",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(photo_from_row))
    }
}

fn photo_from_row(
    (id, site_id, data, width, height, created_at): (String, i64, Vec<u8>, i64, i64, i64),
) -> Photo {
    Photo {
        id,
        site_id,
        data,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    #[test]
    fn like_patterns_match_the_visitors_words_literally() {
        assert_eq!(contains_pattern("Beans"), "%beans%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }

    fn record(id: &str, site_id: i64) -> NewTestimonialRecord {
        NewTestimonialRecord {
            id: id.into(),
            site_id,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: None,
            company: None,
            rating: 5,
            text: "Lovely".into(),
            consent: true,
            consent_text: None,
            consent_version: None,
            photo_id: None,
            referral_code: None,
            page_url: None,
            ip_prefix: None,
            follow_up: false,
            contact_me: false,
            status: Status::Pending,
            manage_token_hash: format!("hash-{id}-{}", crate::secrets::nonce()),
            created_at: 1,
        }
    }

    /// Submissions committed together still succeed or fail one by one.
    #[tokio::test]
    async fn one_bad_row_in_a_group_commit_costs_the_others_nothing() {
        let database = TestDatabase::create_on(Backend::Sqlite).await.unwrap();
        let storage = SqlStorage::connect(&database.url, Backend::Sqlite).await.unwrap();
        storage.migrate().await.unwrap();
        let site = storage
            .create_site(
                super::super::NewSite {
                    slug: crate::domain::SiteSlug::parse("acme").unwrap(),
                    name: "Acme".into(),
                    origins: vec![],
                    consent_text: "ok".into(),
                },
                0,
            )
            .await
            .unwrap();
        // Joined on one task, so all three are queued before the writer takes the batch.
        let (first, second, other) = tokio::join!(
            storage.insert_testimonial(record("same", site.id)),
            storage.insert_testimonial(record("same", site.id)),
            storage.insert_testimonial(record("other", site.id)),
        );
        let results = [first, second, other];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "{results:?}");
        assert!(results[2].is_ok());
        assert_eq!(storage.all_testimonials(site.id).await.unwrap().len(), 2);
    }

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
