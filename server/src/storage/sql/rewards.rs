//! Rewards, the coupon pool and handled Stripe events.

use super::*;

const REWARD_COLUMNS: &str =
    "id, site_id, advocate_id, state, conversions, hold_until, coupon_code, given_at, \
     cancelled_at, created_at";

#[derive(sqlx::FromRow)]
struct RewardRow {
    id: i64,
    site_id: i64,
    advocate_id: i64,
    state: String,
    conversions: i64,
    hold_until: i64,
    coupon_code: Option<String>,
    given_at: Option<i64>,
    cancelled_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<RewardRow> for Reward {
    type Error = StorageError;

    fn try_from(row: RewardRow) -> Result<Self, StorageError> {
        let state = RewardState::parse(&row.state)
            .ok_or_else(|| StorageError::Corrupt(format!("reward {} is in state {:?}", row.id, row.state)))?;
        Ok(Reward {
            id: row.id,
            site_id: row.site_id,
            advocate_id: row.advocate_id,
            state,
            conversions: u32::try_from(row.conversions).unwrap_or(0),
            hold_until: row.hold_until,
            coupon_code: row.coupon_code,
            given_at: row.given_at,
            cancelled_at: row.cancelled_at,
            created_at: row.created_at,
        })
    }
}

/// The column and value a refund names its sale by (the column is ours, never the caller's).
fn sale_column(sale: SaleRef<'_>) -> (&'static str, &str) {
    match sale {
        SaleRef::Conversion(id) => ("external_id", id),
        SaleRef::Payment(id) => ("payment_id", id),
    }
}

/// Conversions that can still count towards a reward: none yet, not reversed, rejected or
/// rewarded by hand (before automatic rewards, or while they were off).
const COUNTABLE: &str = "reward_id IS NULL AND reversed_at IS NULL AND reward_given_at IS NULL \
     AND (review IS NULL OR review = 'accepted')";

#[async_trait]
impl RewardStore for SqlStorage {
    async fn unassigned_conversions(
        &self,
        site_id: i64,
        advocate_id: i64,
    ) -> Result<Vec<Conversion>, StorageError> {
        let rows: Vec<ConversionRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND advocate_id = $2 \
             AND {COUNTABLE} ORDER BY created_at, id"
        ))
        .bind(site_id)
        .bind(advocate_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Conversion::from).collect())
    }

    async fn advocates_with_unassigned(
        &self,
        site_id: i64,
        since: i64,
        at_least: u32,
    ) -> Result<Vec<i64>, StorageError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT advocate_id FROM conversions WHERE site_id = $1 AND created_at >= $2 AND {COUNTABLE} \
             GROUP BY advocate_id HAVING COUNT(*) >= $3 ORDER BY advocate_id"
        ))
        .bind(site_id)
        .bind(since)
        .bind(i64::from(at_least))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn create_reward(
        &self,
        site_id: i64,
        advocate_id: i64,
        conversion_ids: &[i64],
        hold_until: i64,
        now: i64,
    ) -> Result<Option<Reward>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let reward_id: i64 = sqlx::query_scalar(
            "INSERT INTO rewards (site_id, advocate_id, state, conversions, hold_until, created_at) \
             VALUES ($1, $2, 'held', $3, $4, $5) RETURNING id",
        )
        .bind(site_id)
        .bind(advocate_id)
        .bind(i64::try_from(conversion_ids.len()).unwrap_or(i64::MAX))
        .bind(hold_until)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for conversion_id in conversion_ids {
            // Conditional: a conversion another instance just counted (or a refund just
            // reversed) is not taken twice; the whole reward is then dropped.
            let taken = sqlx::query(&format!(
                "UPDATE conversions SET reward_id = $1 WHERE id = $2 AND site_id = $3 AND {COUNTABLE}"
            ))
            .bind(reward_id)
            .bind(conversion_id)
            .bind(site_id)
            .execute(&mut *tx)
            .await?;
            if taken.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        tx.commit().await?;
        self.reward(site_id, reward_id).await
    }

    async fn conversion(&self, site_id: i64, conversion_id: i64) -> Result<Option<Conversion>, StorageError> {
        let row: Option<ConversionRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND id = $2"
        ))
        .bind(site_id)
        .bind(conversion_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Conversion::from))
    }

    async fn conversion_for_sale(
        &self,
        site_id: i64,
        sale: SaleRef<'_>,
    ) -> Result<Option<Conversion>, StorageError> {
        let (column, value) = sale_column(sale);
        let row: Option<ConversionRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSION_COLUMNS} FROM conversions WHERE site_id = $1 AND {column} = $2 ORDER BY id LIMIT 1"
        ))
        .bind(site_id)
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Conversion::from))
    }

    async fn refund_conversion(
        &self,
        site_id: i64,
        sale: SaleRef<'_>,
        refund: Refund,
    ) -> Result<Option<Conversion>, StorageError> {
        let (column, value) = sale_column(sale);
        // The largest total wins: refund events may arrive out of order.
        sqlx::query(&format!(
            "UPDATE conversions SET refunded_amount = CASE WHEN refunded_amount > $1 THEN refunded_amount ELSE $2 END, \
             reversed_at = CASE WHEN $3 = 1 AND reversed_at IS NULL THEN $4 ELSE reversed_at END \
             WHERE site_id = $5 AND {column} = $6"
        ))
        .bind(refund.refunded_total)
        .bind(refund.refunded_total)
        .bind(i64::from(refund.full))
        .bind(refund.now)
        .bind(site_id)
        .bind(value)
        .execute(&self.pool)
        .await?;
        self.conversion_for_sale(site_id, sale).await
    }

    async fn cancel_held_reward(&self, site_id: i64, reward_id: i64, now: i64) -> Result<bool, StorageError> {
        let mut tx = self.write_transaction().await?;
        let cancelled = sqlx::query(
            "UPDATE rewards SET state = 'cancelled', cancelled_at = $1 WHERE id = $2 AND site_id = $3 AND state = 'held'",
        )
        .bind(now)
        .bind(reward_id)
        .bind(site_id)
        .execute(&mut *tx)
        .await?;
        if cancelled.rows_affected() != 1 {
            return Ok(false);
        }
        // The reversed conversion keeps pointing at what it cancelled; the others count again.
        sqlx::query("UPDATE conversions SET reward_id = NULL WHERE reward_id = $1 AND reversed_at IS NULL")
            .bind(reward_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn release_held_rewards(&self, now: i64) -> Result<u64, StorageError> {
        let released =
            sqlx::query("UPDATE rewards SET state = 'due' WHERE state = 'held' AND hold_until <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(released.rows_affected())
    }

    async fn due_rewards(&self, site_id: i64, limit: u32) -> Result<Vec<Reward>, StorageError> {
        let rows: Vec<RewardRow> = sqlx::query_as(&format!(
            "SELECT {REWARD_COLUMNS} FROM rewards WHERE site_id = $1 AND state = 'due' ORDER BY hold_until, id LIMIT $2"
        ))
        .bind(site_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Reward::try_from).collect()
    }

    async fn reward(&self, site_id: i64, reward_id: i64) -> Result<Option<Reward>, StorageError> {
        let row: Option<RewardRow> =
            sqlx::query_as(&format!("SELECT {REWARD_COLUMNS} FROM rewards WHERE site_id = $1 AND id = $2"))
                .bind(site_id)
                .bind(reward_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Reward::try_from).transpose()
    }

    async fn draw_coupon(
        &self,
        site_id: i64,
        reward_id: i64,
        now: i64,
    ) -> Result<Option<String>, StorageError> {
        let held = || {
            sqlx::query_scalar::<_, String>("SELECT code FROM coupons WHERE reward_id = $1")
                .bind(reward_id)
                .fetch_optional(&self.pool)
        };
        // A few rounds: under PostgreSQL two instances may pick the same oldest code; the
        // second finds it used when its update runs, and picks again.
        for _ in 0..8 {
            if let Some(code) = held().await? {
                return Ok(Some(code));
            }
            let drawn = sqlx::query_scalar::<_, String>(
                "UPDATE coupons SET reward_id = $1, used_at = $2 WHERE used_at IS NULL AND id = \
                 (SELECT id FROM coupons WHERE site_id = $3 AND used_at IS NULL ORDER BY id LIMIT 1) RETURNING code",
            )
            .bind(reward_id)
            .bind(now)
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await;
            match drawn {
                Ok(Some(code)) => return Ok(Some(code)),
                Ok(None) => {
                    let left: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM coupons WHERE site_id = $1 AND used_at IS NULL",
                    )
                    .bind(site_id)
                    .fetch_one(&self.pool)
                    .await?;
                    if left == 0 {
                        return held().await.map_err(StorageError::from);
                    }
                }
                // This reward got its code from another instance meanwhile: that one stands.
                Err(error) if is_unique_violation(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(held().await?)
    }

    async fn give_reward(
        &self,
        site_id: i64,
        reward_id: i64,
        coupon_code: Option<&str>,
        now: i64,
    ) -> Result<bool, StorageError> {
        let given = sqlx::query(
            "UPDATE rewards SET state = 'given', coupon_code = $1, given_at = $2 \
             WHERE id = $3 AND site_id = $4 AND state = 'due'",
        )
        .bind(coupon_code)
        .bind(now)
        .bind(reward_id)
        .bind(site_id)
        .execute(&self.pool)
        .await?;
        Ok(given.rows_affected() == 1)
    }

    async fn give_reward_by_hand(
        &self,
        site_id: i64,
        reward_id: i64,
        now: i64,
        stale_before: i64,
    ) -> Result<bool, StorageError> {
        // A code already drawn for it (its email failed) is recorded as what was given, so no
        // code is left used by nobody.
        let given = sqlx::query(
            "UPDATE rewards SET state = 'given', given_at = $1, \
             coupon_code = (SELECT code FROM coupons WHERE reward_id = $2) \
             WHERE id = $3 AND site_id = $4 AND state = 'due' AND (emailed_at IS NULL OR emailed_at < $5)",
        )
        .bind(now)
        .bind(reward_id)
        .bind(reward_id)
        .bind(site_id)
        .bind(stale_before)
        .execute(&self.pool)
        .await?;
        Ok(given.rows_affected() == 1)
    }

    async fn claim_reward_email(
        &self,
        reward_id: i64,
        now: i64,
        stale_before: i64,
    ) -> Result<bool, StorageError> {
        let claimed = sqlx::query(
            "UPDATE rewards SET emailed_at = $1 WHERE id = $2 AND state = 'due' \
             AND (emailed_at IS NULL OR emailed_at < $3)",
        )
        .bind(now)
        .bind(reward_id)
        .bind(stale_before)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn release_reward_email(&self, reward_id: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE rewards SET emailed_at = NULL WHERE id = $1")
            .bind(reward_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn rewards(
        &self,
        site_id: i64,
        state: Option<RewardState>,
        limit: u32,
    ) -> Result<Vec<RewardListing>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct ListingRow {
            #[sqlx(flatten)]
            reward: RewardRow,
            name: String,
            email: String,
            code: String,
        }
        let columns: Vec<String> =
            REWARD_COLUMNS.split(", ").map(|column| format!("r.{}", column.trim())).collect();
        let rows: Vec<ListingRow> = sqlx::query_as(&format!(
            "SELECT {}, a.name, a.email, a.code FROM rewards r JOIN advocates a ON a.id = r.advocate_id \
             WHERE r.site_id = $1 AND ($2 IS NULL OR r.state = $3) ORDER BY r.created_at DESC, r.id DESC LIMIT $4",
            columns.join(", ")
        ))
        .bind(site_id)
        .bind(state.map(RewardState::as_str))
        .bind(state.map(RewardState::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(RewardListing {
                    reward: row.reward.try_into()?,
                    advocate_name: row.name,
                    advocate_email: row.email,
                    advocate_code: row.code,
                })
            })
            .collect()
    }

    async fn rewards_of(&self, site_id: i64, advocate_id: i64) -> Result<Vec<Reward>, StorageError> {
        let rows: Vec<RewardRow> = sqlx::query_as(&format!(
            "SELECT {REWARD_COLUMNS} FROM rewards WHERE site_id = $1 AND advocate_id = $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(site_id)
        .bind(advocate_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Reward::try_from).collect()
    }

    async fn reward_counts(&self, site_id: i64) -> Result<Vec<(RewardState, u64)>, StorageError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM rewards WHERE site_id = $1 GROUP BY state ORDER BY state",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(|(state, n)| Some((RewardState::parse(&state)?, count(n)))).collect())
    }

    async fn add_coupons(
        &self,
        site_id: i64,
        codes: &[String],
        now: i64,
    ) -> Result<CouponsAdded, StorageError> {
        let mut tx = self.write_transaction().await?;
        let mut outcome = CouponsAdded::default();
        for code in codes {
            let inserted = sqlx::query(
                "INSERT INTO coupons (site_id, code, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(site_id)
            .bind(code)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                outcome.added += 1;
            } else {
                outcome.already_there += 1;
            }
        }
        if outcome.added > 0 {
            sqlx::query("UPDATE sites SET coupon_alert = NULL WHERE id = $1")
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn coupon_counts(&self, site_id: i64) -> Result<CouponCounts, StorageError> {
        let (unused, used): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN used_at IS NULL THEN 0 ELSE 1 END), 0) FROM coupons WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(CouponCounts { unused: count(unused), used: count(used) })
    }

    async fn raise_pool_alert(&self, site_id: i64, alert: PoolAlert) -> Result<bool, StorageError> {
        let raised = sqlx::query(
            "UPDATE sites SET coupon_alert = $1 WHERE id = $2 AND (coupon_alert IS NULL OR coupon_alert <> $3)",
        )
        .bind(alert.as_str())
        .bind(site_id)
        .bind(alert.as_str())
        .execute(&self.pool)
        .await?;
        Ok(raised.rows_affected() == 1)
    }

    async fn record_stripe_event(
        &self,
        site_id: i64,
        event_id: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let recorded = sqlx::query(
            "INSERT INTO stripe_events (site_id, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(site_id)
        .bind(event_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(recorded.rows_affected() == 1)
    }

    async fn forget_stripe_event(&self, site_id: i64, event_id: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM stripe_events WHERE site_id = $1 AND event_id = $2")
            .bind(site_id)
            .bind(event_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn visits_of(&self, advocate_id: i64) -> Result<u64, StorageError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referral_visits WHERE advocate_id = $1")
            .bind(advocate_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count(n))
    }
}
