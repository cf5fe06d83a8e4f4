//! Invitations the roastery sent after orders, as the sender would have recorded them then:
//! emailed an hour after they were made, reminded after the site's delay unless answered.

use anyhow::{bail, Context};

use super::{DAY, HOUR};
use crate::domain::email_key;
use crate::secrets;
use crate::service::invitations::{INVITE_AGAIN_AFTER_MS, LINK_LIFETIME_MS};
use crate::service::Service;
use crate::storage::{DynStorage, Invitation, Invited, NewInvitation, SendOutcome, Site};

/// The customer an invitation went to.
pub(super) struct Invitee<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// An invitation made at `invited_at` and emailed; answered by `answer` (the testimonial's id
/// and when it came), or else reminded if that was due before `now`.
pub(super) async fn sent(
    service: &Service,
    storage: &DynStorage,
    site: &Site,
    invitee: Invitee<'_>,
    invited_at: i64,
    answer: Option<(&str, i64)>,
    now: i64,
) -> anyhow::Result<()> {
    let key = email_key(invitee.email);
    let new = NewInvitation {
        id: secrets::testimonial_id(),
        address_hash: service.address_hash(site, &key),
        email: invitee.email.to_owned(),
        email_key: key,
        name: Some(invitee.name.to_owned()),
        tags: Vec::new(),
        order_id: None,
        lang: "en".to_owned(),
    };
    let stored = storage
        .create_invitations(site.id, vec![new], invited_at, invited_at - INVITE_AGAIN_AFTER_MS, false)
        .await?;
    let Some(Invited::Created(invitation)) = stored.into_iter().next() else {
        bail!("the invitation to {} was not stored as a new one", invitee.email);
    };
    let sent_at = invited_at + HOUR;
    let reminder =
        (site.invitation_reminder_days > 0).then(|| sent_at + i64::from(site.invitation_reminder_days) * DAY);
    record(storage, &invitation, sent_at, SendOutcome::Sent { reminder: false, next_send_at: reminder })
        .await?;
    if let Some((testimonial_id, answered_at)) = answer {
        let answered = storage
            .respond_to_invitation(
                site.id,
                &invitation.id,
                testimonial_id,
                answered_at,
                answered_at - LINK_LIFETIME_MS,
            )
            .await?;
        if answered.is_none() {
            bail!("the invitation to {} could not be answered", invitee.email);
        }
    } else if let Some(remind_at) = reminder.filter(|at| *at <= now) {
        let invitation = storage.invitation(site.id, &invitation.id).await?.context("the invitation")?;
        let reminded = SendOutcome::Sent { reminder: true, next_send_at: None };
        record(storage, &invitation, remind_at, reminded).await?;
    }
    Ok(())
}

/// The sender's two steps for one email: hold the invitation, then record what sending did.
async fn record(
    storage: &DynStorage,
    invitation: &Invitation,
    at: i64,
    outcome: SendOutcome,
) -> anyhow::Result<()> {
    let owner = secrets::testimonial_id();
    if !storage.claim_invitation(invitation, &owner, at, at + HOUR).await? {
        bail!("the invitation to {} could not be held for sending", invitation.email);
    }
    storage.record_invitation_send(&invitation.id, &owner, &outcome, at).await?;
    Ok(())
}
