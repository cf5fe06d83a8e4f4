//! Rows written many to a statement: the group commit stores every submission that queued up
//! with one INSERT (one round trip to the database instead of one each), and imports and the
//! bench's seed use the same statements.

use sqlx::Row;

use super::{flag, ImportedTestimonial};
use fanfare_protocol::api::Status;

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// `INSERT INTO table (columns) VALUES ($1, …), (…), …` for `rows` rows, in the `$n` style both
/// backends read.
pub(super) fn multi_row_insert(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            parameter += 1;
            sql.push('$');
            sql.push_str(&parameter.to_string());
        }
        sql.push(')');
    }
    sql
}

/// The testimonial columns an INSERT writes, in the order [`bind_testimonial`] binds them.
pub(super) const TESTIMONIAL_INSERT_COLUMNS: [&str; 27] = [
    "id",
    "site_id",
    "status",
    "name",
    "email",
    "role",
    "company",
    "rating",
    "body",
    "consent",
    "consent_text",
    "consent_version",
    "photo_id",
    "video_id",
    "captions",
    "referral_code",
    "page_url",
    "ip_prefix",
    "follow_up",
    "contact_me",
    "manage_token_hash",
    "reply",
    "featured",
    "verified",
    "created_at",
    "updated_at",
    "moderated_at",
];

/// One testimonial's values, in the order of [`TESTIMONIAL_INSERT_COLUMNS`].
pub(super) fn bind_testimonial<'q>(query: AnyQuery<'q>, item: &'q ImportedTestimonial) -> AnyQuery<'q> {
    let record = &item.record;
    query
        .bind(&record.id)
        .bind(record.site_id)
        .bind(record.status.as_str())
        .bind(&record.name)
        .bind(&record.email)
        .bind(&record.role)
        .bind(&record.company)
        .bind(i64::from(record.rating))
        .bind(&record.text)
        .bind(flag(record.consent))
        .bind(&record.consent_text)
        .bind(record.consent_version)
        .bind(&record.photo_id)
        .bind(&record.video_id)
        .bind(&record.captions)
        .bind(&record.referral_code)
        .bind(&record.page_url)
        .bind(&record.ip_prefix)
        .bind(flag(record.follow_up))
        .bind(flag(record.contact_me))
        .bind(&record.manage_token_hash)
        .bind(&item.reply)
        .bind(flag(item.featured))
        .bind(flag(record.verified))
        .bind(record.created_at)
        .bind(item.updated_at)
        // Stored decided (the site's rule published it at once, or an import): decided on
        // arrival, nobody waited. The demo's history says when its moderators decided.
        .bind(record.moderated_at.or((record.status != Status::Pending).then_some(record.created_at)))
}

/// The one INSERT of testimonial rows and their tags, for new submissions (a group at a time)
/// and imports alike; with `or_ignore` an id already stored is left untouched. Returns how many
/// rows were added.
pub(super) async fn insert_testimonials(
    conn: &mut sqlx::AnyConnection,
    items: &[&ImportedTestimonial],
    or_ignore: bool,
) -> Result<u64, sqlx::Error> {
    if items.is_empty() {
        return Ok(0);
    }
    let mut sql = multi_row_insert("testimonials", &TESTIMONIAL_INSERT_COLUMNS, items.len());
    if or_ignore {
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
    }
    // Which rows went in: only those get their tags.
    sql.push_str(" RETURNING id");
    let mut query = sqlx::query(&sql);
    for item in items {
        query = bind_testimonial(query, item);
    }
    let inserted: Vec<String> =
        query.fetch_all(&mut *conn).await?.iter().map(|row| row.try_get(0)).collect::<Result<_, _>>()?;
    let tags: Vec<(&str, &str)> = items
        .iter()
        .filter(|item| inserted.contains(&item.record.id))
        .flat_map(|item| item.record.tags.iter().map(|tag| (item.record.id.as_str(), tag.as_str())))
        .collect();
    if !tags.is_empty() {
        let sql = multi_row_insert("testimonial_tags", &["testimonial_id", "tag"], tags.len())
            + " ON CONFLICT DO NOTHING";
        let mut query = sqlx::query(&sql);
        for (id, tag) in &tags {
            query = query.bind(*id).bind(*tag);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(inserted.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_across_rows() {
        assert_eq!(multi_row_insert("t", &["a", "b"], 1), "INSERT INTO t (a, b) VALUES ($1, $2)");
        assert_eq!(
            multi_row_insert("t", &["a", "b"], 3),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
    }
}
