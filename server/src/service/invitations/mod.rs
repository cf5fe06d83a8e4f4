//! Going to the customer: the business invites the people it just served (by API after a sale,
//! by a CSV file, from the dashboard), each gets one email with a personal link and at most one
//! reminder, and a testimonial sent through that link is from a verified customer.
//!
//! Links are signed, not stored: the invitation's id with an HMAC under the server's link key,
//! so the database holds no secret that would let anyone answer or unsubscribe for someone.

pub mod csv;
pub mod email;
pub mod sender;

use fanfare_protocol::fields::{Email, PersonName};
use fanfare_protocol::invitations::InviteCustomer;
use fanfare_protocol::languages::primary_subtag;

use super::audit::{self, Actor};
use super::{Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{email_key, parse_tags};
use crate::progress::{Progress, Silent};
use crate::secrets;
use crate::storage::{Cursor, Invitation, InvitationStatus, Invited, NewInvitation, Site};
use crate::texts::LANGUAGES;

/// An address is invited by a site at most once in this long.
pub const INVITE_AGAIN_AFTER_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// How long an invitation's link makes a testimonial verified, from its last email (so the
/// reminder's link lives as long as the first one's).
pub const LINK_LIFETIME_MS: i64 = 60 * 24 * 60 * 60 * 1000;

/// When the customer last heard from the site about this invitation.
fn last_contact(invitation: &Invitation) -> i64 {
    invitation.reminded_at.or(invitation.sent_at).unwrap_or(invitation.created_at)
}

/// Most invitations in one file or upload: a bigger list is split by whoever sends it.
pub const MAX_PER_BATCH: usize = 10_000;

/// Invitations listed per page.
pub const PAGE_SIZE: u32 = 50;

/// The tags of a text field a person typed (a CSV cell, a dashboard box): separated by commas,
/// spaces, semicolons or `|`; checked later with the other fields.
pub fn typed_tags(raw: &str) -> Vec<String> {
    raw.split([',', ' ', ';', '|']).filter(|tag| !tag.is_empty()).map(str::to_owned).collect()
}

/// An invitation that passed every rule, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedInvitation {
    pub email: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub order_id: Option<String>,
    pub lang: String,
}

impl CheckedInvitation {
    /// Applies every rule to one request; errors name each refused field.
    pub fn check(request: &InviteCustomer) -> ServiceResult<Self> {
        let mut refused = std::collections::BTreeMap::new();
        let email = match Email::parse(request.email.as_deref().unwrap_or("")) {
            Ok(email) => Some(email.into_inner()),
            Err(error) => {
                refused.insert("email".to_owned(), error.to_string());
                None
            }
        };
        let name = match request.name.as_deref().map(str::trim).filter(|name| !name.is_empty()) {
            None => None,
            Some(name) => match PersonName::parse(name) {
                Ok(name) => Some(name.into_inner()),
                Err(error) => {
                    refused.insert("name".to_owned(), error.to_string());
                    None
                }
            },
        };
        let tags = parse_tags(&request.tags.join(",")).unwrap_or_else(|error| {
            refused.insert("tags".to_owned(), error);
            Vec::new()
        });
        let order_id = request.order_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        if order_id.is_some_and(|id| id.chars().count() > 100 || id.chars().any(char::is_control)) {
            refused.insert("order_id".to_owned(), "must be at most 100 characters on one line".to_owned());
        }
        let lang = match request.lang.as_deref().map(str::trim).filter(|lang| !lang.is_empty()) {
            None => "en".to_owned(),
            Some(lang) if LANGUAGES.contains(&primary_subtag(lang).as_str()) && lang.len() <= 16 => {
                lang.to_owned()
            }
            Some(_) => {
                refused.insert("lang".to_owned(), format!("must be one of {}", LANGUAGES.join(", ")));
                String::new()
            }
        };
        match email {
            Some(email) if refused.is_empty() => {
                Ok(Self { email, name, tags, order_id: order_id.map(str::to_owned), lang })
            }
            _ => Err(ServiceError::Invalid(refused)),
        }
    }
}

/// What a batch of invitations did (or, on a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InviteReport {
    /// New invitations, queued to be sent.
    pub queued: Vec<Invitation>,
    /// Addresses invited within the last 30 days: their earlier invitation stands.
    pub already_invited: Vec<Invitation>,
    /// Addresses that unsubscribed from this site: stored as unsubscribed, never emailed.
    pub unsubscribed: Vec<Invitation>,
}

/// What an invitation link on the collection page stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteLink {
    /// Valid and unused: the form is prefilled and the testimonial will be verified.
    Usable { name: Option<String>, email: String, lang: String },
    /// Already answered.
    Used,
    /// Not a link this server made for this site, or too old.
    Unusable,
}

/// Whom an unsubscribe link is for: shown on the page that asks to confirm, in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeTarget {
    pub email: String,
    pub lang: String,
    /// Already on the site's suppression list.
    pub done: bool,
}

impl Service {
    /// Invites one customer: 201 for a new invitation, the existing one (200) when the address
    /// was invited within 30 days. The email goes out from the sender, not from this request.
    pub async fn invite(
        &self,
        site: &Site,
        actor: Actor<'_>,
        request: &InviteCustomer,
    ) -> ServiceResult<Invited> {
        let checked = CheckedInvitation::check(request)?;
        let mut report = self.invite_checked(site, actor, vec![checked], false, &Silent).await?;
        let invited = match (report.queued.pop(), report.already_invited.pop(), report.unsubscribed.pop()) {
            (Some(new), _, _) | (_, _, Some(new)) => Invited::Created(new),
            (None, Some(existing), None) => Invited::Existing(existing),
            (None, None, None) => return Err(ServiceError::internal("inviting", "no outcome")),
        };
        Ok(invited)
    }

    /// Stores checked invitations in one transaction (all or none); with `dry_run`, only says
    /// what would happen (which addresses are new, already invited or unsubscribed).
    /// `progress` hears of each address as it is checked against the site's earlier ones.
    pub async fn invite_checked(
        &self,
        site: &Site,
        actor: Actor<'_>,
        invitations: Vec<CheckedInvitation>,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> ServiceResult<InviteReport> {
        if invitations.len() > MAX_PER_BATCH {
            return Err(ServiceError::field(
                "invitations",
                format!("at most {MAX_PER_BATCH} at once; split the list"),
            ));
        }
        let now = now_ms();
        let new = invitations
            .into_iter()
            .map(|invitation| {
                let key = email_key(&invitation.email);
                NewInvitation {
                    id: secrets::testimonial_id(),
                    address_hash: self.address_hash(site, &key),
                    email: invitation.email,
                    email_key: key,
                    name: invitation.name,
                    tags: invitation.tags,
                    order_id: invitation.order_id,
                    lang: invitation.lang,
                }
            })
            .collect();
        // A dry run is the real run rolled back: it cannot disagree with what storing would do.
        let fresh_since = now - INVITE_AGAIN_AFTER_MS;
        let outcomes = self
            .storage
            .create_invitations_reporting(site.id, new, now, fresh_since, dry_run, progress)
            .await?;
        let mut report = InviteReport::default();
        for outcome in outcomes {
            match outcome {
                Invited::Existing(existing) => report.already_invited.push(existing),
                Invited::Created(new) if new.status == InvitationStatus::Unsubscribed => {
                    report.unsubscribed.push(new)
                }
                Invited::Created(new) => report.queued.push(new),
            }
        }
        if !dry_run && !report.queued.is_empty() {
            let detail = format!("{} queued", report.queued.len());
            audit::site_change(&self.storage, site, actor, "invite customers", Some(detail)).await?;
            self.invitations_wake.notify_one();
        }
        Ok(report)
    }

    /// The site's invitations, newest first, with the cursor of the next page.
    pub async fn invitations(
        &self,
        site: &Site,
        status: Option<InvitationStatus>,
        cursor: Option<&str>,
    ) -> ServiceResult<(Vec<Invitation>, Option<String>)> {
        let cursor = match cursor {
            None => None,
            Some(raw) => {
                Some(Cursor::decode(raw).ok_or_else(|| ServiceError::field("cursor", "is not valid"))?)
            }
        };
        let items = self.storage.invitations(site.id, status, cursor.as_ref(), PAGE_SIZE).await?;
        let next = (items.len() == PAGE_SIZE as usize)
            .then(|| {
                items.last().map(|last| Cursor { created_at: last.created_at, id: last.id.clone() }.encode())
            })
            .flatten();
        Ok((items, next))
    }

    /// How many invitations are in each state.
    pub async fn invitation_counts(&self, site: &Site) -> ServiceResult<Vec<(InvitationStatus, u64)>> {
        Ok(self.storage.invitation_counts(site.id).await?)
    }

    /// Sends every failed invitation of the site again (after the SMTP problem was fixed);
    /// how many.
    pub async fn resend_failed_invitations(&self, site: &Site, actor: Actor<'_>) -> ServiceResult<u64> {
        let requeued = self.storage.requeue_failed_invitations(site.id, now_ms()).await?;
        if requeued > 0 {
            let detail = format!("{requeued} failed invitations");
            audit::site_change(&self.storage, site, actor, "resend invitations", Some(detail)).await?;
            self.invitations_wake.notify_one();
        }
        Ok(requeued)
    }

    /// Sends a failed invitation again (after the SMTP problem was fixed).
    pub async fn resend_invitation(&self, site: &Site, actor: Actor<'_>, id: &str) -> ServiceResult<()> {
        if self.storage.invitation(site.id, id).await?.is_none() {
            return Err(ServiceError::NotFound("invitation"));
        }
        if !self.storage.requeue_invitation(site.id, id, now_ms()).await? {
            return Err(ServiceError::Conflict {
                code: "not_failed",
                message: "Only an invitation whose sending failed can be sent again: the others went out, were answered or unsubscribed.".into(),
            });
        }
        audit::site_change(&self.storage, site, actor, "resend invitation", Some(id.to_owned())).await?;
        self.invitations_wake.notify_one();
        Ok(())
    }

    /// The personal link of an invitation: `/c/{site}?invite=TOKEN`.
    pub fn invitation_url(&self, site: &Site, invitation: &Invitation) -> String {
        format!("{}/c/{}?invite={}", self.public_url, site.slug, self.invite_token(site, &invitation.id))
    }

    /// The one-click unsubscribe link of an invitation (RFC 8058).
    pub fn unsubscribe_url(&self, site: &Site, invitation: &Invitation) -> String {
        let token = self.signed_id("unsubscribe", site, &invitation.id);
        format!("{}/c/{}/unsubscribe/{token}", self.public_url, site.slug)
    }

    fn invite_token(&self, site: &Site, id: &str) -> String {
        self.signed_id("invite", site, id)
    }

    /// `ID.SIGNATURE`, the signature binding the purpose, the site and the id.
    fn signed_id(&self, purpose: &str, site: &Site, id: &str) -> String {
        format!("{id}.{}", self.notify.links.digest(&format!("{purpose}.{}.{id}", site.slug)))
    }

    /// The id a token [`Self::signed_id`] made for this purpose and site.
    fn id_of_signed<'t>(&self, purpose: &str, site: &Site, token: &'t str) -> Option<&'t str> {
        let (id, signature) = token.trim().split_once('.')?;
        let id_ok = !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric());
        let fields = format!("{purpose}.{}.{id}", site.slug);
        (id_ok
            && self.notify.links.verified_fields(&format!("{fields}.{signature}")) == Some(fields.as_str()))
        .then_some(id)
    }

    /// The suppression list's stand-in for an address: keyed, so the list reveals no address.
    pub(crate) fn address_hash(&self, site: &Site, email_key: &str) -> String {
        self.notify.links.digest(&format!("suppress.{}.{email_key}", site.id))
    }

    /// What an invitation link opens to on the collection page.
    pub async fn invitation_link(&self, site: &Site, token: &str) -> ServiceResult<InviteLink> {
        let Some(id) = self.id_of_signed("invite", site, token) else { return Ok(InviteLink::Unusable) };
        let Some(invitation) = self.storage.invitation(site.id, id).await? else {
            return Ok(InviteLink::Unusable);
        };
        Ok(if invitation.status == InvitationStatus::Responded {
            InviteLink::Used
        } else if last_contact(&invitation) + LINK_LIFETIME_MS < now_ms() {
            InviteLink::Unusable
        } else {
            InviteLink::Usable { name: invitation.name, email: invitation.email, lang: invitation.lang }
        })
    }

    /// Marks the invitation behind `token` answered by `testimonial_id`, if the token is valid
    /// and unused: the invitation as it was (its tags join the testimonial), or `None` and the
    /// submission is an ordinary one.
    pub(super) async fn answer_invitation(
        &self,
        site: &Site,
        token: &str,
        testimonial_id: &str,
    ) -> ServiceResult<Option<Invitation>> {
        let Some(id) = self.id_of_signed("invite", site, token) else { return Ok(None) };
        let now = now_ms();
        Ok(self
            .storage
            .respond_to_invitation(site.id, id, testimonial_id, now, now - LINK_LIFETIME_MS)
            .await?)
    }

    /// Gives the link back when the testimonial it was used for could not be stored.
    pub(super) async fn unanswer_invitation(&self, invitation: &Invitation) {
        if let Err(error) = self.storage.unrespond_invitation(&invitation.id, now_ms()).await {
            tracing::error!(%error, invitation = %invitation.id, "cannot give an invitation link back");
        }
    }

    /// Whom an unsubscribe link is for, without changing anything (the page that asks to
    /// confirm: mail scanners that open links must not unsubscribe anyone); `None` for a link
    /// that is not valid (forged, or its invitation is long gone).
    pub async fn unsubscribe_target(
        &self,
        site: &Site,
        token: &str,
    ) -> ServiceResult<Option<UnsubscribeTarget>> {
        let Some(id) = self.id_of_signed("unsubscribe", site, token) else { return Ok(None) };
        let Some(invitation) = self.storage.invitation(site.id, id).await? else { return Ok(None) };
        let done =
            self.storage.is_suppressed(site.id, &self.address_hash(site, &invitation.email_key)).await?;
        Ok(Some(UnsubscribeTarget { email: invitation.email, lang: invitation.lang, done }))
    }

    /// Puts the address behind an unsubscribe link on the site's suppression list: nothing more
    /// is sent to it by this site, whatever invitation it was on. Following it again changes
    /// nothing (`done` was already true).
    pub async fn unsubscribe(&self, site: &Site, token: &str) -> ServiceResult<UnsubscribeTarget> {
        let id = self.id_of_signed("unsubscribe", site, token).ok_or(ServiceError::NotFound("link"))?;
        let invitation = self.storage.invitation(site.id, id).await?.ok_or(ServiceError::NotFound("link"))?;
        let hash = self.address_hash(site, &invitation.email_key);
        let added = self.storage.suppress(site.id, &hash, &invitation.email_key, now_ms()).await?;
        if added {
            tracing::info!(site = %site.slug, invitation = %invitation.id, "address unsubscribed");
        }
        Ok(UnsubscribeTarget { email: invitation.email, lang: invitation.lang, done: !added })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(email: &str) -> InviteCustomer {
        InviteCustomer { email: Some(email.into()), ..InviteCustomer::default() }
    }

    #[test]
    fn a_plain_invitation_is_english_with_nothing_else() {
        let checked = CheckedInvitation::check(&request(" ada@example.com ")).unwrap();
        assert_eq!(checked.email, "ada@example.com");
        assert_eq!((checked.name, checked.lang.as_str()), (None, "en"));
    }

    #[test]
    fn every_refused_field_is_named() {
        let bad = InviteCustomer {
            email: Some("not an address".into()),
            name: Some("x".repeat(500)),
            tags: vec!["no spaces!".into()],
            order_id: Some("line\nbreak".into()),
            lang: Some("tlh".into()),
        };
        let Err(ServiceError::Invalid(fields)) = CheckedInvitation::check(&bad) else { panic!("refused") };
        let named: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(named, ["email", "lang", "name", "order_id", "tags"]);
    }

    #[test]
    fn languages_with_a_region_are_kept_as_given() {
        let checked = CheckedInvitation::check(&InviteCustomer {
            lang: Some("pt-BR".into()),
            tags: vec!["Espresso".into(), "beans".into()],
            ..request("ana@example.com")
        })
        .unwrap();
        assert_eq!((checked.lang.as_str(), checked.tags), ("pt-BR", vec!["beans".into(), "espresso".into()]));
    }
}
