//! The audit log: who did what on a site. Operations write it; nobody else does.

use super::ServiceResult;
use crate::clock::now_ms;
use crate::domain::Role;
use crate::storage::{AuditEntry, DynStorage, Site, User};

/// The action of an entry whose detail is a webhook URL: such URLs often carry a secret (a
/// token in the path, or a per-hook host name), so only owners see that detail.
pub(super) const ACTION_ADD_WEBHOOK: &str = "add webhook";

/// What moderators see in place of a detail only owners may read.
pub const OWNERS_ONLY_DETAIL: &str = "(shown to owners only)";

/// The entries as `viewer` may see them: moderators get no webhook URLs.
pub(super) fn for_viewer(mut entries: Vec<AuditEntry>, viewer: Role) -> Vec<AuditEntry> {
    if viewer != Role::Owner {
        for entry in &mut entries {
            if entry.action == ACTION_ADD_WEBHOOK && entry.detail.is_some() {
                entry.detail = Some(OWNERS_ONLY_DETAIL.to_owned());
            }
        }
    }
    entries
}

/// Who acts, as the audit log names them.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A moderator or owner, in the dashboard or through the API.
    Member(&'a User),
    /// A moderator through a one-click link in an email.
    EmailLink(&'a User),
    /// The testimonial's own author, through their private manage link.
    Author,
    /// Someone with access to the server, through the `fanfare` command.
    CommandLine,
    /// The business's own system, with a site key (its label).
    SiteKey(&'a str),
    /// Stripe, through an event signed with the site's signing secret.
    Stripe,
}

impl Actor<'_> {
    /// How the audit log (and the server's log) names them.
    pub fn label(self) -> String {
        match self {
            Actor::Member(user) => user.email.clone(),
            Actor::EmailLink(user) => format!("{} (email link)", user.email),
            Actor::Author => "author".into(),
            Actor::CommandLine => "command line".into(),
            Actor::SiteKey(label) => format!("site key \"{label}\""),
            Actor::Stripe => "Stripe".into(),
        }
    }

    fn user_id(self) -> Option<i64> {
        match self {
            Actor::Member(user) | Actor::EmailLink(user) => Some(user.id),
            Actor::Author | Actor::CommandLine | Actor::SiteKey(_) | Actor::Stripe => None,
        }
    }
}

/// One entry: `action` on the site (or on its testimonial `testimonial_id`), with a detail.
pub(super) async fn record(
    storage: &DynStorage,
    site_id: i64,
    actor: Actor<'_>,
    action: &str,
    testimonial_id: Option<&str>,
    detail: Option<String>,
) -> ServiceResult<()> {
    storage
        .record_audit(AuditEntry {
            site_id,
            user_id: actor.user_id(),
            actor: actor.label(),
            action: action.to_owned(),
            testimonial_id: testimonial_id.map(str::to_owned),
            detail,
            created_at: now_ms(),
        })
        .await?;
    Ok(())
}

/// An entry about the site itself (settings, people, webhooks, referrals), not a testimonial.
pub(super) async fn site_change(
    storage: &DynStorage,
    site: &Site,
    actor: Actor<'_>,
    action: &str,
    detail: Option<String>,
) -> ServiceResult<()> {
    record(storage, site.id, actor, action, None, detail).await
}
