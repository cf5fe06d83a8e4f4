//! The audit log, the server's own keys and single-use nonces, pruning, backups.

use super::*;

#[async_trait]
impl OperationsStore for SqlStorage {
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

    async fn seal_in_place(
        &self,
        seal: &(dyn for<'s> Fn(StoredSecret<'s>) -> Option<String> + Send + Sync),
    ) -> Result<u64, StorageError> {
        let mut tx = self.write_transaction().await?;
        let mut rewritten = 0;
        let keys: Vec<(String, String)> =
            sqlx::query_as("SELECT name, value FROM server_keys ORDER BY name").fetch_all(&mut *tx).await?;
        for (name, value) in keys {
            if let Some(sealed) = seal(StoredSecret::ServerKey { name: &name, value: &value }) {
                // Only if unchanged: an instance starting beside this one may have sealed it.
                let done = sqlx::query("UPDATE server_keys SET value = $1 WHERE name = $2 AND value = $3")
                    .bind(&sealed)
                    .bind(&name)
                    .bind(&value)
                    .execute(&mut *tx)
                    .await?;
                rewritten += done.rows_affected();
            }
        }
        let hooks: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, secret FROM webhooks ORDER BY id").fetch_all(&mut *tx).await?;
        for (id, secret) in hooks {
            if let Some(sealed) = seal(StoredSecret::Webhook { id, secret: &secret }) {
                let done = sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3")
                    .bind(&sealed)
                    .bind(id)
                    .bind(&secret)
                    .execute(&mut *tx)
                    .await?;
                rewritten += done.rows_affected();
            }
        }
        tx.commit().await?;
        Ok(rewritten)
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

    async fn prune(&self, retention: Retention) -> Result<Pruned, StorageError> {
        // One statement per table, each on its own: a long prune never holds SQLite's write lock
        // for the whole sweep, and what one statement removed stays removed if a later one fails.
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(retention.sessions_expired_before)
            .execute(&self.pool)
            .await?;
        let nonces = sqlx::query("DELETE FROM used_nonces WHERE used_at < $1")
            .bind(retention.nonces_used_before)
            .execute(&self.pool)
            .await?;
        let idempotency_keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(retention.idempotency_keys_before)
            .execute(&self.pool)
            .await?;
        let deliveries = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE state IN ('delivered', 'failed') AND created_at < $1",
        )
        .bind(retention.finished_deliveries_before)
        .execute(&self.pool)
        .await?;
        let invitations =
            sqlx::query("DELETE FROM invitations WHERE created_at < $1 AND next_send_at IS NULL")
                .bind(retention.invitations_before)
                .execute(&self.pool)
                .await?;
        let stripe_events = sqlx::query("DELETE FROM stripe_events WHERE received_at < $1")
            .bind(retention.stripe_events_before)
            .execute(&self.pool)
            .await?;
        Ok(Pruned {
            stripe_events: stripe_events.rows_affected(),
            sessions: sessions.rows_affected(),
            nonces: nonces.rows_affected(),
            idempotency_keys: idempotency_keys.rows_affected(),
            deliveries: deliveries.rows_affected(),
            invitations: invitations.rows_affected(),
            media: 0,
        })
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
}
