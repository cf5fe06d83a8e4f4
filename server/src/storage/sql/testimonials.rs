//! Testimonials as moderators, authors and the public see and change them.

use super::*;

/// What the follow-up inbox lists: low ratings and contact requests, unless spam or withdrawn.
pub(super) const FOLLOW_UP_INBOX: &str =
    "(follow_up = 1 OR contact_me = 1) AND status NOT IN ('spam', 'withdrawn')";

/// The honest summary (every moderated rating that is not spam or withdrawn) of the whole site
/// (tag `''`) or of one tag: one row of `rating_tallies`, which triggers keep with every write.
pub(super) const RATING_TALLY: &str =
    "SELECT ratings, rating_sum, verified FROM rating_tallies WHERE site_id = $1 AND tag = $2";

impl SqlStorage {
    /// Every newest-first list of testimonials (public and moderation alike), searching with
    /// `search`'s clause: see [`list_filters`].
    pub(super) fn list_sql(&self, search: Option<&SearchFilter>) -> String {
        let clause = search.map_or(search::LIKE_CLAUSE, SearchFilter::clause);
        format!("{} FROM testimonials{}", self.select_testimonials(), list_filters(clause))
    }
}

#[async_trait]
impl TestimonialStore for SqlStorage {
    async fn list_published(
        &self,
        site_id: i64,
        query: &ListQuery,
    ) -> Result<Vec<Testimonial>, StorageError> {
        self.list_by_status(site_id, Status::Approved, query).await
    }

    async fn rating_summary(&self, site_id: i64, tag: Option<&str>) -> Result<RatingSummary, StorageError> {
        if tag == Some("") {
            // No testimonial has an empty tag; the row of tag '' is the whole site's.
            return Ok(RatingSummary { count: 0, average: None, verified: 0 });
        }
        let tally: Option<(i64, i64, i64)> = sqlx::query_as(RATING_TALLY)
            .bind(site_id)
            .bind(tag.unwrap_or_default())
            .fetch_optional(&self.pool)
            .await?;
        let (count, sum, verified) = tally.unwrap_or_default();
        Ok(RatingSummary {
            count: count.try_into().unwrap_or(0),
            // Ratings are 1 to 5, so the sum is exact in a double far past any site's count.
            average: (count > 0).then(|| sum as f64 / count as f64),
            verified: verified.try_into().unwrap_or(0),
        })
    }

    async fn list_by_status(
        &self,
        site_id: i64,
        status: Status,
        query: &ListQuery,
    ) -> Result<Vec<Testimonial>, StorageError> {
        let search = query.search.as_deref().map(|words| SearchFilter::new(self.backend, words));
        let sql = self.list_sql(search.as_ref());
        // PostgreSQL plans a search with its words (an unnamed statement, planned at each
        // execution): its trigram index is worth using for a rare word, not for a common one,
        // which the list's own index finds fifty of at once. A plan made once for any words
        // could only guess.
        let planned_per_search = search.is_some() && self.backend == Backend::Postgres;
        let rows: Vec<TestimonialRow> = sqlx::query_as(&sql)
            .persistent(!planned_per_search)
            .bind(site_id)
            .bind(status.as_str())
            .bind(query.tag.clone())
            .bind(search.map(SearchFilter::into_parameter))
            .bind(query.rating.map(i64::from))
            .bind(query.cursor.as_ref().map(|cursor| cursor.created_at))
            .bind(query.cursor.as_ref().map(|cursor| cursor.id.clone()))
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn testimonial(&self, site_id: i64, id: &str) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "{} FROM testimonials WHERE site_id = $1 AND id = $2",
            self.select_testimonials()
        ))
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Testimonial::try_from).transpose()
    }

    async fn moderate(
        &self,
        site_id: i64,
        id: &str,
        status: Status,
        now: i64,
    ) -> Result<Moderated, StorageError> {
        // One conditional UPDATE, so a withdrawal racing an approval can never be overridden.
        let updated = sqlx::query(
            "UPDATE testimonials SET status = $1, updated_at = $2, \
             moderated_at = CASE WHEN moderated_at IS NULL AND status = 'pending' AND $1 <> 'pending' \
             THEN $2 ELSE moderated_at END \
             WHERE site_id = $3 AND id = $4 AND status <> 'withdrawn' AND ($5 <> 'approved' OR consent = 1)",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(site_id)
        .bind(id)
        .bind(status.as_str())
        .execute(&self.pool)
        .await?;
        let current = self.testimonial(site_id, id).await?;
        Ok(match current {
            None => Moderated::NotFound,
            Some(testimonial) if updated.rows_affected() == 1 => Moderated::Done(Box::new(testimonial)),
            Some(testimonial) if testimonial.status == Status::Withdrawn => Moderated::Withdrawn,
            Some(_) => Moderated::NoConsent,
        })
    }

    async fn status_counts(&self, site_id: i64) -> Result<Vec<(Status, u64)>, StorageError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM testimonials WHERE site_id = $1 GROUP BY status")
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(Status::ALL
            .into_iter()
            .map(|status| {
                let count = rows.iter().find(|(name, _)| name == status.as_str()).map_or(0, |(_, n)| *n);
                (status, u64::try_from(count).unwrap_or(0))
            })
            .collect())
    }

    async fn set_reply(
        &self,
        site_id: i64,
        id: &str,
        reply: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET reply = $1, replied_at = $2, updated_at = $3 WHERE site_id = $4 AND id = $5",
        )
        .bind(reply)
        .bind(reply.map(|_| now))
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }

    async fn set_featured(
        &self,
        site_id: i64,
        id: &str,
        featured: bool,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query("UPDATE testimonials SET featured = $1, updated_at = $2 WHERE site_id = $3 AND id = $4")
            .bind(flag(featured))
            .bind(now)
            .bind(site_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.testimonial(site_id, id).await
    }

    async fn testimonial_by_manage_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Testimonial>, StorageError> {
        let row = sqlx::query_as::<_, TestimonialRow>(&format!(
            "{} FROM testimonials WHERE manage_token_hash = $1",
            self.select_testimonials()
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Testimonial::try_from).transpose()
    }

    async fn withdraw(&self, token_hash: &str, now: i64) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET status = 'withdrawn', featured = 0, updated_at = $1 WHERE manage_token_hash = $2",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        self.testimonial_by_manage_token(token_hash).await
    }

    async fn author_edit(
        &self,
        token_hash: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            // Rejected and spam stay where moderators put them; anything else is read again.
            "UPDATE testimonials SET name = $1, role = $2, company = $3, rating = $4, body = $5, edited = 1, \
             status = CASE WHEN status IN ('rejected', 'spam') THEN status ELSE 'pending' END, updated_at = $6 \
             WHERE manage_token_hash = $7 AND status <> 'withdrawn'",
        )
        .bind(&edit.name)
        .bind(&edit.role)
        .bind(&edit.company)
        .bind(i64::from(edit.rating))
        .bind(&edit.text)
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        self.testimonial_by_manage_token(token_hash).await
    }

    async fn moderator_edit(
        &self,
        site_id: i64,
        id: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET name = $1, role = $2, company = $3, rating = $4, body = $5, edited = 1, \
             updated_at = $6 WHERE site_id = $7 AND id = $8",
        )
        .bind(&edit.name)
        .bind(&edit.role)
        .bind(&edit.company)
        .bind(i64::from(edit.rating))
        .bind(&edit.text)
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }

    async fn set_tags(
        &self,
        site_id: i64,
        id: &str,
        tags: &[String],
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let updated = sqlx::query("UPDATE testimonials SET updated_at = $1 WHERE site_id = $2 AND id = $3")
            .bind(now)
            .bind(site_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM testimonial_tags WHERE testimonial_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for tag in tags {
            sqlx::query(
                "INSERT INTO testimonial_tags (testimonial_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.testimonial(site_id, id).await
    }

    async fn follow_ups(
        &self,
        site_id: i64,
        resolved: bool,
        limit: u32,
    ) -> Result<Vec<Testimonial>, StorageError> {
        let rows: Vec<TestimonialRow> = sqlx::query_as(&format!(
            "{} FROM testimonials WHERE site_id = $1 \
             AND {FOLLOW_UP_INBOX} \
             AND (CASE WHEN follow_up_resolved_at IS NULL THEN 0 ELSE 1 END) = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3",
            self.select_testimonials()
        ))
        .bind(site_id)
        .bind(flag(resolved))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Testimonial::try_from).collect()
    }

    async fn resolve_follow_up(
        &self,
        site_id: i64,
        id: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError> {
        sqlx::query(
            "UPDATE testimonials SET follow_up_resolved_at = $1, follow_up_note = $2, updated_at = $3 \
             WHERE site_id = $4 AND id = $5",
        )
        .bind(now)
        .bind(note)
        .bind(now)
        .bind(site_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.testimonial(site_id, id).await
    }
}
