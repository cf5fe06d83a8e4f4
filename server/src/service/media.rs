//! The media store's objects as the product sees them: an object is written before its record,
//! so a record always has its bytes; published media are served to anyone, the rest only to the
//! site's moderators; a withdrawn or erased testimonial's media are deleted with it, and uploads
//! no testimonial used are swept after a day.

use std::ops::Range;

use bytes::Bytes;

use super::{Service, ServiceError, ServiceResult};
use crate::secrets;
use crate::storage::media::{keys, ByteStream, MediaStore};
use crate::storage::{DynStorage, MediaKind, MediaRecord, Photo, PublishedMedia, Site, MEDIA_OWNER};

/// Held while a whole video is in memory (see [`Service::video_slot`]).
pub struct VideoSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Uploads wait this long for their testimonial, then go.
pub const UNUSED_MEDIA_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// How many abandoned uploads one sweep removes (the next sweep takes the rest).
const SWEEP_BATCH: u32 = 500;

/// Checks that `media` is this database's media store: at the first start both get one id. A
/// store that belongs to another database, or an empty one while this database records media
/// kept elsewhere (a command run without the server's `--media-url`), is refused before anything
/// is read or written, so that an erasure never "succeeds" on the wrong store.
pub(super) async fn check_media_owner(storage: &DynStorage, media: &MediaStore) -> anyhow::Result<()> {
    let fresh = secrets::bearer_token("ffmedia");
    let ours = storage.server_key(MEDIA_OWNER, &fresh).await?;
    match media.get(keys::OWNER).await? {
        Some(theirs) if theirs == ours.as_bytes() => Ok(()),
        Some(_) => anyhow::bail!(
            "the media store {} holds another database's photos and videos; give this database's own \
             --media-url (FANFARE_MEDIA_URL)",
            media.location()
        ),
        None if ours != fresh && storage.holds_media().await? => anyhow::bail!(
            "this database's photos and videos are not in the media store {}: give the --media-url \
             (FANFARE_MEDIA_URL) the server uses; an empty store here would lose them",
            media.location()
        ),
        None => Ok(media.put(keys::OWNER, Bytes::from(ours.into_bytes())).await?),
    }
}

impl Service {
    /// The store media live in.
    pub fn media_store(&self) -> &MediaStore {
        &self.media
    }

    /// One of the two slots for holding a whole video in memory while it is read and checked
    /// (a 50 MB upload, or the parts put together): more wait, so memory stays bounded.
    pub async fn video_slot(&self) -> ServiceResult<VideoSlot> {
        let permit = self
            .video_work
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::internal("video work", "the work queue is closed"))?;
        Ok(VideoSlot { _permit: permit })
    }

    /// Writes an object, then its record. A record that cannot be written takes its object
    /// with it, so nothing is left that no record names.
    pub(crate) async fn keep_media(&self, record: &MediaRecord, bytes: Bytes) -> ServiceResult<()> {
        let key = record.key();
        self.media.put(&key, bytes).await?;
        if let Err(error) = self.storage.insert_media(record).await {
            self.delete_objects(&[key]).await;
            return Err(error.into());
        }
        Ok(())
    }

    /// A medium anyone may see: attached to a published testimonial. Looked up on every
    /// request, so a withdrawn or erased one is gone at once.
    pub async fn published_media(&self, id: &str, kind: MediaKind) -> ServiceResult<PublishedMedia> {
        self.storage
            .published_media(id)
            .await?
            .filter(|published| published.record.kind == kind)
            .ok_or(ServiceError::NotFound(kind.as_str()))
    }

    /// A finished medium of the site for its moderators, whatever its testimonial's status.
    pub async fn media_for_moderators(
        &self,
        site: &Site,
        id: &str,
        kind: MediaKind,
    ) -> ServiceResult<MediaRecord> {
        self.storage
            .media(site.id, id)
            .await?
            .filter(|record| record.kind == kind && record.ready)
            .ok_or(ServiceError::NotFound(kind.as_str()))
    }

    /// A medium's bytes, all or a range of them (already checked against its size), as they
    /// arrive from the store.
    pub async fn media_bytes(
        &self,
        record: &MediaRecord,
        range: Option<Range<u64>>,
    ) -> ServiceResult<ByteStream> {
        let key = record.key();
        self.media.read(&key, range).await?.ok_or_else(|| {
            ServiceError::internal(
                "a medium's object is missing",
                format!("{key} has a record but no object"),
            )
        })
    }

    /// A video's poster frame, if one was sent.
    pub async fn poster_bytes(&self, record: &MediaRecord) -> ServiceResult<Bytes> {
        if !record.poster {
            return Err(ServiceError::NotFound("poster"));
        }
        self.media
            .get(&keys::poster(record.site_id, &record.id))
            .await?
            .ok_or(ServiceError::NotFound("poster"))
    }

    /// Deletes media and their records. An object that cannot be deleted keeps its record, so
    /// the next sweep tries again; the failure is logged, not the caller's.
    pub(crate) async fn remove_media(&self, records: &[MediaRecord]) -> u64 {
        let mut removed = 0;
        for record in records {
            let mut keys = record.keys();
            match self.media.keys_under(&keys::parts(record.site_id, &record.id)).await {
                Ok(parts) => keys.extend(parts),
                Err(error) => {
                    // The record stays, so the next sweep finds its parts again.
                    tracing::error!(%error, medium = %record.id, "cannot list an upload's parts; the next sweep tries again");
                    continue;
                }
            }
            if !self.delete_objects(&keys).await {
                continue;
            }
            match self.storage.delete_media(&record.id).await {
                Ok(()) => removed += 1,
                Err(error) => tracing::error!(%error, medium = %record.id, "cannot delete a medium's record"),
            }
        }
        removed
    }

    /// Whether every object went (or was gone already).
    async fn delete_objects(&self, keys: &[String]) -> bool {
        let mut all = true;
        for key in keys {
            if let Err(error) = self.media.delete(key).await {
                tracing::error!(%error, %key, "cannot delete a media object; the next sweep tries again");
                all = false;
            }
        }
        all
    }

    /// Lets go of a testimonial's media and deletes them (its author withdrew it).
    pub(crate) async fn remove_testimonial_media(&self, site_id: i64, testimonial_id: &str) {
        match self.storage.detach_media(site_id, testimonial_id).await {
            Ok(records) => {
                self.remove_media(&records).await;
            }
            Err(error) => {
                tracing::error!(%error, testimonial = %testimonial_id, "cannot let go of its media")
            }
        }
    }

    /// Removes uploads that no testimonial used within a day of arriving (`now` is the
    /// caller's clock), with the parts of videos never finished.
    pub async fn remove_unused_media(&self, now: i64) -> ServiceResult<u64> {
        let unused = self.storage.unused_media(now - UNUSED_MEDIA_LIFETIME_MS, SWEEP_BATCH).await?;
        // Claimed first: a submission that attaches one of them now either wins (and it stays)
        // or finds it no longer ready.
        let mut claimed = Vec::with_capacity(unused.len());
        for record in unused {
            if self.storage.claim_unused_media(&record.id).await? {
                claimed.push(record);
            }
        }
        Ok(self.remove_media(&claimed).await)
    }

    /// Moves photos the first versions kept in the database into the media store, a few at a
    /// time: each is written to the store first, then recorded and removed from the database in
    /// one transaction, so an interrupted move loses nothing and simply goes on next time.
    pub async fn move_photos_out_of_database(&self) -> ServiceResult<u64> {
        let mut moved = 0;
        loop {
            let photos = self.storage.photos_in_database(50).await?;
            if photos.is_empty() {
                break;
            }
            for photo in photos {
                let record = moved_photo_record(&photo);
                self.media.put(&record.key(), Bytes::from(photo.data)).await?;
                self.storage.photo_moved(&record).await?;
                moved += 1;
            }
        }
        if moved > 0 {
            tracing::info!(moved, store = %self.media.location(), "moved photos out of the database into the media store");
        }
        Ok(moved)
    }
}

fn moved_photo_record(photo: &Photo) -> MediaRecord {
    MediaRecord {
        id: photo.id.clone(),
        site_id: photo.site_id,
        kind: MediaKind::Photo,
        ready: true,
        content_type: "image/jpeg".into(),
        byte_size: photo.data.len() as u64,
        width: photo.width,
        height: photo.height,
        duration_ms: None,
        codecs: None,
        poster: false,
        created_at: photo.created_at,
    }
}
