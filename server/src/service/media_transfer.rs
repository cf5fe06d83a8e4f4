//! Photos and videos in exports: `fanfare export --output acme.json` writes each medium as a
//! file in a folder beside the JSON (`acme.media/`), which the JSON names by relative path;
//! `fanfare import acme.json` reads them back from there. What comes back in is checked like an
//! upload (a photo re-encoded, a video read from its container) before anything is stored.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::photos::{process, Processed};
use super::videos::probe::{self, VideoInfo};
use super::Service;
use crate::clock::now_ms;
use crate::secrets;
use crate::storage::media::keys;
use crate::storage::{MediaKind, MediaRecord, Site, Testimonial};

/// A photo or a video an export carries, as files beside the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedMedia {
    /// The file, relative to the JSON's folder.
    pub file: String,
    /// A video's poster frame, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub testimonials: usize,
    pub media_files: usize,
    /// The folder beside the JSON, when there were media to write.
    pub media_dir: Option<PathBuf>,
}

/// An item's media, read and checked, waiting to be stored with it.
#[derive(Default)]
pub(super) struct CarriedMedia {
    photo: Option<Processed>,
    video: Option<(Bytes, VideoInfo, Option<Processed>)>,
}

impl CarriedMedia {
    pub(super) fn is_empty(&self) -> bool {
        self.photo.is_none() && self.video.is_none()
    }

    pub(super) fn video_duration_ms(&self) -> Option<u64> {
        self.video.as_ref().map(|(_, info, _)| info.duration_ms)
    }
}

/// Reads and checks the files an exported item names, relative to `base` (the JSON's folder);
/// without one (an export pasted into the dashboard) an item with media is refused. The error
/// names the file and what is wrong with it.
pub(super) async fn read_carried(
    base: Option<&Path>,
    photo: Option<&ExportedMedia>,
    video: Option<&ExportedMedia>,
) -> Result<CarriedMedia, String> {
    if photo.is_none() && video.is_none() {
        return Ok(CarriedMedia::default());
    }
    let Some(base) = base else {
        return Err(
            "its photo or video is a file beside the export: import the export file with `fanfare import`"
                .into(),
        );
    };
    let read = |file: &str| -> Result<Vec<u8>, String> {
        let relative = Path::new(file);
        // Only files inside the export's own folder.
        if relative.is_absolute()
            || relative.components().any(|part| matches!(part, std::path::Component::ParentDir))
        {
            return Err(format!("{file} must be a path inside the export's folder"));
        }
        std::fs::read(base.join(relative)).map_err(|error| format!("{file}: {error}"))
    };
    let photo = photo.map(|photo| read(&photo.file).map(|bytes| (photo.file.clone(), bytes))).transpose()?;
    let video = match video {
        Some(video) => {
            let poster = video
                .poster
                .as_deref()
                .map(|poster| read(poster).map(|bytes| (poster.to_owned(), bytes)))
                .transpose()?;
            Some((video.file.clone(), read(&video.file)?, poster))
        }
        None => None,
    };
    tokio::task::spawn_blocking(move || {
        let photo = photo
            .map(|(file, bytes)| process(&bytes).map_err(|error| format!("{file}: {error}")))
            .transpose()?;
        let video = match video {
            Some((file, bytes, poster)) => {
                let info = probe::probe(&bytes).map_err(|error| format!("{file}: {error}"))?;
                let poster = poster
                    .map(|(file, bytes)| process(&bytes).map_err(|error| format!("{file}: {error}")))
                    .transpose()?;
                Some((Bytes::from(bytes), info, poster))
            }
            None => None,
        };
        Ok(CarriedMedia { photo, video })
    })
    .await
    .map_err(|error| format!("checking its media failed: {error}"))?
}

impl Service {
    /// Writes a testimonial's photo and video (and poster) as files in `dir` (the folder named
    /// `folder` beside the export), counting them; returns how the export names them.
    pub(super) async fn write_media(
        &self,
        testimonial: &Testimonial,
        dir: &Path,
        folder: &str,
        summary: &mut ExportSummary,
    ) -> anyhow::Result<(Option<ExportedMedia>, Option<ExportedMedia>)> {
        let mut write = |name: String, bytes: Bytes| -> anyhow::Result<String> {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let file = dir.join(&name);
            std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            summary.media_files += 1;
            Ok(format!("{folder}/{name}"))
        };
        let mut found = Vec::new();
        for id in [&testimonial.photo_id, &testimonial.video_id].into_iter().flatten() {
            let record = self.storage.media(testimonial.site_id, id).await?;
            found.push(record.filter(|record| record.ready));
        }
        let mut photo = None;
        let mut video = None;
        for record in found.into_iter().flatten() {
            let key = record.key();
            let name = key.rsplit('/').next().unwrap_or(&record.id).to_owned();
            let bytes = self
                .media
                .get(&key)
                .await?
                .with_context(|| format!("{key} is missing from the media store"))?;
            let file = write(name, bytes)?;
            match record.kind {
                MediaKind::Photo => photo = Some(ExportedMedia { file, poster: None }),
                MediaKind::Video => {
                    let poster = match self.media.get(&keys::poster(record.site_id, &record.id)).await? {
                        Some(bytes) if record.poster => {
                            Some(write(format!("{}.poster.jpg", record.id), bytes)?)
                        }
                        _ => None,
                    };
                    video = Some(ExportedMedia { file, poster });
                }
            }
        }
        Ok((photo, video))
    }

    /// Stores an imported item's media under fresh ids; returns the photo's and the video's id
    /// and the records (removed again if the item itself is not stored).
    pub(super) async fn keep_carried(
        &self,
        site: &Site,
        carried: CarriedMedia,
    ) -> anyhow::Result<(Option<String>, Option<String>, Vec<MediaRecord>)> {
        let mut kept = Vec::new();
        let base = |kind: MediaKind, content_type: &str, size: usize, width: u32, height: u32| MediaRecord {
            id: secrets::testimonial_id(),
            site_id: site.id,
            kind,
            ready: true,
            content_type: content_type.into(),
            byte_size: size as u64,
            width,
            height,
            duration_ms: None,
            codecs: None,
            poster: false,
            created_at: now_ms(),
        };
        let mut photo_id = None;
        if let Some(photo) = carried.photo {
            let record = base(MediaKind::Photo, "image/jpeg", photo.jpeg.len(), photo.width, photo.height);
            self.keep_media(&record, photo.jpeg.into()).await?;
            photo_id = Some(record.id.clone());
            kept.push(record);
        }
        let mut video_id = None;
        if let Some((bytes, info, poster)) = carried.video {
            let mut record =
                base(MediaKind::Video, info.container.content_type(), bytes.len(), info.width, info.height);
            record.duration_ms = Some(info.duration_ms);
            record.codecs = Some(match &info.audio_codec {
                Some(audio) => format!("{},{audio}", info.video_codec),
                None => info.video_codec.clone(),
            });
            self.keep_media(&record, bytes).await?;
            video_id = Some(record.id.clone());
            if let Some(poster) = poster {
                self.media.put(&keys::poster(site.id, &record.id), poster.jpeg.into()).await?;
                self.storage.set_media_poster(site.id, &record.id).await?;
                record.poster = true;
            }
            kept.push(record);
        }
        Ok((photo_id, video_id, kept))
    }
}
