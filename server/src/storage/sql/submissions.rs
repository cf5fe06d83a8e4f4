//! What arrives from visitors: new testimonials (group-committed), idempotency keys.

use super::*;

#[async_trait]
impl SubmissionStore for SqlStorage {
    async fn insert_testimonial(&self, record: NewTestimonialRecord) -> Result<(), StorageError> {
        let created_at = record.created_at;
        let row = ImportedTestimonial { record, reply: None, featured: false, updated_at: created_at };
        let (stored, answer) = oneshot::channel();
        self.submissions
            .send((row, stored))
            .await
            .map_err(|_| StorageError::Unsupported("the storage is shutting down".into()))?;
        answer.await.map_err(|_| StorageError::Unsupported("the storage is shutting down".into()))?
    }

    async fn claim_idempotency_key(
        &self,
        site_id: i64,
        key_hash: &str,
        request_hash: &str,
        now: i64,
        fresh_since: i64,
        abandoned_before: i64,
    ) -> Result<IdempotencyClaim, StorageError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE site_id = $1 AND key_hash = $2 \
             AND (created_at < $3 OR (status IS NULL AND created_at < $4))",
        )
        .bind(site_id)
        .bind(key_hash)
        .bind(fresh_since)
        .bind(abandoned_before)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (site_id, key_hash, request_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(site_id)
        .bind(key_hash)
        .bind(request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let claim = if inserted.rows_affected() == 1 {
            IdempotencyClaim::New
        } else {
            let (request_hash, status, sealed_body): (String, Option<i64>, Option<String>) = sqlx::query_as(
                "SELECT request_hash, status, sealed_body FROM idempotency_keys WHERE site_id = $1 AND key_hash = $2",
            )
            .bind(site_id)
            .bind(key_hash)
            .fetch_one(&mut *tx)
            .await?;
            match (status.and_then(|status| u16::try_from(status).ok()), sealed_body) {
                (Some(status), Some(sealed_body)) => {
                    IdempotencyClaim::Done { request_hash, status, sealed_body }
                }
                _ => IdempotencyClaim::InProgress { request_hash },
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        site_id: i64,
        key_hash: &str,
        answer: IdempotentAnswer<'_>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, sealed_body = $2, testimonial_id = $3 \
             WHERE site_id = $4 AND key_hash = $5",
        )
        .bind(i64::from(answer.status))
        .bind(answer.sealed_body)
        .bind(answer.testimonial_id)
        .bind(site_id)
        .bind(key_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, site_id: i64, key_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE site_id = $1 AND key_hash = $2")
            .bind(site_id)
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
