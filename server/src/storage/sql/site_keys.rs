//! Site keys: what the business's own systems authenticate with.

use super::*;

const SITE_KEY_COLUMNS: &str = "id, site_id, label, hint, created_at, last_used_at, revoked_at";

type SiteKeyRow = (i64, i64, String, String, i64, Option<i64>, Option<i64>);

fn site_key((id, site_id, label, hint, created_at, last_used_at, revoked_at): SiteKeyRow) -> SiteKey {
    SiteKey { id, site_id, label, hint, created_at, last_used_at, revoked_at }
}

#[async_trait]
impl SiteKeyStore for SqlStorage {
    async fn create_site_key(
        &self,
        site_id: i64,
        key_hash: &str,
        label: &str,
        hint: &str,
        now: i64,
    ) -> Result<SiteKey, StorageError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO site_keys (site_id, key_hash, label, hint, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(site_id)
        .bind(key_hash)
        .bind(label)
        .bind(hint)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(SiteKey {
            id,
            site_id,
            label: label.to_owned(),
            hint: hint.to_owned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    async fn site_keys(&self, site_id: i64) -> Result<Vec<SiteKey>, StorageError> {
        let rows: Vec<SiteKeyRow> = sqlx::query_as(&format!(
            "SELECT {SITE_KEY_COLUMNS} FROM site_keys WHERE site_id = $1 ORDER BY id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(site_key).collect())
    }

    async fn revoke_site_key(&self, site_id: i64, key_id: i64, now: i64) -> Result<bool, StorageError> {
        let revoked = sqlx::query(
            "UPDATE site_keys SET revoked_at = $1 WHERE id = $2 AND site_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(key_id)
        .bind(site_id)
        .execute(&self.pool)
        .await?;
        Ok(revoked.rows_affected() == 1)
    }

    async fn use_site_key(&self, key_hash: &str, now: i64) -> Result<Option<SiteKey>, StorageError> {
        let row: Option<SiteKeyRow> = sqlx::query_as(&format!(
            "SELECT {SITE_KEY_COLUMNS} FROM site_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        // A minute's precision is plenty for "last used", and spares a write on every call.
        sqlx::query(
            "UPDATE site_keys SET last_used_at = $1 WHERE id = $2 AND COALESCE(last_used_at, 0) < $3",
        )
        .bind(now)
        .bind(row.0)
        .bind(now - 60_000)
        .execute(&self.pool)
        .await?;
        Ok(Some(site_key(row)))
    }
}
