//! `fanfare copy --to postgres://…`: moves a whole database (SQLite, usually) into PostgreSQL,
//! table by table in foreign-key order, then checks that both hold the same rows. Rows already
//! in the target are left alone, so running it again is safe.

use anyhow::{bail, Context};
use sqlx::{AnyPool, Row};

use super::media::MediaStore;
use super::{Backend, MediaRecordStore, SiteStore, SqlStorage};
use crate::progress::Progress;

/// Every table, parents before children, with the columns that order its rows.
pub const TABLES: &[(&str, &str)] = &[
    ("sites", "id"),
    ("site_origins", "site_id, origin"),
    ("users", "id"),
    ("memberships", "user_id, site_id"),
    ("api_tokens", "id"),
    ("sessions", "id_hash"),
    ("photos", "id"),
    ("media", "id"),
    ("testimonials", "id"),
    ("testimonial_tags", "testimonial_id, tag"),
    ("audit_log", "id"),
    ("used_nonces", "nonce"),
    ("server_keys", "name"),
    ("webhooks", "id"),
    ("webhook_deliveries", "id"),
    ("advocates", "id"),
    ("referral_visits", "id"),
    ("conversions", "id"),
    ("rewards", "id"),
    ("coupons", "id"),
    ("stripe_events", "site_id, event_id"),
    ("idempotency_keys", "site_id, key_hash"),
    ("site_keys", "id"),
    ("invitations", "id"),
    ("suppressions", "site_id, address_hash"),
    ("widget_reach", "site_id, day"),
];

/// A column's kind as PostgreSQL declares it; the copy binds each value as that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Bytes,
}

#[derive(Debug, PartialEq)]
pub struct TableReport {
    pub table: &'static str,
    pub copied: u64,
    pub rows: u64,
}

/// Copies every table, telling `progress` of each table's rows as they are written.
pub async fn copy(
    source_url: &str,
    target_url: &str,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<TableReport>> {
    let source = super::open(source_url).await.context("opening the source database")?;
    let target = super::open(target_url).await.context("opening (and migrating) the target database")?;
    if target.backend() != Backend::Postgres {
        bail!("--to must be a postgres://… URL; copies go from SQLite up to PostgreSQL");
    }
    // Sealed values are copied as they are: into a database already sealed under another key
    // they would open under neither.
    let (from, to) = (key_check(&source).await?, key_check(&target).await?);
    if let (Some(from), Some(to)) = (from, to) {
        if from != to {
            bail!(
                "the target was started with a different secret key than the source, and the \
                 copy keeps the source's sealed values: copy into a new database, or one started \
                 with the source's key; nothing was copied"
            );
        }
    }
    let mut reports = Vec::with_capacity(TABLES.len());
    let mut tx = target.pool().begin().await?;
    for (table, order) in TABLES {
        let columns = columns(target.pool(), table).await?;
        let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
            names.join(", "),
            placeholders.join(", ")
        );
        let rows = sqlx::query(&format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", ")))
            .fetch_all(source.pool())
            .await
            .with_context(|| format!("reading {table}"))?;
        let mut copied = 0;
        progress.start(table, rows.len() as u64);
        for row in &rows {
            let mut query = sqlx::query(&insert);
            for (index, (name, kind)) in columns.iter().enumerate() {
                query = match kind {
                    Kind::Integer => query.bind(
                        row.try_get::<Option<i64>, _>(index).with_context(|| format!("{table}.{name}"))?,
                    ),
                    Kind::Real => query.bind(
                        row.try_get::<Option<f64>, _>(index).with_context(|| format!("{table}.{name}"))?,
                    ),
                    Kind::Text => query.bind(
                        row.try_get::<Option<String>, _>(index).with_context(|| format!("{table}.{name}"))?,
                    ),
                    Kind::Bytes => query.bind(
                        row.try_get::<Option<Vec<u8>>, _>(index)
                            .with_context(|| format!("{table}.{name}"))?,
                    ),
                };
            }
            copied +=
                query.execute(&mut *tx).await.with_context(|| format!("writing {table}"))?.rows_affected();
            progress.advance(1);
        }
        if columns.iter().any(|(name, kind)| name == "id" && *kind == Kind::Integer) {
            // Identity columns took explicit ids: move their sequences past them.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            ))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("advancing the id sequence of {table}"))?;
        }
        reports.push(TableReport { table, copied, rows: rows.len() as u64 });
    }
    tx.commit().await?;
    verify(&source, &target).await?;
    Ok(reports)
}

/// Copies the objects of every medium the source database records from the source's media
/// store into the target's (a photo, a video and its poster), each read whole and written
/// again: safe to run again, it writes the same bytes under the same keys. Returns how many
/// objects were copied; `progress` hears of each medium.
pub async fn copy_media(
    source: &SqlStorage,
    from: &MediaStore,
    to: &MediaStore,
    progress: &dyn Progress,
) -> anyhow::Result<u64> {
    let mut copied = 0;
    // Which database the objects belong to: the copy's server_keys say the same.
    if let Some(owner) = from.get(super::media::keys::OWNER).await? {
        to.put(super::media::keys::OWNER, owner).await?;
    }
    // The records first (small), so the bar knows its length; the objects one at a time.
    let mut records = Vec::new();
    for site in source.list_sites().await? {
        records.extend(source.site_media(site.id).await?);
    }
    progress.start("media", records.len() as u64);
    for record in records {
        for key in record.keys() {
            let Some(bytes) = from.get(&key).await.with_context(|| format!("reading {key}"))? else {
                continue;
            };
            to.put(&key, bytes).await.with_context(|| format!("writing {key}"))?;
            copied += 1;
        }
        progress.advance(1);
    }
    Ok(copied)
}

/// The target's columns of `table`, in declaration order, with their kinds.
async fn columns(pool: &AnyPool, table: &str) -> anyhow::Result<Vec<(String, Kind)>> {
    let rows = sqlx::query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get(0)?;
            let data_type: String = row.try_get(1)?;
            let kind = match data_type.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Integer,
                "double precision" | "real" => Kind::Real,
                "bytea" => Kind::Bytes,
                _ => Kind::Text,
            };
            Ok((name, kind))
        })
        .collect()
}

/// Every row of `table` as text, in key order: what "the same data" is compared on.
/// The check value of the secret key a database was sealed under, if it was ever started.
async fn key_check(storage: &SqlStorage) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
        .bind(super::SECRET_KEY_CHECK)
        .fetch_optional(storage.pool())
        .await
        .context("reading the secret key's check value")
}

pub async fn dump_table(storage: &SqlStorage, table: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let (_, order) = TABLES.iter().find(|(name, _)| *name == table).context("no such table")?;
    let rows =
        sqlx::query(&format!("SELECT * FROM {table} ORDER BY {order}")).fetch_all(storage.pool()).await?;
    Ok(rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|index| {
                    row.try_get::<Option<i64>, _>(index)
                        .map(|value| value.map(|n| n.to_string()))
                        .or_else(|_| {
                            row.try_get::<Option<f64>, _>(index).map(|value| value.map(|n| n.to_string()))
                        })
                        .or_else(|_| row.try_get::<Option<String>, _>(index))
                        .or_else(|_| {
                            row.try_get::<Option<Vec<u8>>, _>(index)
                                .map(|bytes| bytes.map(|bytes| crate::secrets::hex(&bytes)))
                        })
                        .unwrap_or(None)
                })
                .collect()
        })
        .collect())
}

/// Both databases hold the same number of rows in every table.
async fn verify(source: &SqlStorage, target: &SqlStorage) -> anyhow::Result<()> {
    let mut differences = Vec::new();
    for (table, _) in TABLES {
        let count = format!("SELECT COUNT(*) FROM {table}");
        let here: i64 = sqlx::query_scalar(&count).fetch_one(source.pool()).await?;
        let there: i64 = sqlx::query_scalar(&count).fetch_one(target.pool()).await?;
        if here != there {
            differences.push(format!("{table}: {here} in the source, {there} in the target"));
        }
    }
    if !differences.is_empty() {
        bail!("the copy does not match (was the target already in use?):\n  {}", differences.join("\n  "));
    }
    Ok(())
}
