//! Seeding a big site fast, for the bench (`tests/src/bin/bench/big_site/`): many rows per
//! INSERT and many INSERTs per transaction, so a million testimonials take minutes on either
//! backend instead of a million fsyncs. Test builds only: the released binary has no use
//! for it, and it skips what the real paths check (consent, limits, unique codes retried).

use super::inserts::{insert_testimonials, multi_row_insert, AnyQuery, TESTIMONIAL_INSERT_COLUMNS};
use super::*;

/// Bound parameters per multi-row INSERT. SQLite takes up to 32,766, but preparing a statement
/// costs time quadratic in its `$N` parameters (each new name is looked for among those seen):
/// 27,000 take seconds, 2,000 a few milliseconds; PostgreSQL gains little beyond that either.
const PARAMETERS_PER_STATEMENT: usize = 2000;

/// A referral visit as the bench seeds it.
pub struct SeedVisit {
    pub advocate_id: i64,
    pub device: Option<String>,
    pub ip_prefix: Option<String>,
    pub created_at: i64,
}

/// Inserts `rows` into `table`, as many to a statement as [`PARAMETERS_PER_STATEMENT`] allows,
/// `bind` adding one row's values in the order of `columns`.
async fn insert_rows<T>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<(), StorageError> {
    let rows_per_statement = (PARAMETERS_PER_STATEMENT / columns.len()).max(1);
    for chunk in rows.chunks(rows_per_statement) {
        let sql = multi_row_insert(table, columns, chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        // The statement text differs only for a last, shorter chunk: not worth caching.
        query.persistent(chunk.len() == rows_per_statement).execute(&mut **tx).await?;
    }
    Ok(())
}

impl SqlStorage {
    /// Stores testimonials and their tags in one transaction, with the statement submissions
    /// and imports are stored with.
    pub async fn seed_testimonials(&self, items: &[ImportedTestimonial]) -> Result<(), StorageError> {
        let mut tx = self.write_transaction().await?;
        for chunk in items.chunks(PARAMETERS_PER_STATEMENT / TESTIMONIAL_INSERT_COLUMNS.len()) {
            let chunk: Vec<&ImportedTestimonial> = chunk.iter().collect();
            insert_testimonials(&mut tx, &chunk, false).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores advocates in one transaction; returns each code's advocate id.
    pub async fn seed_advocates(
        &self,
        advocates: &[NewAdvocate],
    ) -> Result<std::collections::HashMap<String, i64>, StorageError> {
        let columns =
            ["site_id", "code", "name", "email", "email_key", "ip_prefix", "device", "lang", "created_at"];
        let mut tx = self.write_transaction().await?;
        insert_rows(&mut tx, "advocates", &columns, advocates, |query, advocate| {
            query
                .bind(advocate.site_id)
                .bind(&advocate.code)
                .bind(&advocate.name)
                .bind(&advocate.email)
                .bind(&advocate.email_key)
                .bind(&advocate.ip_prefix)
                .bind(&advocate.device)
                .bind(&advocate.lang)
                .bind(advocate.created_at)
        })
        .await?;
        let mut ids = std::collections::HashMap::new();
        for site_id in
            advocates.iter().map(|advocate| advocate.site_id).collect::<std::collections::BTreeSet<_>>()
        {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT code, id FROM advocates WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_all(&mut *tx)
                    .await?;
            ids.extend(rows);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Stores referral visits in one transaction.
    pub async fn seed_visits(&self, visits: &[SeedVisit]) -> Result<(), StorageError> {
        let mut tx = self.write_transaction().await?;
        let columns = ["advocate_id", "device", "ip_prefix", "created_at"];
        insert_rows(&mut tx, "referral_visits", &columns, visits, |query, visit| {
            query.bind(visit.advocate_id).bind(&visit.device).bind(&visit.ip_prefix).bind(visit.created_at)
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores conversions in one transaction, as [`ReferralStore::record_conversion`] would.
    pub async fn seed_conversions(&self, conversions: &[NewConversion]) -> Result<(), StorageError> {
        let columns = [
            "site_id",
            "advocate_id",
            "external_id",
            "email",
            "email_key",
            "ip_prefix",
            "device",
            "flags",
            "source",
            "amount",
            "currency",
            "payment_id",
            "created_at",
        ];
        // Joined here: the bind below borrows each row's flags as one string.
        let flags: Vec<String> = conversions.iter().map(|conversion| conversion.flags.join(",")).collect();
        let rows: Vec<(&NewConversion, &String)> = conversions.iter().zip(&flags).collect();
        let mut tx = self.write_transaction().await?;
        insert_rows(&mut tx, "conversions", &columns, &rows, |query, (conversion, flags)| {
            query
                .bind(conversion.site_id)
                .bind(conversion.advocate_id)
                .bind(&conversion.external_id)
                .bind(&conversion.email)
                .bind(&conversion.email_key)
                .bind(&conversion.ip_prefix)
                .bind(&conversion.device)
                .bind(flags.as_str())
                .bind(conversion.source.as_str())
                .bind(conversion.value.as_ref().map(|value| value.amount))
                .bind(conversion.value.as_ref().map(|value| value.currency.as_str()))
                .bind(&conversion.payment_id)
                .bind(conversion.created_at)
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores audit log entries (the moderation decisions a site's history holds) in one
    /// transaction.
    pub async fn seed_audit(&self, entries: &[AuditEntry]) -> Result<(), StorageError> {
        let columns = ["site_id", "user_id", "actor", "action", "testimonial_id", "detail", "created_at"];
        let mut tx = self.write_transaction().await?;
        insert_rows(&mut tx, "audit_log", &columns, entries, |query, entry| {
            query
                .bind(entry.site_id)
                .bind(entry.user_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.testimonial_id)
                .bind(&entry.detail)
                .bind(entry.created_at)
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// After seeding: the database as a server that has run a while finds it. PostgreSQL's
    /// autovacuum would by then have gathered statistics and set the visibility map (which
    /// index-only scans need); SQLite gathers none unless asked, and Fanfare never asks, so it
    /// only has its write-ahead log folded back into the file.
    pub async fn settle_after_seeding(&self) -> Result<(), StorageError> {
        match self.backend {
            Backend::Postgres => {
                sqlx::query("VACUUM ANALYZE").execute(&self.pool).await?;
            }
            Backend::Sqlite => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
            }
        }
        Ok(())
    }

    /// The database's size on disk, in bytes (PostgreSQL's `pg_database_size`; for SQLite, its
    /// pages).
    pub async fn database_bytes(&self) -> Result<i64, StorageError> {
        let bytes: i64 = match self.backend {
            Backend::Postgres => {
                sqlx::query_scalar("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
                    .fetch_one(&self.pool)
                    .await?
            }
            Backend::Sqlite => {
                sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(&self.pool)
                .await?
            }
        };
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Origin, SiteSlug};
    use crate::storage::{ListQuery, ReferralStore, SiteStore, TestimonialStore};
    use crate::testing::TestDatabase;

    fn testimonial(site_id: i64, n: i64, status: Status, tags: &[&str]) -> ImportedTestimonial {
        ImportedTestimonial {
            record: NewTestimonialRecord {
                id: format!("seeded{n}"),
                site_id,
                name: format!("Customer {n}"),
                email: format!("c{n}@example.com"),
                role: None,
                company: None,
                rating: 5,
                text: "Lovely beans.".into(),
                consent: true,
                consent_text: Some("Yes".into()),
                consent_version: Some(1),
                photo_id: None,
                video_id: None,
                captions: None,
                referral_code: None,
                page_url: None,
                ip_prefix: None,
                follow_up: false,
                contact_me: false,
                status,
                manage_token_hash: format!("hash{n}"),
                verified: false,
                tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
                created_at: 1_700_000_000_000 + n,
                moderated_at: None,
            },
            reply: None,
            featured: false,
            updated_at: 1_700_000_000_000 + n,
        }
    }

    /// Seeded rows read back as the paths that store them one at a time would have stored them.
    #[tokio::test]
    async fn seeded_rows_are_read_back_like_stored_ones() {
        let database = TestDatabase::create().await.unwrap();
        let storage = crate::storage::open(&database.url).await.unwrap();
        let site = storage
            .create_site(
                NewSite {
                    slug: SiteSlug::parse("seeded").unwrap(),
                    name: "Seeded".into(),
                    origins: vec![Origin::parse("https://seeded.test").unwrap()],
                    consent_text: "Yes".into(),
                },
                0,
            )
            .await
            .unwrap();
        let items: Vec<ImportedTestimonial> = (0..150)
            .map(|n| {
                let status = if n % 3 == 0 { Status::Pending } else { Status::Approved };
                testimonial(site.id, n, status, if n == 149 { &["gift", "beans"] } else { &[] })
            })
            .collect();
        storage.seed_testimonials(&items).await.unwrap();
        let advocate = NewAdvocate {
            site_id: site.id,
            code: "ABCD2345".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            email_key: "ada@example.com".into(),
            ip_prefix: None,
            device: None,
            lang: "en".into(),
            created_at: 0,
        };
        let ids = storage.seed_advocates(std::slice::from_ref(&advocate)).await.unwrap();
        let advocate_id = ids["ABCD2345"];
        let visit = SeedVisit { advocate_id, device: Some("d1".into()), ip_prefix: None, created_at: 1 };
        storage.seed_visits(&[visit]).await.unwrap();
        let conversion = NewConversion {
            site_id: site.id,
            advocate_id,
            external_id: "order-1".into(),
            email: None,
            email_key: None,
            ip_prefix: None,
            device: None,
            flags: vec!["no_visit".into()],
            source: ConversionSource::Page,
            value: None,
            payment_id: None,
            created_at: 2,
        };
        storage.seed_conversions(&[conversion]).await.unwrap();
        storage.settle_after_seeding().await.unwrap();

        let page = ListQuery { limit: 50, cursor: None, tag: None, search: None, rating: None };
        let published = storage.list_published(site.id, &page).await.unwrap();
        assert_eq!(published.len(), 50);
        assert_eq!(published[0].id, "seeded149", "newest first");
        assert_eq!(published[0].tags, vec!["beans".to_owned(), "gift".to_owned()]);
        let summary = storage.rating_summary(site.id, None).await.unwrap();
        assert_eq!(summary.count, 100, "the approved ones, decided on arrival");
        let stats = storage.advocate_stats(site.id, 10, 0).await.unwrap();
        assert_eq!((stats[0].visits, stats[0].flagged), (1, 1));
        assert!(storage.database_bytes().await.unwrap() > 0);
    }
}
