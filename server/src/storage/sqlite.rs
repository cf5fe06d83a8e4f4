//! The embedded default backend: one SQLite file in WAL mode, fsynced on every commit.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_protocol::api::Status;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::{
    AuditEntry, AuthorEdit, ListQuery, Session, Moderated, NewSite, NewTestimonialRecord, RatingSummary, Site, SiteChanges, Storage,
    StorageError, Testimonial, User,
};
use crate::domain::Role;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    pub async fn connect(database_url: &str) -> Result<Self, StorageError> {
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            // A 2xx means stored: WAL plus a full fsync on every commit survives a killed process
            // and a lost machine alike.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Writers queue for the lock instead of failing; the CLI may write while a server runs.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// The pool, for maintenance commands that need raw SQL (backups, integrity checks).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn load_origins(&self, site_id: i64) -> Result<Vec<String>, StorageError> {
        let origins = sqlx::query_scalar("SELECT origin FROM site_origins WHERE site_id = ? ORDER BY origin")
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
            origins,
            created_at: self.created_at,
        })
    }
}

const SITE_COLUMNS: &str =
    "id, slug, name, accent, texts, consent_text, consent_version, low_rating_threshold, created_at";

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
    consent: bool,
    consent_text: Option<String>,
    consent_version: Option<i64>,
    photo_id: Option<String>,
    referral_code: Option<String>,
    page_url: Option<String>,
    ip_prefix: Option<String>,
    reply: Option<String>,
    featured: bool,
    follow_up: bool,
    edited: bool,
    created_at: i64,
    updated_at: i64,
}

const TESTIMONIAL_COLUMNS: &str = "id, site_id, status, name, email, role, company, rating, body, consent, \
    consent_text, consent_version, photo_id, referral_code, page_url, ip_prefix, reply, featured, follow_up, edited, \
    created_at, updated_at";

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
            consent: row.consent,
            consent_text: row.consent_text,
            consent_version: row.consent_version,
            photo_id: row.photo_id,
            referral_code: row.referral_code,
            page_url: row.page_url,
            ip_prefix: row.ip_prefix,
            reply: row.reply,
            featured: row.featured,
            follow_up: row.follow_up,
            edited: row.edited,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Appends the status filter, tag filter, cursor and limit shared by every newest-first list.
fn push_list_filters(
    builder: &mut QueryBuilder<'_, Sqlite>,
    site_id: i64,
    status: Status,
    query: &ListQuery,
) {
    builder.push(" WHERE site_id = ").push_bind(site_id);
    builder.push(" AND status = ").push_bind(status.as_str());
    if let Some(tag) = &query.tag {
        builder
            .push(" AND id IN (SELECT testimonial_id FROM testimonial_tags WHERE tag = ")
            .push_bind(tag.clone())
            .push(")");
    }
    if let Some(words) = &query.search {
        // instr() rather than LIKE: the visitor's % and _ are matched literally.
        let needle = words.to_lowercase();
        builder
            .push(" AND (instr(lower(name), ")
            .push_bind(needle.clone())
            .push(") > 0 OR instr(lower(body), ")
            .push_bind(needle)
            .push(") > 0)");
    }
    if let Some(stars) = query.rating {
        builder.push(" AND rating = ").push_bind(i64::from(stars));
    }
    if let Some(cursor) = &query.cursor {
        builder
            .push(" AND (created_at < ")
            .push_bind(cursor.created_at)
            .push(" OR (created_at = ")
            .push_bind(cursor.created_at)
            .push(" AND id < ")
            .push_bind(cursor.id.clone())
            .push("))");
    }
    builder.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(query.limit));
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_site(&self, site: NewSite, now: i64) -> Result<Site, StorageError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO sites (slug, name, consent_text, created_at) VALUES (?, ?, ?, ?) RETURNING id",
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
            sqlx::query("INSERT OR IGNORE INTO site_origins (site_id, origin) VALUES (?, ?)")
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
        let mut tx = self.pool.begin().await?;
        let Some(site_id) = sqlx::query_scalar::<_, i64>("SELECT id FROM sites WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        if let Some(name) = &changes.name {
            sqlx::query("UPDATE sites SET name = ? WHERE id = ?")
                .bind(name)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(accent) = &changes.accent {
            sqlx::query("UPDATE sites SET accent = ? WHERE id = ?")
                .bind(accent)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(consent_text) = &changes.consent_text {
            sqlx::query(
                "UPDATE sites SET consent_text = ?, consent_version = consent_version + 1 \
                 WHERE id = ? AND consent_text <> ?",
            )
            .bind(consent_text)
            .bind(site_id)
            .bind(consent_text)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(threshold) = changes.low_rating_threshold {
            sqlx::query("UPDATE sites SET low_rating_threshold = ? WHERE id = ?")
                .bind(i64::from(threshold))
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(origins) = &changes.origins {
            sqlx::query("DELETE FROM site_origins WHERE site_id = ?").bind(site_id).execute(&mut *tx).await?;
            for origin in origins {
                sqlx::query("INSERT OR IGNORE INTO site_origins (site_id, origin) VALUES (?, ?)")
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
        let row = sqlx::query_as::<_, SiteRow>(&format!("SELECT {SITE_COLUMNS} FROM sites WHERE slug = ?"))
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO users (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = ?")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(hash) = password_hash {
            sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO memberships (user_id, site_id, role) VALUES (?, ?, ?) \
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
        let row: Option<(i64, String)> = sqlx::query_as("SELECT id, email FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)")
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
             WHERE api_tokens.token_hash = ? AND api_tokens.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn role_on_site(&self, user_id: i64, site_id: i64) -> Result<Option<Role>, StorageError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = ? AND site_id = ?")
                .bind(user_id)
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?;
        role.map(|role| role.parse().map_err(StorageError::Corrupt)).transpose()
    }

    async fn insert_testimonial(&self, record: NewTestimonialRecord) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO testimonials (id, site_id, status, name, email, role, company, rating, body, consent, \
             consent_text, consent_version, photo_id, referral_code, page_url, ip_prefix, follow_up, \
             manage_token_hash, created_at, updated_at) \
             VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(record.site_id)
        .bind(&record.name)
        .bind(&record.email)
        .bind(&record.role)
        .bind(&record.company)
        .bind(i64::from(record.rating))
        .bind(&record.text)
        .bind(record.consent)
        .bind(&record.consent_text)
        .bind(record.consent_version)
        .bind(&record.photo_id)
        .bind(&record.referral_code)
        .bind(&record.page_url)
        .bind(&record.ip_prefix)
        .bind(record.follow_up)
        .bind(&record.manage_token_hash)
        .bind(record.created_at)
        .bind(record.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
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
            "SELECT COUNT(*), AVG(rating) FROM testimonials \
             WHERE site_id = ? AND status IN ('approved', 'rejected')",
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
        let mut builder =
            QueryBuilder::<Sqlite>::new(format!("SELECT {TESTIMONIAL_COLUMNS} FROM testimonials"));
        push_list_filters(&mut builder, site_id, status, query);
        let rows: Vec<TestimonialRow> = builder.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn testimonial(&self, site_id: i64, id: &str) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "SELECT {TESTIMONIAL_COLUMNS} FROM testimonials WHERE site_id = ? AND id = ?"
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
            "UPDATE testimonials SET status = ?, updated_at = ? \
             WHERE site_id = ? AND id = ? AND status <> 'withdrawn' AND (? <> 'approved' OR consent)",
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
            sqlx::query_as("SELECT status, COUNT(*) FROM testimonials WHERE site_id = ? GROUP BY status")
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
        sqlx::query("UPDATE testimonials SET reply = ?, replied_at = ?, updated_at = ? WHERE site_id = ? AND id = ?")
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
        sqlx::query("UPDATE testimonials SET featured = ?, updated_at = ? WHERE site_id = ? AND id = ?")
            .bind(featured)
            .bind(now)
            .bind(site_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.testimonial(site_id, id).await
    }

    async fn password_hash(&self, email: &str) -> Result<Option<(User, Option<String>)>, StorageError> {
        let row: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, email, password_hash FROM users WHERE email = ?")
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
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
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
             JOIN users ON users.id = sessions.user_id WHERE sessions.id_hash = ? AND sessions.expires_at > ?",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email, csrf_token)| Session { user: User { id, email }, csrf_token }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn sites_of_user(&self, user_id: i64) -> Result<Vec<(Site, Role)>, StorageError> {
        let slugs: Vec<(String, String)> = sqlx::query_as(
            "SELECT sites.slug, memberships.role FROM memberships JOIN sites ON sites.id = memberships.site_id \
             WHERE memberships.user_id = ? ORDER BY sites.slug",
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
             WHERE site_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
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

    async fn testimonial_by_manage_token(&self, token_hash: &str) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "SELECT {TESTIMONIAL_COLUMNS} FROM testimonials WHERE manage_token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Testimonial::try_from).transpose()
    }

    async fn withdraw(&self, token_hash: &str, now: i64) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET status = 'withdrawn', featured = 0, updated_at = ? WHERE manage_token_hash = ?",
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
        edit: AuthorEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET name = ?, role = ?, company = ?, rating = ?, body = ?, edited = 1, \
             status = 'pending', updated_at = ? WHERE manage_token_hash = ? AND status <> 'withdrawn'",
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
}
