//! Response bodies of the HTTP API (`/api/v1`), as PRODUCT.md names them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a testimonial is in its life.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Spam,
    /// The author took it back through their manage link.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Pending, Status::Approved, Status::Rejected, Status::Spam, Status::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Spam => "spam",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `GET /api/v1/sites/{site}/widget`: what the widget needs to render for one site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetConfig {
    pub site: String,
    pub name: String,
    pub theme: WidgetTheme,
    /// The site owner's overrides of the widget's texts, keyed by text id.
    pub texts: BTreeMap<String, String>,
    /// The consent statement the visitor agrees to; stored with each testimonial.
    pub consent_text: String,
    pub consent_version: i64,
    pub modes: Vec<String>,
    /// Ratings at or below this lead the visitor to private feedback.
    pub low_rating_threshold: u8,
    /// Leading zero bits a submission's proof of work needs; 0: none.
    #[serde(default)]
    pub proof_of_work: u8,
    /// Whether a second referral link replaces the code a browser remembers.
    #[serde(default)]
    pub referral_attribution: crate::referrals::ReferralAttribution,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetTheme {
    /// A CSS colour, `#rrggbb`.
    pub accent: String,
}

/// One approved testimonial as the public sees it: never an email, an IP or moderation data.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTestimonial {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub company: Option<String>,
    pub rating: u8,
    pub text: String,
    pub photo_url: Option<String>,
    /// A video testimonial: the video (WebM or MP4, served with `Range`), its poster frame,
    /// and WebVTT captions when its transcript (`text`) has been timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions_url: Option<String>,
    /// The business's public reply.
    pub reply: Option<String>,
    pub featured: bool,
    /// Changed after it was first submitted (by a moderator or its author); shown as such.
    #[serde(default)]
    pub edited: bool,
    /// Sent through a personal invitation the business emailed after a purchase: a verified
    /// customer.
    #[serde(default)]
    pub verified: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// The honest rating of a site: every moderated rating that is not spam or withdrawn.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: u64,
    /// `None` when nothing is counted yet.
    pub average: Option<f64>,
    /// How many of the counted ratings came from verified customers (through an invitation).
    #[serde(default)]
    pub verified: u64,
}

/// `GET /api/v1/sites/{site}/testimonials`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestimonialPage {
    pub items: Vec<PublicTestimonial>,
    pub next_cursor: Option<String>,
    pub summary: Summary,
}

/// `201` answer to a testimonial submission.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestimonialCreated {
    pub id: String,
    pub status: Status,
    /// The author's private link to see, edit or withdraw what they wrote.
    pub manage_url: String,
    /// Whether it came through a valid, unused invitation link (a verified customer).
    #[serde(default)]
    pub verified: bool,
}

/// `GET /api/v1/sites/{site}/challenge`: a proof-of-work puzzle for the next submission.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub challenge: String,
    /// Leading zero bits SHA-256(`challenge:counter`) must have; 0 means none is needed.
    pub difficulty: u8,
}

/// `201` answer to an upload: the id a submission's `photo` refers to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCreated {
    pub id: String,
}

/// `POST /api/v1/sites/{site}/uploads/resumable`: a video sent in parts, so that a phone on a
/// slow network resumes where it stopped instead of starting again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeginUpload {
    /// The whole file's size in bytes (at most 50 MiB).
    pub size: u64,
}

/// Where a resumable upload stands: its id, the size of every part but the last, and the parts
/// the server holds (answer to beginning it and to `GET …/uploads/{id}/parts`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadProgress {
    pub id: String,
    pub size: u64,
    pub part_bytes: u64,
    /// Indexes of the parts received, ascending.
    pub received: Vec<u32>,
}

/// `201` answer to a finished video upload: the id a submission's `video` refers to, and what
/// the server read from the container.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoUploaded {
    pub id: String,
    pub duration_ms: u64,
    pub width: u32,
    pub height: u32,
}

/// A testimonial as moderators see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationTestimonial {
    #[serde(flatten)]
    pub public: PublicTestimonial,
    pub status: Status,
    pub email: String,
    pub consent: bool,
    /// The visitor's rating was low enough to ask for a private follow-up.
    pub follow_up: bool,
    pub page_url: Option<String>,
}

/// `GET /api/v1/sites/{site}/moderation/testimonials`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationPage {
    pub items: Vec<ModerationTestimonial>,
    pub next_cursor: Option<String>,
}

/// Every error the API returns has this shape.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, machine-readable code such as `validation_failed` or `not_found`.
    pub error: String,
    /// A sentence a person can read.
    pub message: String,
    /// Field name → what is wrong with it, for `422`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert_eq!(Status::parse("published"), None);
    }

    #[test]
    fn moderation_items_carry_the_public_fields_at_top_level() {
        let item = ModerationTestimonial {
            public: PublicTestimonial {
                id: "t1".into(),
                name: "Ada".into(),
                role: None,
                company: None,
                rating: 4,
                text: "Good".into(),
                photo_url: None,
                video_url: None,
                poster_url: None,
                captions_url: None,
                reply: None,
                featured: false,
                edited: false,
                verified: false,
                created_at: "2026-01-01T00:00:00Z".into(),
            },
            status: Status::Pending,
            email: "ada@example.com".into(),
            consent: true,
            follow_up: false,
            page_url: None,
        };
        let value = serde_json::to_value(&item).unwrap();
        assert_eq!(value["id"], "t1");
        assert_eq!(value["status"], "pending");
        assert_eq!(value["email"], "ada@example.com");
    }

    #[test]
    fn error_bodies_omit_empty_fields() {
        let error =
            ApiError { error: "not_found".into(), message: "No such site.".into(), fields: BTreeMap::new() };
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"error":"not_found","message":"No such site."}"#
        );
    }
}
