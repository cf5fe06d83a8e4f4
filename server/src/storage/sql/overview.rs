//! The overview's counts: a handful of aggregate queries, each bounded by site (and time).

use super::testimonials::FOLLOW_UP_INBOX;
use super::*;
use fanfare_protocol::overview::ReferralFunnel;

use crate::storage::{Activity, OverviewStore, ReachCount, WEEK_MS};

#[async_trait]
impl OverviewStore for SqlStorage {
    async fn activity(&self, site_id: i64, since: i64) -> Result<Activity, StorageError> {
        let weeks: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT (created_at - $2) / $3 AS week, COUNT(*) FROM testimonials \
             WHERE site_id = $1 AND created_at >= $2 AND status <> 'spam' GROUP BY (created_at - $2) / $3",
        )
        .bind(site_id)
        .bind(since)
        .bind(WEEK_MS)
        .fetch_all(&self.pool)
        .await?;
        // The same rows as the rating summary's.
        let ratings: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT rating, COUNT(*) FROM testimonials \
             WHERE site_id = $1 AND status IN ('approved', 'rejected') GROUP BY rating",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        let waits: Vec<(i64,)> = sqlx::query_as(
            "SELECT moderated_at - created_at FROM testimonials \
             WHERE site_id = $1 AND moderated_at >= $2 AND moderated_at > created_at",
        )
        .bind(site_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let (follow_ups_open, pending): (i64, i64) = sqlx::query_as(&format!(
            "SELECT \
             (SELECT COUNT(*) FROM testimonials WHERE site_id = $1 AND {FOLLOW_UP_INBOX} \
                AND follow_up_resolved_at IS NULL), \
             (SELECT COUNT(*) FROM testimonials WHERE site_id = $1 AND status = 'pending')"
        ))
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?;
        // Sent: an email went out (an address that had unsubscribed is never emailed).
        let (invitations_sent, invitations_answered): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'responded' THEN 1 ELSE 0 END), 0) \
             FROM invitations WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?;
        // Counted as the leaderboard counts each advocate's, summed.
        let (links, visits, conversions, rewards_given): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM advocates WHERE site_id = $1), \
             (SELECT COUNT(*) FROM referral_visits v JOIN advocates a ON a.id = v.advocate_id WHERE a.site_id = $1), \
             (SELECT COUNT(*) FROM conversions c JOIN advocates a ON a.id = c.advocate_id \
                WHERE a.site_id = $1 AND (c.review IS NULL OR c.review = 'accepted')), \
             (SELECT COUNT(*) FROM rewards r JOIN advocates a ON a.id = r.advocate_id \
                WHERE a.site_id = $1 AND r.state = 'given')",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?;
        let reach: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT day, list_requests, fragment_requests FROM widget_reach \
             WHERE site_id = $1 AND day >= $2 ORDER BY day",
        )
        .bind(site_id)
        .bind(since.div_euclid(crate::storage::DAY_MS))
        .fetch_all(&self.pool)
        .await?;
        let mut by_rating = [0; 5];
        for (rating, n) in ratings {
            if let Some(slot) = usize::try_from(rating - 1).ok().and_then(|index| by_rating.get_mut(index)) {
                *slot = count(n);
            }
        }
        Ok(Activity {
            received_by_week: weeks.into_iter().map(|(week, n)| (week, count(n))).collect(),
            ratings: by_rating,
            waits: waits.into_iter().map(|(wait,)| wait.max(0)).collect(),
            follow_ups_open: count(follow_ups_open),
            pending: count(pending),
            invitations_sent: count(invitations_sent),
            invitations_answered: count(invitations_answered),
            funnel: ReferralFunnel {
                links: count(links),
                visits: count(visits),
                conversions: count(conversions),
                rewards_given: count(rewards_given),
            },
            reach: reach
                .into_iter()
                .map(|(day, list, fragment)| ReachCount {
                    site_id,
                    day,
                    list: count(list),
                    fragment: count(fragment),
                })
                .collect(),
        })
    }

    async fn add_reach(&self, counts: &[ReachCount]) -> Result<(), StorageError> {
        // In one order, so two instances adding the same days never wait on each other in turn.
        let mut counts = counts.to_vec();
        counts.sort_by_key(|reach| (reach.site_id, reach.day));
        let mut tx = self.write_transaction().await?;
        for reach in &counts {
            sqlx::query(
                "INSERT INTO widget_reach (site_id, day, list_requests, fragment_requests) \
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM sites WHERE id = $1) \
                 ON CONFLICT (site_id, day) DO UPDATE SET \
                 list_requests = widget_reach.list_requests + excluded.list_requests, \
                 fragment_requests = widget_reach.fragment_requests + excluded.fragment_requests",
            )
            .bind(reach.site_id)
            .bind(reach.day)
            .bind(i64::try_from(reach.list).unwrap_or(i64::MAX))
            .bind(i64::try_from(reach.fragment).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
