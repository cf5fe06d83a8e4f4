//! What is known of the media store's objects. The bytes are in the store (`storage::media`).

use super::*;

const MEDIA_COLUMNS: &str =
    "m.id, m.site_id, m.kind, m.state, m.content_type, m.byte_size, m.width, m.height, \
    m.duration_ms, m.codecs, m.poster, m.created_at";

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: String,
    site_id: i64,
    kind: String,
    state: String,
    content_type: String,
    byte_size: i64,
    width: i64,
    height: i64,
    duration_ms: Option<i64>,
    codecs: Option<String>,
    poster: i64,
    created_at: i64,
}

impl TryFrom<MediaRow> for MediaRecord {
    type Error = StorageError;

    fn try_from(row: MediaRow) -> Result<Self, StorageError> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("{what} of medium {}", row.id));
        Ok(MediaRecord {
            kind: MediaKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            ready: row.state == "ready",
            byte_size: u64::try_from(row.byte_size).map_err(|_| corrupt("size"))?,
            width: u32::try_from(row.width).map_err(|_| corrupt("width"))?,
            height: u32::try_from(row.height).map_err(|_| corrupt("height"))?,
            duration_ms: row
                .duration_ms
                .map(|ms| u64::try_from(ms).map_err(|_| corrupt("duration")))
                .transpose()?,
            id: row.id,
            site_id: row.site_id,
            content_type: row.content_type,
            codecs: row.codecs,
            poster: row.poster != 0,
            created_at: row.created_at,
        })
    }
}

fn records(rows: Vec<MediaRow>) -> Result<Vec<MediaRecord>, StorageError> {
    rows.into_iter().map(MediaRecord::try_from).collect()
}

/// Counts and sizes are far below `i64::MAX`; saturate rather than wrap if one ever is not.
fn wide(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// No testimonial uses the medium: a withdrawn one lets go of it (and one withdrawn before media
/// were deleted on withdrawal still held its photo).
const UNUSED: &str = "NOT EXISTS (SELECT 1 FROM testimonials t WHERE t.site_id = m.site_id \
    AND (t.photo_id = m.id OR t.video_id = m.id) AND t.status <> 'withdrawn')";

async fn insert(
    conn: &mut sqlx::AnyConnection,
    record: &MediaRecord,
    on_conflict: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO media (id, site_id, kind, state, content_type, byte_size, width, height, duration_ms, codecs, \
         poster, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12){on_conflict}"
    ))
    .bind(&record.id)
    .bind(record.site_id)
    .bind(record.kind.as_str())
    .bind(if record.ready { "ready" } else { "receiving" })
    .bind(&record.content_type)
    .bind(wide(record.byte_size))
    .bind(i64::from(record.width))
    .bind(i64::from(record.height))
    .bind(record.duration_ms.map(wide))
    .bind(&record.codecs)
    .bind(flag(record.poster))
    .bind(record.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The photos and videos of one author's testimonials (for erasure): found through the
/// author's rows, as `testimonials_by_author` indexes them.
pub(super) const MEDIA_OF_AUTHOR: &str = "FROM media m JOIN testimonials t ON t.site_id = m.site_id \
     AND (t.photo_id = m.id OR t.video_id = m.id) WHERE m.site_id = $1 AND lower(t.email) = lower($2)";

#[async_trait]
impl MediaRecordStore for SqlStorage {
    async fn insert_media(&self, record: &MediaRecord) -> Result<(), StorageError> {
        let mut conn = self.pool.acquire().await?;
        match insert(&mut conn, record, "").await {
            Err(error) if is_unique_violation(&error) => Err(StorageError::Conflict { field: "id" }),
            other => Ok(other?),
        }
    }

    async fn holds_media(&self) -> Result<bool, StorageError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM media LIMIT 1").fetch_optional(&self.pool).await?;
        Ok(found.is_some())
    }

    async fn media(&self, site_id: i64, id: &str) -> Result<Option<MediaRecord>, StorageError> {
        let row: Option<MediaRow> = sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m WHERE m.site_id = $1 AND m.id = $2"
        ))
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(MediaRecord::try_from).transpose()
    }

    async fn unattached_media(&self, site_id: i64, id: &str, kind: MediaKind) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM media m WHERE m.site_id = $1 AND m.id = $2 AND m.kind = $3 AND m.state = 'ready' \
             AND {UNUSED}"
        ))
        .bind(site_id)
        .bind(id)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn published_media(&self, id: &str) -> Result<Option<PublishedMedia>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            media: MediaRow,
            testimonial_id: String,
            captions: Option<String>,
        }
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS}, t.id AS testimonial_id, t.captions FROM media m \
             JOIN testimonials t ON t.site_id = m.site_id AND (t.photo_id = m.id OR t.video_id = m.id) \
             WHERE m.id = $1 AND m.state = 'ready' AND t.status = 'approved'"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(PublishedMedia {
                record: MediaRecord::try_from(row.media)?,
                captions: row.captions,
                testimonial_id: row.testimonial_id,
            })
        })
        .transpose()
    }

    async fn finish_media(&self, record: &MediaRecord) -> Result<bool, StorageError> {
        let finished = sqlx::query(
            "UPDATE media SET state = 'ready', content_type = $1, byte_size = $2, width = $3, height = $4, \
             duration_ms = $5, codecs = $6 WHERE site_id = $7 AND id = $8 AND state = 'assembling'",
        )
        .bind(&record.content_type)
        .bind(wide(record.byte_size))
        .bind(i64::from(record.width))
        .bind(i64::from(record.height))
        .bind(record.duration_ms.map(wide))
        .bind(&record.codecs)
        .bind(record.site_id)
        .bind(&record.id)
        .execute(&self.pool)
        .await?;
        Ok(finished.rows_affected() == 1)
    }

    async fn claim_media(&self, site_id: i64, id: &str, from: &str, to: &str) -> Result<bool, StorageError> {
        let claimed =
            sqlx::query("UPDATE media SET state = $1 WHERE site_id = $2 AND id = $3 AND state = $4")
                .bind(to)
                .bind(site_id)
                .bind(id)
                .bind(from)
                .execute(&self.pool)
                .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn claim_unused_media(&self, id: &str) -> Result<bool, StorageError> {
        let claimed = sqlx::query(&format!(
            "UPDATE media SET state = 'removing' WHERE id = $1 AND EXISTS (SELECT 1 FROM media m WHERE m.id = $1 AND {UNUSED})"
        ))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn set_media_poster(&self, site_id: i64, id: &str) -> Result<bool, StorageError> {
        let set =
            sqlx::query("UPDATE media SET poster = 1 WHERE site_id = $1 AND id = $2 AND kind = 'video'")
                .bind(site_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(set.rows_affected() == 1)
    }

    async fn unused_media(&self, before: i64, limit: u32) -> Result<Vec<MediaRecord>, StorageError> {
        let rows: Vec<MediaRow> = sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m WHERE m.created_at < $1 AND {UNUSED} ORDER BY m.created_at LIMIT $2"
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        records(rows)
    }

    async fn media_of_author(&self, site_id: i64, email: &str) -> Result<Vec<MediaRecord>, StorageError> {
        let rows: Vec<MediaRow> = sqlx::query_as(&format!("SELECT {MEDIA_COLUMNS} {MEDIA_OF_AUTHOR}"))
            .bind(site_id)
            .bind(email)
            .fetch_all(&self.pool)
            .await?;
        records(rows)
    }

    async fn detach_media(
        &self,
        site_id: i64,
        testimonial_id: &str,
    ) -> Result<Vec<MediaRecord>, StorageError> {
        let mut tx = self.write_transaction().await?;
        let rows: Vec<MediaRow> = sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m JOIN testimonials t ON t.site_id = m.site_id \
             AND (t.photo_id = m.id OR t.video_id = m.id) WHERE m.site_id = $1 AND t.id = $2"
        ))
        .bind(site_id)
        .bind(testimonial_id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("UPDATE testimonials SET photo_id = NULL, video_id = NULL, captions = NULL WHERE site_id = $1 AND id = $2")
            .bind(site_id)
            .bind(testimonial_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        records(rows)
    }

    async fn delete_media(&self, id: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM media WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn site_media(&self, site_id: i64) -> Result<Vec<MediaRecord>, StorageError> {
        let rows: Vec<MediaRow> = sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media m WHERE m.site_id = $1 ORDER BY m.created_at, m.id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        records(rows)
    }

    async fn photos_in_database(&self, limit: u32) -> Result<Vec<Photo>, StorageError> {
        let rows: Vec<(String, i64, Vec<u8>, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, site_id, data, width, height, created_at FROM photos ORDER BY created_at, id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(photo_from_row).collect())
    }

    async fn photo_moved(&self, record: &MediaRecord) -> Result<(), StorageError> {
        let mut tx = self.write_transaction().await?;
        // Another instance starting at the same time may have moved it first: its row stands.
        insert(&mut tx, record, " ON CONFLICT (id) DO NOTHING").await?;
        sqlx::query("DELETE FROM photos WHERE id = $1").bind(&record.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_captions(
        &self,
        site_id: i64,
        testimonial_id: &str,
        captions: Option<&str>,
        now: i64,
    ) -> Result<bool, StorageError> {
        let set = sqlx::query(
            "UPDATE testimonials SET captions = $1, updated_at = $2 WHERE site_id = $3 AND id = $4 \
             AND video_id IS NOT NULL",
        )
        .bind(captions)
        .bind(now)
        .bind(site_id)
        .bind(testimonial_id)
        .execute(&self.pool)
        .await?;
        Ok(set.rows_affected() == 1)
    }
}
