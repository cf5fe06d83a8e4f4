//! Webhooks and the queue of their deliveries.

use super::*;

#[async_trait]
impl WebhookStore for SqlStorage {
    async fn add_webhook(
        &self,
        site_id: i64,
        url: &str,
        sealed_secret: &str,
        now: i64,
        at_most: u32,
    ) -> Result<Option<Webhook>, StorageError> {
        let mut tx = self.write_transaction().await?;
        lock_site(&mut tx, self.backend, site_id).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE site_id = $1")
            .bind(site_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= i64::from(at_most) {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (site_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(site_id)
        .bind(url)
        .bind(sealed_secret)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Webhook {
            id,
            site_id,
            url: url.to_owned(),
            sealed_secret: sealed_secret.to_owned(),
            created_at: now,
        }))
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
            .map(|(id, site_id, url, sealed_secret, created_at)| Webhook {
                id,
                site_id,
                url,
                sealed_secret,
                created_at,
            })
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

    async fn due_deliveries(
        &self,
        now: i64,
        per_site: u32,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError> {
        // Numbered within each site, so that a site with hundreds due yields only its first few.
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} WHERE d.id IN (\
               SELECT id FROM (\
                 SELECT id, ROW_NUMBER() OVER (PARTITION BY site_id ORDER BY next_attempt_at, id) AS place \
                 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1\
               ) ranked WHERE place <= $2\
             ) ORDER BY d.next_attempt_at, d.id LIMIT $3"
        ))
        .bind(now)
        .bind(i64::from(per_site))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn claim_delivery(&self, delivery: &Delivery, lease_until: i64) -> Result<bool, StorageError> {
        // Only the instance whose UPDATE still sees the time it read owns the attempt.
        let taken = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
        )
        .bind(lease_until)
        .bind(delivery.id)
        .bind(delivery.next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
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
}
