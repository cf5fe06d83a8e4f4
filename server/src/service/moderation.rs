//! What a moderator can do to a testimonial. The bearer API, the dashboard and one-click email
//! links all come through here, so every path enforces the same rules and leaves the same
//! audit entry and notifications.

use fanfare_protocol::api::Status;

use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{AuditEntry, Moderated, Site, Testimonial, TestimonialEdit, User};

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

/// Who acts, as the audit log records it.
pub struct Actor<'a> {
    pub user: &'a User,
    /// How they acted when it was not the dashboard or the API, e.g. "email link".
    pub via: Option<&'static str>,
}

/// Applies `action` to the site's testimonial `id`. Another site's id is simply not found.
pub async fn apply(
    state: &AppState,
    site: &Site,
    actor: Actor<'_>,
    id: &str,
    action: Action,
) -> Result<Testimonial, AppError> {
    let storage = &state.storage;
    let now = now_ms();
    let done = match &action {
        Action::Decide(status) => match storage.moderate(site.id, id, *status, now).await? {
            Moderated::Done(testimonial) => Some(*testimonial),
            Moderated::NotFound => None,
            Moderated::NoConsent => {
                return Err(AppError::Conflict {
                    code: "consent_missing",
                    message: "The author did not consent to publication, so this testimonial cannot be \
                              approved."
                        .into(),
                })
            }
            Moderated::Withdrawn => {
                return Err(AppError::Conflict {
                    code: "withdrawn",
                    message: "The author withdrew this testimonial.".into(),
                })
            }
        },
        Action::Reply(reply) => storage.set_reply(site.id, id, reply.as_deref(), now).await?,
        Action::Feature(featured) => storage.set_featured(site.id, id, *featured, now).await?,
        Action::Tags(tags) => storage.set_tags(site.id, id, tags, now).await?,
        Action::Edit(edit) => storage.moderator_edit(site.id, id, edit.clone(), now).await?,
        Action::ResolveFollowUp(note) => storage.resolve_follow_up(site.id, id, note.as_deref(), now).await?,
    };
    let testimonial = done.ok_or(AppError::NotFound("testimonial"))?;
    state.public_cache.invalidate(site.id);
    crate::metrics::Metrics::add(&state.metrics.moderation_actions);
    let actor_label = match actor.via {
        Some(via) => format!("{} ({via})", actor.user.email),
        None => actor.user.email.clone(),
    };
    storage
        .record_audit(AuditEntry {
            site_id: site.id,
            user_id: Some(actor.user.id),
            actor: actor_label,
            action: action.name().to_owned(),
            testimonial_id: Some(testimonial.id.clone()),
            detail: action.detail(),
            created_at: now,
        })
        .await?;
    tracing::info!(site = %site.slug, testimonial = %id, action = action.name(), user = %actor.user.email, "moderated");
    if matches!(action, Action::Decide(Status::Approved)) {
        state.notify.approved(site, &testimonial).await;
    }
    Ok(testimonial)
}

/// Checks a correction by the same rules as a new submission, naming every refused field.
pub fn parse_edit(
    name: &str,
    role: &str,
    company: &str,
    rating: &str,
    text: &str,
) -> Result<TestimonialEdit, AppError> {
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
