//! Advocates, visits and conversions.

use super::*;

/// One page of the site's advocates, most conversions first, with their counts: read from
/// `advocate_tallies`, which triggers keep with every visit, conversion and reward, in the
/// order of its index (`CROSS JOIN` has SQLite start from it; PostgreSQL plans it as any join).
pub(super) const LEADERBOARD: &str =
    "SELECT a.id, a.site_id, a.code, a.name, a.email, a.ip_prefix, a.device, a.lang, a.created_at, \
     t.visits, t.conversions, t.flagged, t.rewards_given \
     FROM advocate_tallies t CROSS JOIN advocates a WHERE a.id = t.advocate_id AND t.site_id = $1 \
     ORDER BY t.conversions DESC, t.visits DESC, t.created_at, t.advocate_id LIMIT $2 OFFSET $3";

#[async_trait]
impl ReferralStore for SqlStorage {
    async fn upsert_advocate(&self, advocate: NewAdvocate) -> Result<(Advocate, bool), StorageError> {
        let inserted = sqlx::query(
            "INSERT INTO advocates (site_id, code, name, email, email_key, ip_prefix, device, lang, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (site_id, email_key) DO NOTHING",
        )
        .bind(advocate.site_id)
        .bind(&advocate.code)
        .bind(&advocate.name)
        .bind(&advocate.email)
        .bind(&advocate.email_key)
        .bind(&advocate.ip_prefix)
        .bind(&advocate.device)
        .bind(&advocate.lang)
        .bind(advocate.created_at)
        .execute(&self.pool)
        .await;
        let new = match inserted {
            Ok(done) => done.rows_affected() == 1,
            Err(error) if is_unique_violation(&error) => {
                return Err(StorageError::Conflict { field: "code" })
            }
            Err(error) => return Err(error.into()),
        };
        let row: AdvocateRow = sqlx::query_as(&format!(
            "SELECT {ADVOCATE_COLUMNS} FROM advocates WHERE site_id = $1 AND email_key = $2"
        ))
        .bind(advocate.site_id)
        .bind(&advocate.email_key)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.into(), new))
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

    async fn visited_from(&self, advocate_id: i64, device: &str, since: i64) -> Result<bool, StorageError> {
        // `referral_visits_by_advocate` covers (advocate_id, device).
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM referral_visits WHERE advocate_id = $1 AND device = $2 AND created_at >= $3 LIMIT 1",
        )
        .bind(advocate_id)
        .bind(device)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
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
             device, flags, source, amount, currency, payment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
        )
        .bind(conversion.site_id)
        .bind(conversion.advocate_id)
        .bind(&conversion.external_id)
        .bind(&conversion.email)
        .bind(&conversion.email_key)
        .bind(&conversion.ip_prefix)
        .bind(&conversion.device)
        .bind(conversion.flags.join(","))
        .bind(conversion.source.as_str())
        .bind(conversion.value.as_ref().map(|value| value.amount))
        .bind(conversion.value.as_ref().map(|value| value.currency.as_str()))
        .bind(&conversion.payment_id)
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
            rewards_given: i64,
        }
        let rows: Vec<StatsRow> = sqlx::query_as(LEADERBOARD)
            .bind(site_id)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut amounts = self.amounts_of(site_id, rows.iter().map(|row| row.advocate.id)).await?;
        Ok(rows
            .into_iter()
            .map(|row| AdvocateStats {
                amounts: amounts.remove(&row.advocate.id).unwrap_or_default(),
                visits: count(row.visits),
                conversions: count(row.conversions),
                flagged: count(row.flagged),
                rewards_given: count(row.rewards_given),
                advocate: row.advocate.into(),
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
}

impl SqlStorage {
    /// What each advocate's counted conversions brought in, net of refunds, per currency.
    async fn amounts_of(
        &self,
        site_id: i64,
        advocates: impl Iterator<Item = i64>,
    ) -> Result<std::collections::HashMap<i64, Vec<Money>>, StorageError> {
        let ids: Vec<String> = advocates.map(|id| id.to_string()).collect();
        let mut amounts: std::collections::HashMap<i64, Vec<Money>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(amounts);
        }
        // Ids are numbers from our own rows, so listing them in the statement is safe.
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT advocate_id, currency, CAST(SUM(amount - refunded_amount) AS BIGINT) FROM conversions \
             WHERE site_id = $1 AND advocate_id IN ({}) AND amount IS NOT NULL AND currency IS NOT NULL \
             AND reversed_at IS NULL AND (review IS NULL OR review = 'accepted') \
             GROUP BY advocate_id, currency ORDER BY advocate_id, currency",
            ids.join(", ")
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        for (advocate_id, currency, amount) in rows {
            amounts.entry(advocate_id).or_default().push(Money { amount, currency });
        }
        Ok(amounts)
    }
}
