//! Invitations emailed to customers, and the suppression list.

use super::*;
use crate::progress::Progress;

/// The first key of the advisory lock that serialises a site's invitation batches (PostgreSQL).
const INVITATIONS_LOCK: i32 = 0x1_0a17;

const INVITATION_COLUMNS: &str =
    "id, site_id, email, email_key, name, tags, order_id, lang, status, created_at, \
     sent_at, reminded_at, responded_at, next_send_at, attempts, last_error, testimonial_id";

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: String,
    site_id: i64,
    email: String,
    email_key: String,
    name: Option<String>,
    tags: String,
    order_id: Option<String>,
    lang: String,
    status: String,
    created_at: i64,
    sent_at: Option<i64>,
    reminded_at: Option<i64>,
    responded_at: Option<i64>,
    next_send_at: Option<i64>,
    attempts: i64,
    last_error: Option<String>,
    testimonial_id: Option<String>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StorageError;

    fn try_from(row: InvitationRow) -> Result<Self, Self::Error> {
        let status = InvitationStatus::parse(&row.status).ok_or_else(|| {
            StorageError::Corrupt(format!("status {:?} of invitation {}", row.status, row.id))
        })?;
        Ok(Invitation {
            tags: split_tags(Some(&row.tags)),
            id: row.id,
            site_id: row.site_id,
            email: row.email,
            email_key: row.email_key,
            name: row.name,
            order_id: row.order_id,
            lang: row.lang,
            status,
            created_at: row.created_at,
            sent_at: row.sent_at,
            reminded_at: row.reminded_at,
            responded_at: row.responded_at,
            next_send_at: row.next_send_at,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            last_error: row.last_error,
            testimonial_id: row.testimonial_id,
        })
    }
}

async fn invitation_in(
    conn: &mut sqlx::AnyConnection,
    site_id: i64,
    id: &str,
) -> Result<Option<Invitation>, StorageError> {
    let row: Option<InvitationRow> = sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE site_id = $1 AND id = $2"
    ))
    .bind(site_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Invitation::try_from).transpose()
}

#[async_trait]
impl InvitationStore for SqlStorage {
    async fn create_invitations_reporting(
        &self,
        site_id: i64,
        invitations: Vec<NewInvitation>,
        now: i64,
        fresh_since: i64,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<Vec<Invited>, StorageError> {
        let mut tx = self.write_transaction().await?;
        if self.backend == Backend::Postgres {
            // One batch of a site at a time, so two cannot both find an address new. An advisory
            // lock, not the site's row: that would hold up every insert that refers to the site.
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(INVITATIONS_LOCK)
                .bind(i32::try_from(site_id % i64::from(i32::MAX)).unwrap_or(0))
                .execute(&mut *tx)
                .await?;
        }
        let mut outcomes = Vec::with_capacity(invitations.len());
        progress.start(if dry_run { "checking" } else { "inviting" }, invitations.len() as u64);
        for mut new in invitations {
            progress.advance(1);
            let earlier: Option<InvitationRow> = sqlx::query_as(&format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations \
                 WHERE site_id = $1 AND email_key = $2 AND created_at >= $3 \
                 ORDER BY created_at DESC, id DESC LIMIT 1"
            ))
            .bind(site_id)
            .bind(&new.email_key)
            .bind(fresh_since)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(earlier) = earlier {
                outcomes.push(Invited::Existing(earlier.try_into()?));
                continue;
            }
            let suppressed: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM suppressions WHERE site_id = $1 AND address_hash = $2")
                    .bind(site_id)
                    .bind(&new.address_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (status, next_send_at) = if suppressed.is_some() {
                // Kept without the address: the list shows the attempt, nothing more.
                new.email = String::new();
                new.email_key = format!("suppressed:{}", new.address_hash);
                new.name = None;
                (InvitationStatus::Unsubscribed, None)
            } else {
                (InvitationStatus::Queued, Some(now))
            };
            sqlx::query(
                "INSERT INTO invitations (id, site_id, email, email_key, name, tags, order_id, lang, status, \
                 created_at, next_send_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&new.id)
            .bind(site_id)
            .bind(&new.email)
            .bind(&new.email_key)
            .bind(&new.name)
            .bind(new.tags.join("\n"))
            .bind(&new.order_id)
            .bind(&new.lang)
            .bind(status.as_str())
            .bind(now)
            .bind(next_send_at)
            .execute(&mut *tx)
            .await?;
            outcomes.push(Invited::Created(Invitation {
                id: new.id,
                site_id,
                email: new.email,
                email_key: new.email_key,
                name: new.name,
                tags: new.tags,
                order_id: new.order_id,
                lang: new.lang,
                status,
                created_at: now,
                sent_at: None,
                reminded_at: None,
                responded_at: None,
                next_send_at,
                attempts: 0,
                last_error: None,
                testimonial_id: None,
            }));
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcomes)
    }

    async fn invitation(&self, site_id: i64, id: &str) -> Result<Option<Invitation>, StorageError> {
        let mut conn = self.pool.acquire().await?;
        invitation_in(&mut conn, site_id, id).await
    }

    async fn invitations(
        &self,
        site_id: i64,
        status: Option<InvitationStatus>,
        cursor: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Invitation>, StorageError> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE site_id = $1 AND ($2 IS NULL OR status = $2) \
             AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ))
        .bind(site_id)
        .bind(status.map(InvitationStatus::as_str))
        .bind(cursor.map(|cursor| cursor.created_at))
        .bind(cursor.map(|cursor| cursor.id.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn invitation_counts(&self, site_id: i64) -> Result<Vec<(InvitationStatus, u64)>, StorageError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM invitations WHERE site_id = $1 GROUP BY status")
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(InvitationStatus::ALL
            .into_iter()
            .map(|status| {
                let n = rows.iter().find(|(name, _)| name == status.as_str()).map_or(0, |(_, n)| count(*n));
                (status, n)
            })
            .collect())
    }

    async fn due_invitations(&self, now: i64, limit: u32) -> Result<Vec<Invitation>, StorageError> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations \
             WHERE next_send_at IS NOT NULL AND next_send_at <= $1 AND lease_until <= $2 \
             ORDER BY next_send_at, id LIMIT $3"
        ))
        .bind(now)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn claim_invitation(
        &self,
        invitation: &Invitation,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<bool, StorageError> {
        let claimed = sqlx::query(
            "UPDATE invitations SET lease_until = $1, lease_owner = $2 \
             WHERE id = $3 AND status = $4 AND next_send_at = $5 AND lease_until <= $6",
        )
        .bind(lease_until)
        .bind(owner)
        .bind(&invitation.id)
        .bind(invitation.status.as_str())
        .bind(invitation.next_send_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn record_invitation_send(
        &self,
        id: &str,
        owner: &str,
        outcome: &SendOutcome,
        now: i64,
    ) -> Result<(), StorageError> {
        // Only the holder records (a sender whose lease ran out finds another's name there),
        // and each update keeps its hands off an invitation answered or unsubscribed while the
        // email was on its way: those have nothing more to send.
        let query = match outcome {
            SendOutcome::Sent { reminder: false, next_send_at } => sqlx::query(
                "UPDATE invitations SET status = 'sent', sent_at = $1, next_send_at = $2, last_error = NULL, \
                 attempts = 0 WHERE id = $3 AND lease_owner = $4 AND status IN ('queued', 'failed')",
            )
            .bind(now)
            .bind(*next_send_at),
            SendOutcome::Sent { reminder: true, .. } => sqlx::query(
                "UPDATE invitations SET status = 'reminded', reminded_at = $1, next_send_at = NULL, \
                 last_error = NULL, attempts = 0 WHERE id = $2 AND lease_owner = $3 AND status = 'sent'",
            )
            .bind(now),
            SendOutcome::Failed { error, retry_at } => sqlx::query(
                "UPDATE invitations SET attempts = attempts + 1, last_error = $1, next_send_at = $2, \
                 status = CASE WHEN $3 = 1 AND status = 'queued' THEN 'failed' ELSE status END \
                 WHERE id = $4 AND lease_owner = $5 AND status IN ('queued', 'sent')",
            )
            .bind(error.as_str())
            .bind(*retry_at)
            .bind(i64::from(retry_at.is_none())),
            SendOutcome::Suppressed => sqlx::query(
                "UPDATE invitations SET status = 'unsubscribed', next_send_at = NULL \
                 WHERE id = $1 AND lease_owner = $2 AND status <> 'responded'",
            ),
            SendOutcome::Cancelled => sqlx::query(
                "UPDATE invitations SET next_send_at = NULL WHERE id = $1 AND lease_owner = $2",
            ),
            SendOutcome::Deferred { until } => sqlx::query(
                "UPDATE invitations SET next_send_at = $1 \
                 WHERE id = $2 AND lease_owner = $3 AND next_send_at IS NOT NULL",
            )
            .bind(*until),
        };
        query.bind(id).bind(owner).execute(&self.pool).await?;
        // Whatever happened, this sender's hold is over (and only this sender's).
        sqlx::query(
            "UPDATE invitations SET lease_until = 0, lease_owner = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invitation_emails_since(&self, site_id: i64, since: i64) -> Result<u64, StorageError> {
        let sent: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM invitations WHERE site_id = $1 AND sent_at >= $2) \
                  + (SELECT COUNT(*) FROM invitations WHERE site_id = $3 AND reminded_at >= $4)",
        )
        .bind(site_id)
        .bind(since)
        .bind(site_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(count(sent))
    }

    async fn respond_to_invitation(
        &self,
        site_id: i64,
        id: &str,
        testimonial_id: &str,
        now: i64,
        link_fresh_since: i64,
    ) -> Result<Option<Invitation>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let Some(before) = invitation_in(&mut tx, site_id, id).await? else { return Ok(None) };
        let answered = sqlx::query(
            "UPDATE invitations SET status = 'responded', responded_at = $1, testimonial_id = $2, \
             next_send_at = NULL WHERE site_id = $3 AND id = $4 AND status <> 'responded' \
             AND COALESCE(reminded_at, sent_at, created_at) >= $5",
        )
        .bind(now)
        .bind(testimonial_id)
        .bind(site_id)
        .bind(id)
        .bind(link_fresh_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((answered.rows_affected() == 1).then_some(before))
    }

    async fn unrespond_invitation(&self, id: &str, now: i64) -> Result<(), StorageError> {
        // From the columns, not from a state read earlier: the sender may have recorded an
        // email in between. An unsent one is due again; a due reminder is dropped.
        sqlx::query(
            "UPDATE invitations SET responded_at = NULL, testimonial_id = NULL, \
             status = CASE WHEN reminded_at IS NOT NULL THEN 'reminded' WHEN sent_at IS NOT NULL THEN 'sent' \
             ELSE 'queued' END, \
             next_send_at = CASE WHEN sent_at IS NULL THEN $1 ELSE NULL END \
             WHERE id = $2 AND status = 'responded'",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn requeue_invitation(&self, site_id: i64, id: &str, now: i64) -> Result<bool, StorageError> {
        let requeued = sqlx::query(
            "UPDATE invitations SET status = 'queued', next_send_at = $1, attempts = 0, last_error = NULL \
             WHERE site_id = $2 AND id = $3 AND status = 'failed'",
        )
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(requeued.rows_affected() == 1)
    }

    async fn requeue_failed_invitations(&self, site_id: i64, now: i64) -> Result<u64, StorageError> {
        let requeued = sqlx::query(
            "UPDATE invitations SET status = 'queued', next_send_at = $1, attempts = 0, last_error = NULL \
             WHERE site_id = $2 AND status = 'failed'",
        )
        .bind(now)
        .bind(site_id)
        .execute(&self.pool)
        .await?;
        Ok(requeued.rows_affected())
    }

    async fn suppress(
        &self,
        site_id: i64,
        address_hash: &str,
        email_key: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.write_transaction().await?;
        let added = sqlx::query(
            "INSERT INTO suppressions (site_id, address_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(site_id)
        .bind(address_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET status = 'unsubscribed', next_send_at = NULL \
             WHERE site_id = $1 AND email_key = $2 AND status NOT IN ('responded', 'unsubscribed')",
        )
        .bind(site_id)
        .bind(email_key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(added.rows_affected() == 1)
    }

    async fn is_suppressed(&self, site_id: i64, address_hash: &str) -> Result<bool, StorageError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM suppressions WHERE site_id = $1 AND address_hash = $2")
                .bind(site_id)
                .bind(address_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
