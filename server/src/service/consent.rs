//! The consent rule, in one place: a testimonial is published only with its author's explicit
//! consent, which is kept with the exact words and version they agreed to; a withdrawn
//! testimonial is never published again.
//!
//! Storage enforces the same rule atomically when a decision is written (`moderate` refuses an
//! approval without consent or after withdrawal, as `Moderated::NoConsent`/`Withdrawn`), so
//! two moderators racing an author cannot slip past it; [`refusal`] words that answer.

use fanfare_protocol::api::Status;

use super::ServiceError;
use crate::storage::{Site, Testimonial};

/// Whether an item with this consent, in this status, may be published.
pub fn allows(consent: bool, status: Status) -> bool {
    consent && status != Status::Withdrawn
}

/// Whether a moderator may publish this testimonial (the dashboard offers "Approve", an email
/// carries an approve link, only then).
pub fn may_publish(testimonial: &Testimonial) -> bool {
    allows(testimonial.consent, testimonial.status)
}

/// Whether a testimonial that arrives already decided (an import, the demo's seed) may be
/// stored in this status: published ones need consent, like any other.
pub fn may_be_stored_as(consent: bool, status: Status) -> bool {
    status != Status::Approved || allows(consent, status)
}

/// What is kept with a new testimonial: the site's consent words and their version, only when
/// the author ticked the box. A later change of the site's wording never rewrites what an
/// author agreed to.
pub fn record(site: &Site, consent: bool) -> (Option<String>, Option<i64>) {
    if consent {
        (Some(site.consent_text.clone()), Some(site.consent_version))
    } else {
        (None, None)
    }
}

/// The answer to publishing without consent.
pub fn refusal() -> ServiceError {
    ServiceError::Conflict {
        code: "consent_missing",
        message: "The author did not consent to publication, so this testimonial cannot be approved.".into(),
    }
}

/// The answer to a moderator's change of a testimonial its author withdrew.
pub fn withdrawn() -> ServiceError {
    ServiceError::Conflict { code: "withdrawn", message: "The author withdrew this testimonial.".into() }
}

/// The same answer, worded for the author.
pub fn withdrawn_by_you() -> ServiceError {
    ServiceError::Conflict { code: "withdrawn", message: "You withdrew this testimonial.".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_consenting_items_that_were_not_withdrawn_may_be_published() {
        assert!(allows(true, Status::Pending));
        assert!(allows(true, Status::Rejected));
        assert!(!allows(false, Status::Pending));
        assert!(!allows(true, Status::Withdrawn));
    }

    #[test]
    fn only_published_items_need_consent_to_be_stored_as_decided() {
        assert!(may_be_stored_as(false, Status::Rejected));
        assert!(may_be_stored_as(false, Status::Pending));
        assert!(may_be_stored_as(true, Status::Approved));
        assert!(!may_be_stored_as(false, Status::Approved));
    }
}
