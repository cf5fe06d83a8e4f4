//! A site's data in and out: export as JSON or CSV (written by `export.rs`), import what export
//! wrote, erase by email. The CLI and the dashboard both come through here.

use std::path::Path;

use anyhow::{bail, Context};
use fanfare_protocol::api::Status;
use fanfare_protocol::fields::Email;
use fanfare_protocol::{FieldErrors, TestimonialContent};

pub use super::export::{
    spreadsheet_safe, Export, ExportFormat, ExportedTestimonial, CSV_COLUMNS, FORMAT_NAME,
};
use super::media_transfer::{read_carried, CarriedMedia};
use super::testimonials::{new_record, Draft};
use super::videos::captions;
use super::{audit, consent, Actor, Service, ServiceError, ServiceResult};
use crate::clock::{now_ms, parse_rfc3339, rfc3339};
use crate::domain::parse_tags;
use crate::progress::Progress;
use crate::secrets;
use crate::storage::{ImportOutcome, ImportedTestimonial, NewTestimonialRecord, Site, TestimonialEdit};

/// Undoes [`spreadsheet_safe`], so an import reads back exactly what was exported.
fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '|', '%']) => rest,
        _ => cell,
    }
}

fn from_csv(text: &str) -> anyhow::Result<Vec<ExportedTestimonial>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the CSV header row")?.clone();
    let column = |name: &str| headers.iter().position(|header| header.trim() == name);
    for required in ["name", "email", "rating", "text", "consent"] {
        if column(required).is_none() {
            bail!("the CSV header row has no {required:?} column");
        }
    }
    let mut items = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        let record = record.with_context(|| format!("CSV row {row}"))?;
        let cell =
            |name: &str| column(name).and_then(|i| record.get(i)).map(unescape_cell).unwrap_or("").to_owned();
        let optional = |name: &str| Some(cell(name)).filter(|value| !value.is_empty());
        let flag = |name: &str| -> anyhow::Result<bool> {
            match cell(name).trim().to_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" | "" => Ok(false),
                other => bail!("CSV row {row}: {name} {other:?} must be true or false"),
            }
        };
        let now = rfc3339(now_ms());
        items.push(ExportedTestimonial {
            id: optional("id").unwrap_or_else(secrets::testimonial_id),
            status: optional("status").unwrap_or_else(|| "pending".into()),
            name: cell("name"),
            email: cell("email"),
            role: optional("role"),
            company: optional("company"),
            rating: cell("rating")
                .trim()
                .parse()
                .with_context(|| format!("CSV row {row}: rating must be 1 to 5"))?,
            text: cell("text"),
            consent: flag("consent")?,
            consent_text: optional("consent_text"),
            consent_version: optional("consent_version")
                .map(|v| v.trim().parse())
                .transpose()
                .with_context(|| format!("CSV row {row}: consent_version must be a whole number"))?,
            page_url: optional("page_url"),
            referral_code: optional("ref"),
            reply: optional("reply"),
            featured: flag("featured")?,
            follow_up: flag("follow_up")?,
            contact_me: flag("contact_me")?,
            verified: flag("verified")?,
            tags: parse_tags(&cell("tags"))
                .map_err(|error| anyhow::anyhow!("CSV row {row}: tags: {error}"))?,
            created_at: optional("created_at").unwrap_or_else(|| now.clone()),
            updated_at: optional("updated_at").unwrap_or(now),
            photo: None,
            video: None,
            captions: None,
        });
    }
    Ok(items)
}

/// A timed transcript needs the video it times, and must fit its length.
fn check_captions(item: &ExportedTestimonial, carried: &CarriedMedia) -> Result<(), String> {
    match (&item.captions, carried.video_duration_ms()) {
        (None, _) => Ok(()),
        (Some(_), None) => Err("captions need a video".into()),
        (Some(lines), Some(duration_ms)) => {
            captions::parse(lines, duration_ms).map(|_| ()).map_err(|problem| format!("captions: {problem}"))
        }
    }
}

/// Checks one exported testimonial by the rules of a new submission; errors name the field.
fn validate(site: &Site, item: &ExportedTestimonial) -> Result<ImportedTestimonial, String> {
    let field = |name: &str, error: &dyn std::fmt::Display| format!("{name} {error}");
    let id_ok =
        !item.id.is_empty() && item.id.len() <= 64 && item.id.chars().all(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        return Err("id must be 1–64 letters and digits".into());
    }
    let status = Status::parse(&item.status)
        .ok_or_else(|| "status must be pending, approved, rejected, spam or withdrawn".to_owned())?;
    let mut errors = FieldErrors::new();
    let content = TestimonialContent::check(
        &mut errors,
        &item.name,
        item.role.as_deref(),
        item.company.as_deref(),
        Ok(item.rating),
        &item.text,
    );
    let email = errors.take("email", Email::parse(&item.email));
    let (Some(content), Some(email)) = (content, email) else {
        let refused: Vec<String> = errors.iter().map(|(name, error)| field(name, error)).collect();
        return Err(refused.join(", "));
    };
    if !consent::may_be_stored_as(item.consent, status) {
        return Err("status approved needs consent: true".into());
    }
    let created_at = parse_rfc3339(&item.created_at).ok_or("created_at must be an RFC 3339 time")?;
    let updated_at = parse_rfc3339(&item.updated_at).ok_or("updated_at must be an RFC 3339 time")?;
    let tags = parse_tags(&item.tags.join(",")).map_err(|e| field("tags", &e))?;
    // Manage links are not exported; imported authors get none that works (the new token is
    // dropped). The consent record is the one exported, not this site's current wording.
    let (record, _manage_token) = new_record(
        site,
        Draft { content: TestimonialEdit::from(content), email: email.into_inner(), consent: item.consent },
    );
    Ok(ImportedTestimonial {
        record: NewTestimonialRecord {
            id: item.id.clone(),
            consent_text: item.consent_text.clone(),
            consent_version: item.consent_version,
            referral_code: item.referral_code.clone(),
            page_url: item.page_url.clone(),
            follow_up: item.follow_up,
            contact_me: item.contact_me,
            status,
            verified: item.verified,
            tags,
            captions: item.captions.clone(),
            created_at,
            ..record
        },
        reply: item.reply.clone(),
        featured: item.featured,
        updated_at,
    })
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Stored in the site, `with_new_ids` of them included.
    pub imported: usize,
    /// Stored under an id of their own because another site holds the exported one (ids are
    /// global: an export imported into a second site, or restored beside the first).
    pub with_new_ids: usize,
    /// Already stored in this site (under the exported id, or the one a previous import into
    /// this site gave it); left as they are.
    pub skipped: usize,
}

/// The id an item gets in `site` when another site holds its exported id: derived from both,
/// so importing the same file into the same site again finds it and stays idempotent.
fn id_in_site(site: &Site, exported_id: &str) -> String {
    secrets::derived_id(&format!("fanfare import\n{}\n{exported_id}", site.slug))
}

/// The items of an export (JSON) or a CSV with a header row.
fn read_items(content: &str) -> anyhow::Result<Vec<ExportedTestimonial>> {
    let items = if content.trim_start().starts_with('{') {
        let export: Export = serde_json::from_str(content).context("reading the JSON export")?;
        if export.format != FORMAT_NAME {
            bail!("format {:?} is not a Fanfare export", export.format);
        }
        export.testimonials
    } else {
        from_csv(content)?
    };
    Ok(items)
}

impl Service {
    /// Reads an export (JSON) or a CSV with a header row into the site. Every item is checked
    /// before anything is stored, so a bad file changes nothing. Items whose id another site
    /// holds are stored under new ids; importing the same file again stores nothing twice.
    ///
    /// Photos and videos an export names are read from files relative to `media_base` (the
    /// export's folder) and checked like uploads; without one, an item with media is refused.
    /// `progress` hears of both passes, checking and storing.
    pub async fn import(
        &self,
        site: &Site,
        content: &str,
        media_base: Option<&Path>,
        progress: &dyn Progress,
    ) -> anyhow::Result<ImportReport> {
        let items = read_items(content)?;
        let mut valid = Vec::with_capacity(items.len());
        progress.start("checking", items.len() as u64);
        for (index, item) in items.iter().enumerate() {
            let refused = |error: String| anyhow::anyhow!("testimonial {} ({}): {error}", index + 1, item.id);
            let checked = validate(site, item).map_err(refused)?;
            // Checked now and read again when stored: a hundred videos are never all in memory.
            let carried =
                read_carried(media_base, item.photo.as_ref(), item.video.as_ref()).await.map_err(refused)?;
            check_captions(item, &carried).map_err(refused)?;
            valid.push((checked, !carried.is_empty(), item));
            progress.advance(1);
        }
        let mut report = ImportReport::default();
        progress.start("importing", valid.len() as u64);
        for (mut item, has_media, exported) in valid {
            progress.advance(1);
            let mut kept = Vec::new();
            if has_media {
                let carried = read_carried(media_base, exported.photo.as_ref(), exported.video.as_ref())
                    .await
                    .map_err(|error| {
                        anyhow::anyhow!("testimonial {}: {error} (changed during the import?)", exported.id)
                    })?;
                let (photo_id, video_id, records) = self.keep_carried(site, carried).await?;
                item.record.photo_id = photo_id;
                item.record.video_id = video_id;
                kept = records;
            }
            let mut outcome = self.storage.import_testimonial(item.clone()).await?;
            let mut renamed = false;
            if outcome == ImportOutcome::TakenElsewhere {
                let exported_id = std::mem::take(&mut item.record.id);
                item.record.id = id_in_site(site, &exported_id);
                outcome = self.storage.import_testimonial(item).await?;
                renamed = true;
                if outcome == ImportOutcome::TakenElsewhere {
                    self.remove_media(&kept).await;
                    // 16 symbols of a SHA-256: only a deliberately crafted id gets here.
                    bail!("testimonial {exported_id}: its id and the new id derived from it are both taken");
                }
            }
            match outcome {
                ImportOutcome::Stored => {
                    report.imported += 1;
                    report.with_new_ids += usize::from(renamed);
                }
                ImportOutcome::AlreadyHere | ImportOutcome::TakenElsewhere => {
                    // Already here with its own media: these copies are not needed.
                    self.remove_media(&kept).await;
                    report.skipped += 1;
                }
            }
        }
        if report.imported > 0 {
            self.published_changed(site.id).await;
        }
        Ok(report)
    }

    /// Removes everything the address wrote on the site (testimonials, their photos and videos,
    /// referral rows),
    /// and notes in the audit log that an erasure happened (without the address: that would
    /// defeat it).
    pub async fn erase(&self, site: &Site, actor: Actor<'_>, email: &str) -> ServiceResult<u64> {
        let email = Email::parse(email).map_err(|error| ServiceError::field("email", error.to_string()))?;
        let media = self.storage.media_of_author(site.id, email.as_str()).await?;
        let removed = self.storage.erase_email(site.id, email.as_str()).await?;
        self.published_changed(site.id).await;
        // No longer used by any testimonial: if an object resists now, the sweep removes it.
        self.remove_media(&media).await;
        let detail = format!("{removed} testimonials of one email address");
        audit::site_change(&self.storage, site, actor, "erase", Some(detail)).await?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::export::render_whole;
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_restored() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx"] {
            let safe = spreadsheet_safe(formula);
            assert!(safe.starts_with('\''), "{formula}");
            assert_eq!(unescape_cell(&safe), formula);
        }
        assert_eq!(spreadsheet_safe("Lovely beans"), "Lovely beans");
        assert_eq!(unescape_cell("'quoted"), "'quoted");
    }

    #[test]
    fn csv_round_trips_what_export_wrote() {
        let item = ExportedTestimonial {
            id: "abc123".into(),
            status: "approved".into(),
            name: "=Ada".into(),
            email: "ada@example.com".into(),
            role: None,
            company: Some("Acme, Inc.".into()),
            rating: 5,
            text: "Line one\n\"quoted\" line two".into(),
            consent: true,
            consent_text: Some("I agree".into()),
            consent_version: Some(2),
            page_url: None,
            referral_code: None,
            reply: Some("Thanks!".into()),
            featured: true,
            follow_up: false,
            contact_me: false,
            verified: true,
            tags: vec!["beans".into(), "coffee".into()],
            created_at: "2026-11-24T10:00:00Z".into(),
            updated_at: "2026-11-24T11:00:00Z".into(),
            photo: None,
            video: None,
            captions: None,
        };
        let csv = render_whole("acme", ExportFormat::Csv, std::slice::from_ref(&item)).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("\"'=Ada\""), "{csv}");
        assert_eq!(from_csv(&csv).unwrap(), vec![item]);
    }
}
