//! Invitations on the wire: the business's order system asks Fanfare to invite a customer it
//! just served, and moderators read who was asked and who answered.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `POST /api/v1/sites/{site}/invitations`, with an owner's token or a site key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteCustomer {
    pub email: Option<String>,
    /// Prefilled on the form and used in the greeting.
    #[serde(default)]
    pub name: Option<String>,
    /// Joined to the testimonial this invitation brings (a product, a shop), so that product's
    /// wall can show its verified words.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The order system's own reference, shown to moderators and in exports.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The language of the email and the form (`de`, `pt-BR`…); English when absent.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Where an invitation is. There is no "opened" or "clicked": Fanfare sends no tracking pixel
/// and no redirecting link.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Waiting for its email to go out.
    Queued,
    /// The email went out.
    Sent,
    /// The one reminder went out too.
    Reminded,
    /// A testimonial came through its link.
    Responded,
    /// The address asked this site never to email it again.
    Unsubscribed,
    /// Sending failed after every retry (see `last_error`).
    Failed,
}

impl InvitationStatus {
    pub const ALL: [Self; 6] =
        [Self::Queued, Self::Sent, Self::Reminded, Self::Responded, Self::Unsubscribed, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Reminded => "reminded",
            Self::Responded => "responded",
            Self::Unsubscribed => "unsubscribed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `201` for a new invitation; `200` with the existing one when the address was invited within
/// the last 30 days.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationCreated {
    pub id: String,
    pub status: InvitationStatus,
}

/// One invitation as moderators see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub order_id: Option<String>,
    pub lang: String,
    pub status: InvitationStatus,
    /// RFC 3339, UTC, like every time below.
    pub created_at: String,
    pub sent_at: Option<String>,
    pub reminded_at: Option<String>,
    pub responded_at: Option<String>,
    /// The testimonial its link brought.
    pub testimonial_id: Option<String>,
    /// Failed sending attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed, as the SMTP server said it.
    pub last_error: Option<String>,
}

/// `GET /api/v1/sites/{site}/invitations?status=&cursor=`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPage {
    pub items: Vec<Invitation>,
    pub next_cursor: Option<String>,
}
