//! Video testimonials: an upload is read and checked before anything of it is kept (`probe`),
//! arrives whole or in parts that survive a slow network (`uploads`), and its transcript (the
//! testimonial's text) may be timed as captions (`captions`).

pub mod captions;
pub mod probe;
pub mod uploads;

use super::audit::{self, Actor};
use super::{Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::storage::{MediaKind, Site};

impl Service {
    /// A published video's timed transcript as WebVTT, for its `<track>`.
    pub async fn published_captions(&self, video_id: &str) -> ServiceResult<String> {
        let published = self.published_media(video_id, MediaKind::Video).await?;
        let lines = published.captions.ok_or(ServiceError::NotFound("captions"))?;
        let cues = captions::parse(&lines, published.record.duration_ms.unwrap_or(0))
            .map_err(|problem| ServiceError::internal("stored captions no longer read", problem))?;
        Ok(captions::webvtt(&cues))
    }

    /// A moderator times a video testimonial's transcript (`m:ss words`, one cue a line), or
    /// clears the timing with an empty text. The public list shows the change at once.
    pub async fn set_captions(
        &self,
        site: &Site,
        actor: Actor<'_>,
        testimonial_id: &str,
        lines: &str,
    ) -> ServiceResult<()> {
        let testimonial = self
            .storage
            .testimonial(site.id, testimonial_id)
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))?;
        let video_id = testimonial
            .video_id
            .as_deref()
            .ok_or_else(|| ServiceError::field("captions", "this testimonial has no video to caption"))?;
        let video = self.storage.media(site.id, video_id).await?.ok_or(ServiceError::NotFound("video"))?;
        let lines = lines.trim();
        let stored = if lines.is_empty() {
            None
        } else {
            captions::parse(lines, video.duration_ms.unwrap_or(0))
                .map_err(|problem| ServiceError::field("captions", problem))?;
            Some(lines)
        };
        if !self.storage.set_captions(site.id, testimonial_id, stored, now_ms()).await? {
            return Err(ServiceError::NotFound("testimonial"));
        }
        self.published_changed(site.id).await;
        let action = if stored.is_some() { "timed captions" } else { "cleared captions" };
        audit::record(&self.storage, site.id, actor, action, Some(testimonial_id), None).await
    }
}
