//! A site's data in and out: export, import, erasure.

use super::*;

// What an erasure reads and removes, one statement each (the bench asks for their plans).
/// One author's testimonials on a site, whatever the case of the address each time: the
/// expression `testimonials_by_author` indexes.
pub(super) const AUTHOR_TESTIMONIALS: &str =
    "FROM testimonials WHERE site_id = $1 AND lower(email) = lower($2)";
pub(super) const ERASE_IDEMPOTENCY_KEYS: &str =
    "DELETE FROM idempotency_keys WHERE site_id = $1 AND testimonial_id = $2";
pub(super) const ERASE_AUDIT_DETAIL: &str =
    "UPDATE audit_log SET detail = NULL WHERE site_id = $1 AND testimonial_id = $2";
pub(super) const SITE_DELIVERIES: &str = "SELECT id, payload FROM webhook_deliveries WHERE site_id = $1";
pub(super) const ERASE_ADVOCATE: &str = "DELETE FROM advocates WHERE site_id = $1 AND email_key = $2";
pub(super) const ERASE_CONVERSIONS: &str = "DELETE FROM conversions WHERE site_id = $1 AND email_key = $2";
pub(super) const ERASE_INVITATIONS: &str = "DELETE FROM invitations WHERE site_id = $1 AND email_key = $2";

#[async_trait]
impl DataStore for SqlStorage {
    async fn export_page(
        &self,
        site_id: i64,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Testimonial>, StorageError> {
        let select = self.select_testimonials();
        let limit = i64::from(limit);
        let rows: Vec<TestimonialRow> = match after {
            None => {
                sqlx::query_as(&format!(
                    "{select} FROM testimonials WHERE site_id = $1 ORDER BY created_at, id LIMIT $2"
                ))
                .bind(site_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            // `created_at >= $2` on its own: both planners make it a range on
            // testimonials_by_site_created; rows of the same millisecond go on by id.
            Some(after) => {
                sqlx::query_as(&format!(
                    "{select} FROM testimonials WHERE site_id = $1 AND created_at >= $2 \
                     AND (created_at > $2 OR id > $3) ORDER BY created_at, id LIMIT $4"
                ))
                .bind(site_id)
                .bind(after.created_at)
                .bind(&after.id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn import_testimonial(&self, item: ImportedTestimonial) -> Result<ImportOutcome, StorageError> {
        let record = &item.record;
        let mut tx = self.write_transaction().await?;
        let inserted = insert_testimonials(&mut tx, &[&item], true).await?;
        if inserted == 0 {
            let holder: Option<i64> = sqlx::query_scalar("SELECT site_id FROM testimonials WHERE id = $1")
                .bind(&record.id)
                .fetch_optional(&mut *tx)
                .await?;
            return Ok(if holder == Some(record.site_id) {
                ImportOutcome::AlreadyHere
            } else {
                ImportOutcome::TakenElsewhere
            });
        }
        tx.commit().await?;
        Ok(ImportOutcome::Stored)
    }

    async fn erase_email(&self, site_id: i64, email: &str) -> Result<u64, StorageError> {
        let key = crate::domain::email_key(email);
        let mut tx = self.write_transaction().await?;
        // Read before the testimonials go: their ids find the rows elsewhere that speak of them.
        let ids: Vec<String> = sqlx::query_scalar(&format!("SELECT id {AUTHOR_TESTIMONIALS}"))
            .bind(site_id)
            .bind(email)
            .fetch_all(&mut *tx)
            .await?;
        for id in &ids {
            sqlx::query(ERASE_IDEMPOTENCY_KEYS).bind(site_id).bind(id).execute(&mut *tx).await?;
            // The log keeps that a moderator acted, not their words about the person (a reply,
            // a follow-up note with a phone number).
            sqlx::query(ERASE_AUDIT_DETAIL).bind(site_id).bind(id).execute(&mut *tx).await?;
        }
        // Webhook payloads copy the words and addresses of the moment they were queued: every
        // one that names the address (as author, advocate or converted friend) or one of its
        // testimonials goes, sent or not.
        let deliveries: Vec<(i64, String)> =
            sqlx::query_as(SITE_DELIVERIES).bind(site_id).fetch_all(&mut *tx).await?;
        for (delivery, payload) in deliveries {
            if payload_mentions(&payload, &key, &ids) {
                sqlx::query("DELETE FROM webhook_deliveries WHERE id = $1")
                    .bind(delivery)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Tags go with their testimonial; visits and conversions with their advocate (CASCADE).
        let deleted = sqlx::query(&format!("DELETE {AUTHOR_TESTIMONIALS}"))
            .bind(site_id)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(ERASE_ADVOCATE).bind(site_id).bind(&key).execute(&mut *tx).await?;
        sqlx::query(ERASE_CONVERSIONS).bind(site_id).bind(&key).execute(&mut *tx).await?;
        // The suppression list stays: it holds no address, and an erased person who asked not
        // to be emailed must not be emailed again.
        sqlx::query(ERASE_INVITATIONS).bind(site_id).bind(&key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(deleted.rows_affected())
    }
}

/// Whether a webhook payload names the address (by its [`crate::domain::email_key`]) or one of
/// the testimonial ids, anywhere in it.
fn payload_mentions(payload: &str, email_key: &str, ids: &[String]) -> bool {
    fn walk(value: &serde_json::Value, email_key: &str, ids: &[String]) -> bool {
        match value {
            serde_json::Value::String(text) => {
                ids.iter().any(|id| id == text)
                    || (text.contains('@') && crate::domain::email_key(text) == email_key)
            }
            serde_json::Value::Array(items) => items.iter().any(|item| walk(item, email_key, ids)),
            serde_json::Value::Object(fields) => fields.values().any(|field| walk(field, email_key, ids)),
            _ => false,
        }
    }
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(value) => walk(&value, email_key, ids),
        // We write every payload as JSON; should one not parse, err on the side of erasing it.
        Err(_) => payload.to_lowercase().contains(email_key),
    }
}

#[cfg(test)]
mod tests {
    use super::payload_mentions;

    #[test]
    fn payloads_naming_the_address_or_a_testimonial_are_found() {
        let ids = vec!["t1abc".to_owned()];
        let author =
            r#"{"event":"testimonial.submitted","testimonial":{"id":"zz","email":"Ada@Example.com"}}"#;
        assert!(payload_mentions(author, "ada@example.com", &[]));
        let friend =
            r#"{"conversion":{"advocate":{"email":"bo@example.com"},"email":"ada+shop@example.com"}}"#;
        assert!(payload_mentions(friend, "ada@example.com", &[]));
        assert!(payload_mentions(r#"{"testimonial":{"id":"t1abc"}}"#, "x@example.com", &ids));
        assert!(!payload_mentions(friend, "cy@example.com", &ids));
    }
}
