//! Sites and their settings.

use super::*;

#[async_trait]
impl SiteStore for SqlStorage {
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
        let columns: [(&str, Option<Setting>); 20] = [
            ("rewards_since", changes.rewards_since.map(|v| Setting::Number(Some(v)))),
            ("reward_payout", changes.reward_payout.map(|v| Setting::Text(Some(v.as_str().to_owned())))),
            ("reward_every", changes.reward_every.map(|v| Setting::Number(v.map(i64::from)))),
            ("reward_hold_days", changes.reward_hold_days.map(|v| Setting::Number(Some(i64::from(v))))),
            ("reward_min_amount", changes.reward_min_amount.map(Setting::Number)),
            ("friend_coupon", changes.friend_coupon.clone().map(Setting::Text)),
            ("stripe_signing_secret", changes.stripe_signing_secret.clone().map(Setting::Text)),
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
                "referral_attribution",
                changes.referral_attribution.map(|v| Setting::Text(Some(v.as_str().to_owned()))),
            ),
            ("structured_data", changes.structured_data.map(|on| Setting::Number(Some(i64::from(on))))),
            (
                "conversion_burst_limit",
                changes.conversion_burst_limit.map(|v| Setting::Number(Some(i64::from(v)))),
            ),
            (
                "invitation_reminder_days",
                changes.invitation_reminder_days.map(|v| Setting::Number(Some(i64::from(v)))),
            ),
            (
                "invitation_daily_cap",
                changes.invitation_daily_cap.map(|v| Setting::Number(Some(i64::from(v)))),
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
}
