//! A site's testimonials out, as JSON or CSV, in constant memory: read from storage a page at a
//! time (in created_at, id order) and written out as each page comes, so a site with a million
//! testimonials exports with the memory of one page. The dashboard streams it as the response
//! body, `fanfare export` to standard output or a file. One renderer writes every one of them,
//! and its bytes are exactly those of the whole document at once, which import reads.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};

use super::media_transfer::{ExportSummary, ExportedMedia};
use super::Service;
use crate::clock::{now_ms, rfc3339};
use crate::progress::Progress;
use crate::storage::{Cursor, DynStorage, Site, Testimonial};

pub const FORMAT_NAME: &str = "fanfare-export";

/// Testimonials read (and written out) at a time: the memory an export takes, whatever the
/// site's size.
pub const PAGE_SIZE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
}

/// The whole export document, as import reads it. Written a page at a time by [`Renderer`],
/// into exactly the bytes `serde_json::to_vec_pretty` makes of it (and a newline).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub site: String,
    pub exported_at: String,
    /// Last: the renderer writes the fields before it once, then the items as they come.
    pub testimonials: Vec<ExportedTestimonial>,
}

/// One testimonial as exported: everything but the author's manage-link secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedTestimonial {
    pub id: String,
    pub status: String,
    pub name: String,
    pub email: String,
    pub role: Option<String>,
    pub company: Option<String>,
    pub rating: i64,
    pub text: String,
    pub consent: bool,
    pub consent_text: Option<String>,
    pub consent_version: Option<i64>,
    pub page_url: Option<String>,
    #[serde(rename = "ref")]
    pub referral_code: Option<String>,
    pub reply: Option<String>,
    pub featured: bool,
    pub follow_up: bool,
    pub contact_me: bool,
    /// Sent through an invitation link (a verified customer); absent in exports before it existed.
    #[serde(default)]
    pub verified: bool,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Its photo and video as files beside the JSON (`fanfare export --output`), and the
    /// video's timed transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<ExportedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<ExportedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<String>,
}

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 21] = [
    "id",
    "status",
    "name",
    "email",
    "role",
    "company",
    "rating",
    "text",
    "consent",
    "consent_text",
    "consent_version",
    "page_url",
    "ref",
    "reply",
    "featured",
    "follow_up",
    "contact_me",
    "verified",
    "tags",
    "created_at",
    "updated_at",
];

impl From<&Testimonial> for ExportedTestimonial {
    fn from(t: &Testimonial) -> Self {
        Self {
            id: t.id.clone(),
            status: t.status.as_str().to_owned(),
            name: t.name.clone(),
            email: t.email.clone(),
            role: t.role.clone(),
            company: t.company.clone(),
            rating: i64::from(t.rating),
            text: t.text.clone(),
            consent: t.consent,
            consent_text: t.consent_text.clone(),
            consent_version: t.consent_version,
            page_url: t.page_url.clone(),
            referral_code: t.referral_code.clone(),
            reply: t.reply.clone(),
            featured: t.featured,
            follow_up: t.follow_up,
            contact_me: t.contact_me,
            verified: t.verified,
            tags: t.tags.clone(),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            photo: None,
            video: None,
            captions: t.captions.clone(),
        }
    }
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe, so it shows as text.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '|', '%']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Writes an export document in pieces: [`Self::page`] for each page of items as it comes,
/// then [`Self::finish`]. Together the pieces are the bytes of the whole document at once.
struct Renderer {
    format: ExportFormat,
    site: String,
    exported_at: String,
    /// Items written so far: the first JSON item has no comma before it, and the document's
    /// start goes out with the first piece.
    written: usize,
    started: bool,
}

impl Renderer {
    /// The export of the site `slug`, as of now.
    fn new(slug: &str, format: ExportFormat) -> Self {
        Self { format, site: slug.to_owned(), exported_at: rfc3339(now_ms()), written: 0, started: false }
    }

    /// The next items' bytes, after the document's start the first time.
    fn page(&mut self, items: &[ExportedTestimonial]) -> anyhow::Result<Vec<u8>> {
        let mut out = self.start()?;
        match self.format {
            ExportFormat::Json => {
                for item in items {
                    if self.written > 0 {
                        out.push(b',');
                    }
                    // An item's own pretty form, moved in to where it stands in the array. JSON
                    // strings escape their line breaks, so every '\n' here is the layout's.
                    let item = serde_json::to_string_pretty(item).context("writing JSON")?;
                    out.extend_from_slice(b"\n    ");
                    out.extend_from_slice(item.replace('\n', "\n    ").as_bytes());
                    self.written += 1;
                }
            }
            ExportFormat::Csv => {
                out.extend(csv_rows(items.iter().map(csv_row))?);
                self.written += items.len();
            }
        }
        Ok(out)
    }

    /// The document's end (with its start, when no item came).
    fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        let mut out = self.start()?;
        if self.format == ExportFormat::Json {
            out.extend_from_slice(if self.written == 0 { b"]\n}\n" } else { b"\n  ]\n}\n" });
        }
        Ok(out)
    }

    /// The document's start, once; nothing after that.
    fn start(&mut self) -> anyhow::Result<Vec<u8>> {
        if std::mem::replace(&mut self.started, true) {
            return Ok(Vec::new());
        }
        match self.format {
            ExportFormat::Json => {
                // The document with no items, up to its array's opening bracket: the fields
                // before `testimonials` written by serde itself, as they are when read back.
                let empty = Export {
                    format: FORMAT_NAME.to_owned(),
                    version: 1,
                    site: self.site.clone(),
                    exported_at: self.exported_at.clone(),
                    testimonials: Vec::new(),
                };
                let empty = serde_json::to_string_pretty(&empty).context("writing JSON")?;
                let head = empty.strip_suffix("]\n}").context("testimonials ends the export document")?;
                Ok(head.as_bytes().to_vec())
            }
            ExportFormat::Csv => csv_rows(std::iter::once(CSV_COLUMNS.map(str::to_owned))),
        }
    }
}

/// The CSV cells of one item, in [`CSV_COLUMNS`] order.
fn csv_row(t: &ExportedTestimonial) -> [String; 21] {
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    [
        t.id.clone(),
        t.status.clone(),
        t.name.clone(),
        t.email.clone(),
        optional(&t.role),
        optional(&t.company),
        t.rating.to_string(),
        t.text.clone(),
        t.consent.to_string(),
        optional(&t.consent_text),
        t.consent_version.map(|v| v.to_string()).unwrap_or_default(),
        optional(&t.page_url),
        optional(&t.referral_code),
        optional(&t.reply),
        t.featured.to_string(),
        t.follow_up.to_string(),
        t.contact_me.to_string(),
        t.verified.to_string(),
        t.tags.join(", "),
        t.created_at.clone(),
        t.updated_at.clone(),
    ]
}

/// CSV lines, every cell quoted and defused. Each line stands alone (always quoted, no state
/// between records), so lines written a page at a time are the lines of the whole file.
fn csv_rows(rows: impl Iterator<Item = [String; 21]>) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
    for row in rows {
        writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell))).context("writing CSV")?;
    }
    writer.into_inner().context("finishing the CSV")
}

/// The whole document of `items` at once, as one piece.
#[cfg(test)]
pub(super) fn render_whole(
    slug: &str,
    format: ExportFormat,
    items: &[ExportedTestimonial],
) -> anyhow::Result<Vec<u8>> {
    let mut renderer = Renderer::new(slug, format);
    let mut bytes = renderer.page(items)?;
    bytes.extend(renderer.finish()?);
    Ok(bytes)
}

/// A site's testimonials in export order, a page at a time, each page after the last row of
/// the one before.
struct Pages {
    site_id: i64,
    size: u32,
    after: Option<Cursor>,
    done: bool,
}

impl Pages {
    fn new(site_id: i64, size: u32) -> Self {
        Self { site_id, size, after: None, done: false }
    }

    /// The next page; `None` once every testimonial was read.
    async fn next(&mut self, storage: &DynStorage) -> anyhow::Result<Option<Vec<Testimonial>>> {
        if self.done {
            return Ok(None);
        }
        let page = storage
            .export_page(self.site_id, self.after.as_ref(), self.size)
            .await
            .context("reading the testimonials to export")?;
        // A short page is the last: no query to find the end.
        self.done = page.len() < self.size as usize;
        let Some(last) = page.last() else { return Ok(None) };
        self.after = Some(Cursor::after(last));
        Ok(Some(page))
    }
}

/// The state of a streamed export between two pages.
struct Streaming {
    service: Service,
    pages: Pages,
    /// `None` once the document's end went out.
    renderer: Option<Renderer>,
    progress: Arc<dyn Progress>,
    counted: bool,
}

impl Streaming {
    /// The next piece of the document: a page of items, or the end.
    async fn next(mut self) -> anyhow::Result<Option<(Bytes, Self)>> {
        let Some(renderer) = self.renderer.as_mut() else { return Ok(None) };
        if !std::mem::replace(&mut self.counted, true) {
            let counts = self.service.storage.status_counts(self.pages.site_id).await;
            let counts = counts.context("counting the testimonials to export")?;
            self.progress.start("exporting", counts.iter().map(|(_, n)| n).sum());
        }
        let mut bytes = Vec::new();
        if let Some(page) = self.pages.next(&self.service.storage).await? {
            let items: Vec<ExportedTestimonial> = page.iter().map(ExportedTestimonial::from).collect();
            bytes = renderer.page(&items)?;
            self.progress.advance(items.len() as u64);
        }
        if self.pages.done {
            if let Some(renderer) = self.renderer.take() {
                bytes.extend(renderer.finish()?);
            }
        }
        Ok(Some((Bytes::from(bytes), self)))
    }
}

impl Service {
    /// Every testimonial of the site in any status, with consent records, replies and tags, as
    /// a stream of pieces of the document: read a page at a time as the stream is polled, so
    /// a slow reader holds one page, never the site. An error ends the stream (a reader that
    /// has sent part of it already cannot take it back). Photos and videos are named only by
    /// [`Self::export_to`], which writes their files.
    pub fn export(
        &self,
        site: &Site,
        format: ExportFormat,
        progress: Arc<dyn Progress>,
    ) -> BoxStream<'static, anyhow::Result<Bytes>> {
        let streaming = Streaming {
            service: self.clone(),
            pages: Pages::new(site.id, PAGE_SIZE),
            renderer: Some(Renderer::new(&site.slug, format)),
            progress,
            counted: false,
        };
        Box::pin(futures_util::stream::try_unfold(streaming, Streaming::next))
    }

    /// Writes the site's export to `path` a page at a time; as JSON, with its photos and videos
    /// as files in a folder beside it (`NAME.media/`), which the JSON names. The file appears
    /// under its name only when complete: until then it is `NAME.partial`, removed on failure.
    pub async fn export_to(
        &self,
        site: &Site,
        format: ExportFormat,
        path: &Path,
        progress: &dyn Progress,
    ) -> anyhow::Result<ExportSummary> {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("export");
        let partial = path.with_file_name(format!("{name}.partial"));
        let written = self.write_export(site, format, path, &partial, progress).await;
        let summary = match written {
            Ok(summary) => summary,
            Err(error) => {
                let _ = std::fs::remove_file(&partial);
                return Err(error);
            }
        };
        std::fs::rename(&partial, path)
            .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
        Ok(summary)
    }

    async fn write_export(
        &self,
        site: &Site,
        format: ExportFormat,
        path: &Path,
        partial: &Path,
        progress: &dyn Progress,
    ) -> anyhow::Result<ExportSummary> {
        let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or("export");
        let folder = format!("{stem}.media");
        let dir = path.parent().unwrap_or(Path::new(".")).join(&folder);
        let file =
            std::fs::File::create(partial).with_context(|| format!("creating {}", partial.display()))?;
        let mut out = std::io::BufWriter::new(file);
        let mut write =
            |bytes: &[u8]| out.write_all(bytes).with_context(|| format!("writing {}", path.display()));
        let counts =
            self.storage.status_counts(site.id).await.context("counting the testimonials to export")?;
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        progress.start("exporting", total);
        let mut summary = ExportSummary::default();
        let mut renderer = Renderer::new(&site.slug, format);
        let mut pages = Pages::new(site.id, PAGE_SIZE);
        while let Some(page) = pages.next(&self.storage).await? {
            let mut items = Vec::with_capacity(page.len());
            for testimonial in &page {
                let mut item = ExportedTestimonial::from(testimonial);
                if format == ExportFormat::Json {
                    let (photo, video) = self.write_media(testimonial, &dir, &folder, &mut summary).await?;
                    item.photo = photo;
                    item.video = video;
                }
                items.push(item);
            }
            write(&renderer.page(&items)?)?;
            summary.testimonials += items.len();
            progress.advance(items.len() as u64);
        }
        write(&renderer.finish()?)?;
        out.into_inner()
            .map_err(|error| error.into_error())
            .and_then(|file| file.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        if summary.media_files > 0 {
            summary.media_dir = Some(dir);
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests;
