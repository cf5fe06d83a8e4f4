//! A visitor's testimonial, as sent and as accepted.

use serde::{Deserialize, Serialize};

use crate::errors::{FieldError, FieldErrors};
use crate::fields::{self, Email, PersonName, Rating, Reference, ShortLine, TestimonialText};

/// The body of `POST /api/v1/sites/{site}/testimonials` exactly as it arrives.
///
/// Every field is optional at this stage so that a missing field is reported by name alongside
/// all other problems, instead of failing the whole body at the first gap.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitTestimonial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Signed and wide so that 0, -3 and 600 reach the range rule and get its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    /// The id of an earlier upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    /// The id of an earlier video upload; the text is its transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// The transcript timed as captions, one cue a line: `m:ss text` (each cue lasts until the
    /// next one starts). Needs a `video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<String>,
    /// The referral code that brought this visitor, if any.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub referral: Option<String>,
    /// The page the form was on, for the moderator's context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    /// The visitor asks the business to get in touch (private feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_me: Option<bool>,
    /// The loader's random first-party id for this browser, for referral fraud checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The honeypot: a field people never see and bots fill in. Anything in it means the
    /// submission is dropped (with the answer a person would get).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// `CHALLENGE:COUNTER`, when the site asks for proof of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pow: Option<String>,
    /// The token of a personal invitation link (`/c/{site}?invite=TOKEN`): a valid, unused one
    /// makes this a verified customer's testimonial. Any other value is an ordinary submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// The wire names of [`SubmitTestimonial`]'s fields, for naming unknown ones.
pub const SUBMIT_TESTIMONIAL_FIELDS: &[&str] = &[
    "name",
    "email",
    "role",
    "company",
    "rating",
    "text",
    "consent",
    "photo",
    "video",
    "captions",
    "ref",
    "page_url",
    "contact_me",
    "device",
    "website",
    "pow",
    "invite",
];

/// What a testimonial says, by the rules every path shares: a visitor's submission, the
/// author's and a moderator's corrections, an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestimonialContent {
    pub name: PersonName,
    pub role: Option<ShortLine>,
    pub company: Option<ShortLine>,
    pub rating: Rating,
    pub text: TestimonialText,
}

impl TestimonialContent {
    /// Checks each part, recording every refusal in `errors` under its wire name; `None` when
    /// any part was refused. `rating` arrives already read as a number (or as why it is not).
    pub fn check(
        errors: &mut FieldErrors,
        name: &str,
        role: Option<&str>,
        company: Option<&str>,
        rating: Result<i64, FieldError>,
        text: &str,
    ) -> Option<Self> {
        let name = errors.take("name", PersonName::parse(name));
        let role = errors.take("role", ShortLine::parse_optional(role));
        let company = errors.take("company", ShortLine::parse_optional(company));
        let rating = errors.take("rating", rating.and_then(Rating::parse));
        let text = errors.take("text", TestimonialText::parse(text));
        Some(Self { name: name?, role: role?, company: company?, rating: rating?, text: text? })
    }
}

/// A testimonial that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTestimonial {
    pub name: PersonName,
    pub email: Email,
    pub role: Option<ShortLine>,
    pub company: Option<ShortLine>,
    pub rating: Rating,
    pub text: TestimonialText,
    /// Whether the visitor agreed to publication. `false` is a valid answer: the feedback
    /// still reaches the moderators, it just can never be published.
    pub consent: bool,
    pub photo: Option<Reference>,
    pub video: Option<Reference>,
    /// The timed transcript as sent (its rules need the video's duration: the server's).
    pub captions: Option<String>,
    pub referral: Option<Reference>,
    pub page_url: Option<String>,
    pub contact_me: bool,
    pub device: Option<Reference>,
    /// The invitation token as sent, if any (whether it is valid is the server's business).
    pub invite: Option<String>,
}

impl SubmitTestimonial {
    /// Applies every rule and reports all refused fields at once.
    pub fn validate(&self) -> Result<NewTestimonial, FieldErrors> {
        let mut errors = FieldErrors::new();
        let required = |value: &Option<String>| value.as_deref().unwrap_or("").to_owned();

        let content = TestimonialContent::check(
            &mut errors,
            &required(&self.name),
            self.role.as_deref(),
            self.company.as_deref(),
            self.rating.ok_or(FieldError::Required),
            &required(&self.text),
        );
        let email = errors.take("email", Email::parse(&required(&self.email)));
        let consent = errors.take("consent", self.consent.ok_or(FieldError::Required));
        let photo = errors.take("photo", Reference::parse_optional(self.photo.as_deref()));
        let video = errors.take("video", Reference::parse_optional(self.video.as_deref()));
        let referral = errors.take("ref", Reference::parse_optional(self.referral.as_deref()));
        let device = errors.take("device", Reference::parse_optional(self.device.as_deref()));

        match (content, email, consent, photo, video, referral, device) {
            (
                Some(content),
                Some(email),
                Some(consent),
                Some(photo),
                Some(video),
                Some(referral),
                Some(device),
            ) if errors.is_empty() => {
                let TestimonialContent { name, role, company, rating, text } = content;
                Ok(NewTestimonial {
                    name,
                    email,
                    role,
                    company,
                    rating,
                    text,
                    consent,
                    photo,
                    video,
                    captions: self
                        .captions
                        .as_deref()
                        .map(str::trim)
                        .filter(|lines| !lines.is_empty())
                        .map(str::to_owned),
                    referral,
                    page_url: fields::page_url(self.page_url.as_deref()),
                    contact_me: self.contact_me.unwrap_or(false),
                    device,
                    invite: self
                        .invite
                        .as_deref()
                        .map(str::trim)
                        .filter(|token| !token.is_empty())
                        .map(str::to_owned),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> SubmitTestimonial {
        SubmitTestimonial {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            role: Some("Engineer".into()),
            company: None,
            rating: Some(5),
            text: Some("Lovely coffee".into()),
            consent: Some(true),
            ..SubmitTestimonial::default()
        }
    }

    #[test]
    fn a_complete_submission_is_accepted() {
        let accepted = complete().validate().unwrap();
        assert_eq!(accepted.rating.stars(), 5);
        assert!(accepted.consent);
        assert_eq!(accepted.company, None);
    }

    #[test]
    fn every_missing_required_field_is_named() {
        let errors = SubmitTestimonial::default().validate().unwrap_err();
        let named: Vec<_> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(named, ["consent", "email", "name", "rating", "text"]);
        assert_eq!(errors.get("rating"), Some(&FieldError::Required));
    }

    #[test]
    fn declined_consent_is_a_valid_answer() {
        let submission = SubmitTestimonial { consent: Some(false), ..complete() };
        assert!(!submission.validate().unwrap().consent);
    }

    #[test]
    fn several_errors_are_reported_together() {
        let submission = SubmitTestimonial { rating: Some(9), email: Some("nope".into()), ..complete() };
        let errors = submission.validate().unwrap_err();
        assert_eq!(errors.get("rating"), Some(&FieldError::RatingOutOfRange));
        assert_eq!(errors.get("email"), Some(&FieldError::InvalidEmail));
        assert_eq!(errors.get("name"), None);
    }

    #[test]
    fn unknown_fields_are_refused_by_the_decoder() {
        let body = r#"{"name":"Ada","is_admin":true}"#;
        let error = serde_json::from_str::<SubmitTestimonial>(body).unwrap_err();
        assert!(error.to_string().contains("unknown field `is_admin`"), "{error}");
    }

    #[test]
    fn the_field_list_matches_the_wire_names() {
        let everything = SubmitTestimonial {
            name: Some(String::new()),
            email: Some(String::new()),
            role: Some(String::new()),
            company: Some(String::new()),
            rating: Some(1),
            text: Some(String::new()),
            consent: Some(true),
            photo: Some(String::new()),
            video: Some(String::new()),
            captions: Some(String::new()),
            referral: Some(String::new()),
            page_url: Some(String::new()),
            contact_me: Some(true),
            device: Some(String::new()),
            website: Some(String::new()),
            pow: Some(String::new()),
            invite: Some(String::new()),
        };
        let value = serde_json::to_value(everything).unwrap();
        let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        let mut expected: Vec<_> = SUBMIT_TESTIMONIAL_FIELDS.iter().map(|s| s.to_string()).collect();
        keys.sort();
        expected.sort();
        assert_eq!(keys, expected);
    }
}
