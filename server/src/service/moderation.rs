//! What a moderator can do to a testimonial. The bearer API, the dashboard and one-click email
//! links all come through here, so every path enforces the same rules and leaves the same
//! audit entry and notifications.

use fanfare_protocol::api::Status;

use super::metrics::Metrics;
use super::notify::links::{EmailDecision, LinkError};
use super::{audit, consent, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::storage::{Moderated, Site, Testimonial, TestimonialEdit, User};

#[derive(Debug, Clone)]
pub enum Action {
    /// Approve, reject or mark as spam.
    Decide(Status),
    /// A public reply shown under the testimonial; `None` removes it.
    Reply(Option<String>),
    /// Featured items are pinned first on walls and carousels.
    Feature(bool),
    Tags(Vec<String>),
    Edit(TestimonialEdit),
    /// Closes a follow-up with a private note.
    ResolveFollowUp(Option<String>),
}

impl Action {
    /// The audit log's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Decide(Status::Approved) => "approve",
            Action::Decide(Status::Rejected) => "reject",
            Action::Decide(Status::Spam) => "spam",
            Action::Decide(_) => "set status",
            Action::Reply(Some(_)) => "reply",
            Action::Reply(None) => "remove reply",
            Action::Feature(true) => "feature",
            Action::Feature(false) => "unfeature",
            Action::Tags(_) => "tag",
            Action::Edit(_) => "edit",
            Action::ResolveFollowUp(_) => "resolve follow-up",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Action::Reply(Some(text)) => Some(text.chars().take(200).collect()),
            Action::Tags(tags) => Some(tags.join(", ")),
            Action::ResolveFollowUp(note) => note.clone(),
            _ => None,
        }
    }
}

impl Service {
    /// Applies `action` to the site's testimonial `id`. Another site's id is simply not found.
    pub async fn moderate(
        &self,
        site: &Site,
        actor: Actor<'_>,
        id: &str,
        action: Action,
    ) -> ServiceResult<Testimonial> {
        let storage = &self.storage;
        let now = now_ms();
        let done = match &action {
            Action::Decide(status) => match storage.moderate(site.id, id, *status, now).await? {
                Moderated::Done(testimonial) => Some(*testimonial),
                Moderated::NotFound => None,
                Moderated::NoConsent => return Err(consent::refusal()),
                Moderated::Withdrawn => return Err(consent::withdrawn()),
            },
            Action::Reply(reply) => storage.set_reply(site.id, id, reply.as_deref(), now).await?,
            Action::Feature(featured) => storage.set_featured(site.id, id, *featured, now).await?,
            Action::Tags(tags) => storage.set_tags(site.id, id, tags, now).await?,
            Action::Edit(edit) => storage.moderator_edit(site.id, id, edit.clone(), now).await?,
            Action::ResolveFollowUp(note) => {
                storage.resolve_follow_up(site.id, id, note.as_deref(), now).await?
            }
        };
        let testimonial = done.ok_or(ServiceError::NotFound("testimonial"))?;
        self.published_changed(site.id).await;
        Metrics::add(&self.metrics.moderation_actions);
        audit::record(storage, site.id, actor, action.name(), Some(&testimonial.id), action.detail()).await?;
        tracing::info!(site = %site.slug, testimonial = %id, action = action.name(), actor = %actor.label(), "moderated");
        if matches!(action, Action::Decide(Status::Approved)) {
            self.notify.approved(site, &testimonial).await;
        }
        Ok(testimonial)
    }

    /// What a one-click email link would decide, with everything it names; refused when the
    /// link is forged or expired, or its recipient no longer works on the site.
    pub async fn email_decision(&self, token: &str) -> ServiceResult<EmailLink> {
        let decision = self.notify.links.verify(token, now_ms()).map_err(|error| match error {
            LinkError::Invalid => ServiceError::NotFound("link"),
            LinkError::Expired => ServiceError::Conflict {
                code: "link_expired",
                message: "This link has expired; decide in the dashboard instead.".into(),
            },
        })?;
        let site =
            self.storage.site_by_slug(&decision.site_slug).await?.ok_or(ServiceError::NotFound("link"))?;
        // The recipient must still have a role on the site: removing a moderator disarms their
        // links. Turning notification email off does not: links already sent keep working.
        let user = self
            .storage
            .members(site.id)
            .await?
            .into_iter()
            .map(|(member, _role)| member)
            .find(|member| member.id == decision.user_id)
            .ok_or(ServiceError::NotFound("link"))?;
        let testimonial = self
            .storage
            .testimonial(site.id, &decision.testimonial_id)
            .await?
            .ok_or(ServiceError::NotFound("link"))?;
        Ok(EmailLink { decision, site, user, testimonial })
    }

    /// Carries out an email link's decision, once: the link's nonce is spent first. Returns the
    /// site and the testimonial as decided.
    pub async fn decide_by_email(&self, token: &str) -> ServiceResult<(Site, Testimonial)> {
        let link = self.email_decision(token).await?;
        if !self.storage.use_nonce(&link.decision.nonce, now_ms()).await? {
            return Err(ServiceError::Conflict {
                code: "link_used",
                message: "This link was already used.".into(),
            });
        }
        let action = Action::Decide(link.decision.status);
        let done = self
            .moderate(&link.site, Actor::EmailLink(&link.user), &link.decision.testimonial_id, action)
            .await?;
        Ok((link.site, done))
    }
}

/// A verified one-click link from a moderator's email.
pub struct EmailLink {
    pub decision: EmailDecision,
    pub site: Site,
    pub user: User,
    pub testimonial: Testimonial,
}

/// Checks a correction by the same rules as a new submission, naming every refused field.
pub fn parse_edit(
    name: &str,
    role: &str,
    company: &str,
    rating: &str,
    text: &str,
) -> ServiceResult<TestimonialEdit> {
    use fanfare_protocol::{FieldError, FieldErrors, TestimonialContent};

    let mut errors = FieldErrors::new();
    let rating = rating.trim().parse::<i64>().map_err(|_| FieldError::Required);
    match TestimonialContent::check(&mut errors, name, Some(role), Some(company), rating, text) {
        Some(content) if errors.is_empty() => Ok(TestimonialEdit::from(content)),
        _ => Err(errors.into()),
    }
}

impl From<fanfare_protocol::TestimonialContent> for TestimonialEdit {
    fn from(content: fanfare_protocol::TestimonialContent) -> Self {
        TestimonialEdit {
            name: content.name.into_inner(),
            role: content.role.map(|role| role.into_inner()),
            company: content.company.map(|company| company.into_inner()),
            rating: content.rating.stars(),
            text: content.text.into_inner(),
        }
    }
}
