//! A video arrives whole (`POST …/uploads`, like a photo) or in parts: a phone on a slow
//! network sends 256 KiB at a time, retries a part that failed, and after a dropped connection
//! asks which parts the server holds and goes on from there. Parts wait in the media store
//! (every instance sees them); the finished file is read and checked (`probe`) before it is
//! kept, and a refused one leaves nothing behind. A poster frame (drawn by the browser) goes
//! through the photo pipeline.

use bytes::{Bytes, BytesMut};
use fanfare_protocol::api::{UploadProgress, VideoUploaded};

use super::probe::{self, ProbeError, VideoInfo, MAX_VIDEO_BYTES};
use crate::clock::now_ms;
use crate::secrets;
use crate::service::media::VideoSlot;
use crate::service::photos::process;
use crate::service::{Service, ServiceError, ServiceResult};
use crate::storage::media::keys;
use crate::storage::{MediaKind, MediaRecord, Site};

/// Every part but the last is this size: small enough to arrive within the server's 30 s
/// request deadline at 70 kbit/s (a phone on a poor connection).
pub const PART_BYTES: u64 = 256 * 1024;

impl Service {
    /// A whole video in one request: read, checked and kept for its testimonial (a day at most).
    /// The caller took a [`VideoSlot`] before reading the body.
    pub async fn upload_video(
        &self,
        site: &Site,
        _slot: VideoSlot,
        bytes: Bytes,
    ) -> ServiceResult<VideoUploaded> {
        let info = self.probe_video(bytes.clone()).await?;
        let record = ready_record(site, secrets::testimonial_id(), &info, bytes.len() as u64);
        self.keep_media(&record, bytes).await?;
        tracing::info!(site = %site.slug, video = %record.id, duration_ms = info.duration_ms, "video uploaded");
        Ok(uploaded(&record))
    }

    /// Starts a video sent in parts: `size` bytes in all.
    pub async fn begin_video_upload(&self, site: &Site, size: u64) -> ServiceResult<UploadProgress> {
        if size == 0 {
            return Err(ServiceError::field("video", ProbeError::Empty.to_string()));
        }
        if size > MAX_VIDEO_BYTES as u64 {
            return Err(ServiceError::field(
                "video",
                ProbeError::TooLarge { bytes: usize::try_from(size).unwrap_or(usize::MAX) }.to_string(),
            ));
        }
        let record = MediaRecord {
            id: secrets::testimonial_id(),
            site_id: site.id,
            kind: MediaKind::Video,
            ready: false,
            content_type: "video/webm".into(),
            byte_size: size,
            width: 0,
            height: 0,
            duration_ms: None,
            codecs: None,
            poster: false,
            created_at: now_ms(),
        };
        self.storage.insert_media(&record).await?;
        Ok(UploadProgress { id: record.id, size, part_bytes: PART_BYTES, received: Vec::new() })
    }

    /// Keeps one part (again, if it was sent before: the last one sent counts).
    pub async fn put_video_part(&self, site: &Site, id: &str, index: u32, bytes: Bytes) -> ServiceResult<()> {
        let upload = self.receiving(site, id).await?;
        let expected = part_length(upload.byte_size, index).ok_or_else(|| {
            ServiceError::field(
                "part",
                format!(
                    "part {index} is past the end: this upload has {} parts",
                    part_count(upload.byte_size)
                ),
            )
        })?;
        if bytes.len() as u64 != expected {
            return Err(ServiceError::field(
                "part",
                format!("part {index} must be {expected} bytes, not {}", bytes.len()),
            ));
        }
        self.media_store().put(&keys::part(site.id, id, index), bytes).await?;
        Ok(())
    }

    /// Where an upload in parts stands: the parts the server holds (all of them once it is
    /// finished: a client that lost the answer to `complete` then completes again).
    pub async fn video_upload_progress(&self, site: &Site, id: &str) -> ServiceResult<UploadProgress> {
        if let Some(finished) = self.finished_upload(site, id).await? {
            let received = (0..part_count(finished.byte_size)).collect();
            return Ok(UploadProgress {
                id: finished.id,
                size: finished.byte_size,
                part_bytes: PART_BYTES,
                received,
            });
        }
        let upload = self.receiving(site, id).await?;
        Ok(UploadProgress {
            id: upload.id.clone(),
            size: upload.byte_size,
            part_bytes: PART_BYTES,
            received: self.received_parts(&upload).await?,
        })
    }

    /// Puts the parts together, reads and checks the video, and keeps it. Refused, the upload
    /// is gone (its parts too): nothing of a refused video is kept.
    pub async fn finish_video_upload(&self, site: &Site, id: &str) -> ServiceResult<VideoUploaded> {
        // Finished already (the answer was lost on the way, and this is the retry): the same answer.
        if let Some(finished) = self.finished_upload(site, id).await? {
            return Ok(uploaded(&finished));
        }
        let upload = self.receiving(site, id).await?;
        let count = part_count(upload.byte_size);
        let received = self.received_parts(&upload).await?;
        let missing: Vec<String> =
            (0..count).filter(|index| !received.contains(index)).map(|index| index.to_string()).collect();
        if !missing.is_empty() {
            return Err(ServiceError::field(
                "video",
                format!("the upload is not complete: parts {} are missing", missing.join(", ")),
            ));
        }
        // One request puts it together; a second (a retry, a double click) is told so instead
        // of holding another 50 MB.
        let slot = self.video_slot().await?;
        if !self.storage.claim_media(site.id, id, "receiving", "assembling").await? {
            return Err(finishing());
        }
        // On a task of its own: a request cut off by its deadline (or a dropped connection) must
        // not leave the upload claimed half-way; the retry then finds it finished.
        let (service, site, id) = (self.clone(), site.clone(), id.to_owned());
        let assembly = tokio::spawn(async move {
            let finished = service.assemble(&site, &upload, count).await;
            drop(slot);
            if finished.is_err()
                && service.storage.claim_media(site.id, &id, "assembling", "receiving").await.is_err()
            {
                tracing::warn!(video = %id, "an upload stays claimed until the sweep");
            }
            finished
        });
        assembly.await.map_err(|error| ServiceError::internal("putting a video together failed", error))?
    }

    /// A video upload of the site that is finished and not yet used by a testimonial.
    async fn finished_upload(&self, site: &Site, id: &str) -> ServiceResult<Option<MediaRecord>> {
        let Some(record) = self.storage.media(site.id, id).await? else { return Ok(None) };
        let usable = record.ready
            && record.kind == MediaKind::Video
            && self.storage.unattached_media(site.id, id, MediaKind::Video).await?;
        Ok(usable.then_some(record))
    }

    /// The parts put together, checked and kept ([`Self::finish_video_upload`] holds the claim).
    async fn assemble(&self, site: &Site, upload: &MediaRecord, count: u32) -> ServiceResult<VideoUploaded> {
        let id = upload.id.as_str();
        let mut whole = BytesMut::with_capacity(usize::try_from(upload.byte_size).unwrap_or(0));
        for index in 0..count {
            let part = self.media_store().get(&keys::part(site.id, id, index)).await?.ok_or_else(|| {
                ServiceError::field("video", format!("part {index} went missing; send it again"))
            })?;
            whole.extend_from_slice(&part);
        }
        let whole = whole.freeze();
        let info = match self.probe_video(whole.clone()).await {
            Ok(info) => info,
            Err(refused) => {
                self.remove_media(std::slice::from_ref(upload)).await;
                return Err(refused);
            }
        };
        let record = ready_record(site, upload.id.clone(), &info, whole.len() as u64);
        let record = MediaRecord { created_at: upload.created_at, ..record };
        self.media_store().put(&record.key(), whole).await?;
        if !self.storage.finish_media(&record).await? {
            // Its record went meanwhile (swept after a day): so does the object.
            self.remove_media(std::slice::from_ref(&record)).await;
            return Err(ServiceError::NotFound("upload"));
        }
        // Read again: a poster may have arrived while the parts were put together.
        let record = self.storage.media(site.id, id).await?.unwrap_or(record);
        for index in 0..count {
            if let Err(error) = self.media_store().delete(&keys::part(site.id, id, index)).await {
                tracing::warn!(%error, video = %id, "a finished upload's part stays until the sweep");
            }
        }
        tracing::info!(site = %site.slug, video = %id, duration_ms = info.duration_ms, "video uploaded in parts");
        Ok(uploaded(&record))
    }

    /// The poster frame the browser drew from the video: through the photo pipeline (checked,
    /// stripped, re-encoded), kept beside the video until a testimonial uses it.
    pub async fn set_video_poster(&self, site: &Site, id: &str, bytes: Bytes) -> ServiceResult<()> {
        let video = self
            .storage
            .media(site.id, id)
            .await?
            .filter(|record| record.kind == MediaKind::Video)
            .ok_or(ServiceError::NotFound("video"))?;
        if video.ready && !self.storage.unattached_media(site.id, id, MediaKind::Video).await? {
            return Err(ServiceError::Conflict {
                code: "video_in_use",
                message: "This video belongs to a testimonial already; its poster cannot change.".into(),
            });
        }
        let permit = self
            .photo_work
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::internal("poster processing", "the photo work queue is closed"))?;
        let processed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process(&bytes)
        })
        .await
        .map_err(|error| ServiceError::internal("poster processing failed", error))?
        .map_err(|error| ServiceError::field("poster", error.to_string()))?;
        self.media_store().put(&keys::poster(site.id, id), processed.jpeg.into()).await?;
        self.storage.set_media_poster(site.id, id).await?;
        Ok(())
    }

    /// Refuses a second request for an upload being put together (or finished).
    async fn receiving(&self, site: &Site, id: &str) -> ServiceResult<MediaRecord> {
        let upload = self.storage.media(site.id, id).await?.ok_or(ServiceError::NotFound("upload"))?;
        if upload.ready || upload.kind != MediaKind::Video {
            return Err(finishing());
        }
        Ok(upload)
    }

    async fn received_parts(&self, upload: &MediaRecord) -> ServiceResult<Vec<u32>> {
        let keys = self.media_store().keys_under(&keys::parts(upload.site_id, &upload.id)).await?;
        let count = part_count(upload.byte_size);
        let mut received: Vec<u32> =
            keys.iter().filter_map(|key| keys::part_index(key)).filter(|index| *index < count).collect();
        received.sort_unstable();
        received.dedup();
        Ok(received)
    }

    /// Reads the container off the async runtime (it walks every frame); callers hold a
    /// [`VideoSlot`]. A refusal names the `video` field, except "not a video at all" (415).
    async fn probe_video(&self, bytes: Bytes) -> ServiceResult<VideoInfo> {
        tokio::task::spawn_blocking(move || probe::probe(&bytes))
            .await
            .map_err(|error| ServiceError::internal("video check failed", error))?
            .map_err(|refused| {
                if refused.is_unsupported_type() {
                    ServiceError::UnsupportedMedia(refused.to_string())
                } else {
                    ServiceError::field("video", refused.to_string())
                }
            })
    }
}

fn finishing() -> ServiceError {
    ServiceError::Conflict {
        code: "upload_finished",
        message: "This upload is being finished, or is finished already.".into(),
    }
}

fn part_count(size: u64) -> u32 {
    u32::try_from(size.div_ceil(PART_BYTES)).unwrap_or(u32::MAX)
}

/// How long part `index` of a `size`-byte upload is, if there is such a part.
fn part_length(size: u64, index: u32) -> Option<u64> {
    let start = u64::from(index) * PART_BYTES;
    (start < size).then(|| (size - start).min(PART_BYTES))
}

fn ready_record(site: &Site, id: String, info: &VideoInfo, size: u64) -> MediaRecord {
    let codecs = match &info.audio_codec {
        Some(audio) => format!("{},{audio}", info.video_codec),
        None => info.video_codec.clone(),
    };
    MediaRecord {
        id,
        site_id: site.id,
        kind: MediaKind::Video,
        ready: true,
        content_type: info.container.content_type().into(),
        byte_size: size,
        width: info.width,
        height: info.height,
        duration_ms: Some(info.duration_ms),
        codecs: Some(codecs),
        poster: false,
        created_at: now_ms(),
    }
}

fn uploaded(record: &MediaRecord) -> VideoUploaded {
    VideoUploaded {
        id: record.id.clone(),
        duration_ms: record.duration_ms.unwrap_or(0),
        width: record.width,
        height: record.height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_one_mebibyte_but_the_last() {
        assert_eq!(part_count(1), 1);
        assert_eq!(part_count(PART_BYTES), 1);
        assert_eq!(part_count(PART_BYTES + 1), 2);
        assert_eq!(part_length(PART_BYTES + 1, 0), Some(PART_BYTES));
        assert_eq!(part_length(PART_BYTES + 1, 1), Some(1));
        assert_eq!(part_length(PART_BYTES + 1, 2), None);
    }
}
