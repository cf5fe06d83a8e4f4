//! A visitor's new testimonial, from the widget today and from any other front end tomorrow:
//! the honeypot, proof of work, validation, rate limits, the photo, the record, and everything
//! that follows from storing it (cache, metrics, notifications, referral credit).

use std::net::IpAddr;

use fanfare_protocol::api::{Status, TestimonialCreated};
use fanfare_protocol::SubmitTestimonial;
use sha2::{Digest, Sha256};

use super::invitations::InviteLink;
use super::limits::{self, client_key_of};
use super::metrics::Metrics;
use super::pow::{self, PowError};
use super::referrals::{Friend, Sale};
use super::testimonials::{new_record, Draft};
use super::videos::captions;
use super::{consent, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{email_key, truncate_ip};
use crate::secrets::{self, ClientSecret};
use crate::storage::{
    ConversionSource, IdempotencyClaim, IdempotentAnswer, MediaKind, NewTestimonialRecord, Site, Testimonial,
    TestimonialEdit,
};

/// How long a key's answer is kept for retries.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// A claim still unanswered after this long belongs to a request that was cut off (every
/// request ends within 30 s): a retry may take it over instead of being told, for a day, that
/// the first one is still running.
const ABANDONED_AFTER_MS: i64 = 2 * 60 * 1000;

/// What a submission got.
pub enum Submitted {
    /// Stored now (or, for the honeypot, seemingly).
    Created(TestimonialCreated),
    /// A retry with the same idempotency key: the first answer, as it was sent.
    Replayed { status: u16, body: String },
}

impl Service {
    /// Takes a visitor's testimonial. With an idempotency key (as sent, checked here), a retry of
    /// the same request gets the first answer and nothing is stored twice. Rate limited before
    /// anything is checked, so refused requests count too.
    pub async fn submit(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        submission: SubmitTestimonial,
        idempotency_key: Option<&[u8]>,
    ) -> ServiceResult<Submitted> {
        self.submit_form(site, ip, submission, None, idempotency_key).await
    }

    /// [`Self::submit`] for a form that carries its photo's bytes with it (the hosted collection
    /// page, which works without JavaScript). The photo goes through the upload pipeline only for
    /// a form that passed the rules, after its key was claimed: a replay answers without a new
    /// upload. A photo refused as a photo is a `photo` field error.
    pub async fn submit_with_photo(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        submission: SubmitTestimonial,
        photo: Option<bytes::Bytes>,
        idempotency_key: Option<&[u8]>,
    ) -> ServiceResult<Submitted> {
        self.submit_form(site, ip, submission, photo, idempotency_key).await
    }

    async fn submit_form(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        submission: SubmitTestimonial,
        photo: Option<bytes::Bytes>,
        idempotency_key: Option<&[u8]>,
    ) -> ServiceResult<Submitted> {
        let client = client_key_of(ip);
        self.admit(&[(limits::WRITES_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])?;
        let Some(key) = idempotency_key.map(parse_idempotency_key).transpose()? else {
            return self.create(site, ip, submission, photo).await.map(Submitted::Created);
        };
        // The key is a secret only the client holds: what is stored is derived from it, and the
        // answer (with the author's manage link) is sealed under it.
        let key = ClientSecret::new(&self.secret_key, key);
        let key_hash = key.lookup();
        let mut request = serde_json::to_string(&submission)
            .map_err(|error| ServiceError::internal("reading the request back", error))?;
        if let Some(bytes) = &photo {
            // The photo by what it is: a second send of the same form is the same request.
            request.push_str(&crate::secrets::hex(&Sha256::digest(bytes)));
        }
        let request_hash = key.digest(&request);
        let now = now_ms();
        match self
            .storage
            .claim_idempotency_key(
                site.id,
                &key_hash,
                &request_hash,
                now,
                now - IDEMPOTENCY_WINDOW_MS,
                now - ABANDONED_AFTER_MS,
            )
            .await?
        {
            IdempotencyClaim::New => {}
            IdempotencyClaim::Done { request_hash: first, .. }
            | IdempotencyClaim::InProgress { request_hash: first }
                if first != request_hash =>
            {
                return Err(ServiceError::field(
                    "Idempotency-Key",
                    "was already used for a different request",
                ));
            }
            IdempotencyClaim::Done { status, sealed_body, .. } => {
                // Found by this key's hash, so it was sealed under this key: failing to open
                // means the row was altered.
                let body = key.open(&sealed_body).ok_or_else(|| {
                    ServiceError::internal("opening a stored answer", "it does not open under its key")
                })?;
                return Ok(Submitted::Replayed { status, body });
            }
            IdempotencyClaim::InProgress { .. } => {
                return Err(ServiceError::Conflict {
                    code: "request_in_progress",
                    message:
                        "The first request with this Idempotency-Key is still being handled; retry shortly."
                            .into(),
                });
            }
        }
        match self.create(site, ip, submission, photo).await {
            Ok(created) => {
                // Stored: whatever happens to the key now, the author gets their answer (a
                // retry would otherwise store the testimonial twice).
                match serde_json::to_string(&created) {
                    Ok(body) => {
                        let answer = IdempotentAnswer {
                            status: 201,
                            sealed_body: &key.seal(&body),
                            testimonial_id: Some(&created.id),
                        };
                        if let Err(error) =
                            self.storage.complete_idempotency_key(site.id, &key_hash, answer).await
                        {
                            tracing::error!(%error, site = %site.slug, "cannot keep a submission's answer for its retries");
                        }
                    }
                    Err(error) => tracing::error!(%error, "cannot write a submission's answer"),
                }
                Ok(Submitted::Created(created))
            }
            Err(error) => {
                self.storage.release_idempotency_key(site.id, &key_hash).await?;
                Err(error)
            }
        }
    }

    /// Stores a new testimonial (or, for the honeypot, pretends to).
    async fn create(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        submission: SubmitTestimonial,
        photo: Option<bytes::Bytes>,
    ) -> ServiceResult<TestimonialCreated> {
        if submission.website.as_deref().is_some_and(|trap| !trap.trim().is_empty()) {
            // The honeypot: people never see this field, form-filling bots do. They get the
            // answer a person would, and nothing is stored.
            tracing::info!(site = %site.slug, "honeypot submission dropped");
            return Ok(TestimonialCreated {
                id: secrets::testimonial_id(),
                status: Status::Pending,
                manage_url: format!("{}/manage/{}", self.public_url, secrets::bearer_token("ffm")),
                verified: false,
            });
        }
        // The rules first: a refused form does not use up its solved puzzle.
        let accepted = submission.validate()?;
        let invited =
            site.proof_of_work > 0 && self.holds_usable_invitation(site, accepted.invite.as_deref()).await?;
        if site.proof_of_work > 0 && !invited {
            let solution = submission
                .pow
                .as_deref()
                .ok_or_else(|| ServiceError::field("pow", PowError::Missing.to_string()))?;
            let solved = pow::check(&self.notify.links, &site.slug, site.proof_of_work, solution, now_ms())
                .map_err(|error| ServiceError::field("pow", error.to_string()))?;
            if !self.storage.use_nonce(&solved.nonce, now_ms()).await? {
                return Err(ServiceError::field("pow", PowError::Replayed.to_string()));
            }
        }
        let per_email = format!("{}:{}", site.slug, email_key(accepted.email.as_str()));
        self.admit(&[(limits::SUBMISSIONS_PER_EMAIL, &per_email)])?;
        // The video before the photo: a form refused for its video leaves no photo behind.
        let video_id = accepted.video.map(|video| video.into_inner());
        let captions = self.checked_captions(site, video_id.as_deref(), accepted.captions.as_deref()).await?;
        let photo_id = match photo {
            // Sent with the form: through the upload pipeline, now that the form passed.
            Some(bytes) => Some(self.form_photo(site, ip, bytes).await?),
            None => {
                let photo_id = accepted.photo.map(|photo| photo.into_inner());
                if let Some(photo) = &photo_id {
                    if !self.storage.unattached_media(site.id, photo, MediaKind::Photo).await? {
                        return Err(ServiceError::field(
                            "photo",
                            "refers to no upload of this site (or one already used)",
                        ));
                    }
                }
                photo_id
            }
        };
        let rating = accepted.rating.stars();
        let referral = accepted.referral.map(|code| code.into_inner());
        let device = accepted.device.map(|device| device.into_inner());
        let (record, manage_token) = new_record(
            site,
            Draft {
                content: TestimonialEdit {
                    name: accepted.name.into_inner(),
                    role: accepted.role.map(|role| role.into_inner()),
                    company: accepted.company.map(|company| company.into_inner()),
                    rating,
                    text: accepted.text.into_inner(),
                },
                email: accepted.email.into_inner(),
                consent: accepted.consent,
            },
        );
        let mut record = NewTestimonialRecord {
            photo_id,
            video_id,
            captions,
            referral_code: referral.clone(),
            page_url: accepted.page_url.filter(|url| is_web_address(url)),
            ip_prefix: ip.map(truncate_ip),
            contact_me: accepted.contact_me,
            status: initial_status(site, accepted.consent, rating),
            ..record
        };
        // A valid, unused invitation link: a verified customer, with the invitation's tags.
        let invitation = match accepted.invite.as_deref() {
            Some(token) => self.answer_invitation(site, token, &record.id).await?,
            None => None,
        };
        if let Some(invitation) = &invitation {
            record.verified = true;
            record.tags = invitation.tags.clone();
        } else if invited {
            // The link stood in for the puzzle, and another request answered it meanwhile: this
            // one has neither.
            return Err(ServiceError::field("pow", PowError::Missing.to_string()));
        }
        // What is announced below, as stored (reading it back would cost a round trip).
        let testimonial = record.as_stored();
        let (id, status, verified) = (testimonial.id.clone(), testimonial.status, testimonial.verified);
        if let Err(error) = self.storage.insert_testimonial(record).await {
            if let Some(invitation) = &invitation {
                self.unanswer_invitation(invitation).await;
            }
            return Err(error.into());
        }
        // A pending testimonial changes nothing the public sees (lists and summaries count only
        // decided ones): no announcement, so a busy form costs the other instances nothing.
        if status != Status::Pending {
            self.published_changed(site.id).await;
        }
        Metrics::add(&self.metrics.testimonials_submitted);
        tracing::info!(site = %site.slug, testimonial = %id, %status, verified, "testimonial submitted");
        // Stored: what follows may fail without failing the author, who would send it again.
        self.notify.submitted(site, &testimonial).await;
        self.credit_referral(site, &testimonial, referral.as_deref(), device.as_deref()).await;
        Ok(TestimonialCreated {
            id,
            status,
            manage_url: format!("{}/manage/{manage_token}", self.public_url),
            verified,
        })
    }

    /// A submission's video (an upload of this site no testimonial uses yet) and its timed
    /// transcript, checked against the video's length.
    async fn checked_captions(
        &self,
        site: &Site,
        video: Option<&str>,
        captions: Option<&str>,
    ) -> ServiceResult<Option<String>> {
        let Some(video) = video else {
            return match captions {
                Some(_) => Err(ServiceError::field("captions", "captions need a video")),
                None => Ok(None),
            };
        };
        let unused = self.storage.unattached_media(site.id, video, MediaKind::Video).await?;
        let record = match self.storage.media(site.id, video).await? {
            Some(record) if unused => record,
            _ => {
                return Err(ServiceError::field(
                    "video",
                    "refers to no finished video upload of this site (or one already used)",
                ))
            }
        };
        let Some(captions) = captions else { return Ok(None) };
        captions::parse(captions, record.duration_ms.unwrap_or(0))
            .map_err(|problem| ServiceError::field("captions", problem))?;
        Ok(Some(captions.to_owned()))
    }

    /// The photo sent with a form, through the upload pipeline (its limits, decoding, re-encoding);
    /// refused as a photo, it is a `photo` field error.
    async fn form_photo(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        bytes: bytes::Bytes,
    ) -> ServiceResult<String> {
        self.admit_upload(site, ip)?;
        self.upload_photo(site, bytes).await.map_err(|error| match error {
            ServiceError::Invalid(_) | ServiceError::UnsupportedMedia(_) => {
                ServiceError::field("photo", error.to_string())
            }
            other => other,
        })
    }

    /// Whether `token` is an invitation link that would make this a verified customer's
    /// testimonial. Such a link is signed, personal and single use, so it stands in for the proof
    /// of work: an invited customer can send the hosted page's form without JavaScript. Only the
    /// request that then answers the invitation gets through on it (see [`Self::create`]).
    async fn holds_usable_invitation(&self, site: &Site, token: Option<&str>) -> ServiceResult<bool> {
        match token.map(str::trim).filter(|token| !token.is_empty()) {
            Some(token) => Ok(matches!(self.invitation_link(site, token).await?, InviteLink::Usable { .. })),
            None => Ok(false),
        }
    }

    /// A testimonial from a referred visitor is a conversion for their advocate. A code that
    /// matches nobody is simply not credited: the testimonial itself is what the visitor came for.
    async fn credit_referral(
        &self,
        site: &Site,
        testimonial: &Testimonial,
        code: Option<&str>,
        device: Option<&str>,
    ) {
        let Some(code) = code else { return };
        let friend =
            Friend { email: Some(&testimonial.email), ip_prefix: testimonial.ip_prefix.as_deref(), device };
        let external_id = format!("testimonial-{}", testimonial.id);
        let sale = Sale {
            external_id: &external_id,
            source: ConversionSource::Testimonial,
            value: None,
            payment_id: None,
        };
        match self.convert(site, code, sale, friend).await {
            Ok(_) | Err(ServiceError::NotFound(_)) => {}
            Err(error) => tracing::error!(%error, site = %site.slug, "cannot credit a referral"),
        }
    }
}

/// An idempotency key: 1–255 visible ASCII characters.
fn parse_idempotency_key(raw: &[u8]) -> ServiceResult<&str> {
    match std::str::from_utf8(raw) {
        Ok(key) if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(key)
        }
        _ => {
            Err(ServiceError::field("Idempotency-Key", "must be 1–255 visible ASCII characters, e.g. a UUID"))
        }
    }
}

/// An absolute http(s) address with a host, by a real URL parse; anything else is dropped.
pub fn is_web_address(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// Manual moderation by default; a site may publish consenting ratings of N stars or more at once.
fn initial_status(site: &Site, consent: bool, rating: u8) -> Status {
    match site.auto_approve_min_rating {
        Some(minimum) if consent::allows(consent, Status::Approved) && rating >= minimum => Status::Approved,
        _ => Status::Pending,
    }
}

impl Service {
    /// A fresh proof-of-work challenge for the site's form (signed, so the server keeps nothing).
    pub fn submission_challenge(&self, site: &Site) -> String {
        pow::challenge(&self.notify.links, &site.slug, now_ms())
    }
}
