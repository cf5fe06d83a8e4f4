//! A site's data in and out: export, import, erasure.

use super::*;

#[async_trait]
impl DataStore for SqlStorage {
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
}
