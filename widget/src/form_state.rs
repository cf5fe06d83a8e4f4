//! The testimonial form as a reducer: every change is an action, so the form's behaviour is
//! in one place and testable without a browser.

use std::rc::Rc;

use fanfare_protocol::SubmitTestimonial;
use yew::Reducible;

use crate::refusals::Refusals;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Email,
    Role,
    Company,
    Text,
    /// The honeypot, hidden from people.
    Website,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Editing,
    Sending,
    Sent { manage_url: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormState {
    pub name: String,
    pub email: String,
    pub role: String,
    pub company: String,
    pub rating: Option<u8>,
    pub text: String,
    pub website: String,
    /// The id of the uploaded photo, once the upload succeeded.
    pub photo: Option<String>,
    pub uploading: bool,
    /// The visitor chose to add a video: the recorder is (being) shown.
    pub video_open: bool,
    /// The recorder could not be downloaded (the visitor may try again).
    pub video_unavailable: bool,
    /// What the recorder says of the video: the upload's id once stored, `""` while one is on
    /// its way (recording, uploading), `None` when there is none.
    pub video: Option<String>,
    /// Unticked until the visitor ticks it.
    pub consent: bool,
    /// Private feedback only: the visitor wants the business to get in touch.
    pub contact_me: bool,
    /// Field wire name → message.
    pub errors: Refusals,
    /// A problem that belongs to no field (network, server).
    pub problem: Option<String>,
    pub phase: Phase,
}

impl Default for FormState {
    fn default() -> Self {
        Self {
            name: String::new(),
            email: String::new(),
            role: String::new(),
            company: String::new(),
            rating: None,
            text: String::new(),
            website: String::new(),
            photo: None,
            uploading: false,
            video_open: false,
            video_unavailable: false,
            video: None,
            consent: false,
            contact_me: false,
            errors: Refusals::default(),
            problem: None,
            phase: Phase::Editing,
        }
    }
}

pub enum FormAction {
    /// A photo upload started.
    Uploading,
    /// It finished: the id, or why it was refused.
    Uploaded(Result<String, String>),
    /// The visitor chose to add a video.
    VideoOpened,
    /// The recorder could not be downloaded.
    VideoUnavailable,
    /// The recorder's word on the video (see [`FormState::video`]).
    Video(Option<String>),
    Edit(Field, String),
    Rate(u8),
    Consent(bool),
    ContactMe(bool),
    /// Client-side or server-side refusals, by field.
    Refused(Refusals),
    Sending,
    Failed(String),
    Sent {
        manage_url: String,
    },
}

impl FormState {
    /// A video is on its way (recording or uploading): the form waits for it.
    pub fn video_pending(&self) -> bool {
        self.video.as_deref() == Some("")
    }

    /// The request body as the visitor filled it in. `private` feedback (a low rating) is never
    /// for publication: it goes without consent, with the visitor's "contact me" instead.
    pub fn submission(&self, page_url: Option<String>, private: bool) -> SubmitTestimonial {
        let optional = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
        SubmitTestimonial {
            name: Some(self.name.clone()),
            email: Some(self.email.clone()),
            role: optional(&self.role),
            company: optional(&self.company),
            rating: self.rating.map(i64::from),
            text: Some(self.text.clone()),
            consent: Some(self.consent && !private),
            contact_me: private.then_some(self.contact_me),
            page_url,
            website: optional(&self.website),
            photo: self.photo.clone(),
            video: self.video.clone().filter(|id| !id.is_empty()),
            ..SubmitTestimonial::default()
        }
    }
}

impl Reducible for FormState {
    type Action = FormAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::Edit(field, value) => {
                let (slot, key) = match field {
                    Field::Name => (&mut next.name, "name"),
                    Field::Email => (&mut next.email, "email"),
                    Field::Role => (&mut next.role, "role"),
                    Field::Company => (&mut next.company, "company"),
                    Field::Text => (&mut next.text, "text"),
                    Field::Website => (&mut next.website, "website"),
                };
                *slot = value;
                // An edited field's old complaint no longer applies.
                next.errors.remove(key);
            }
            FormAction::Uploading => {
                next.uploading = true;
                next.photo = None;
                next.errors.remove("photo");
            }
            FormAction::Uploaded(result) => {
                next.uploading = false;
                match result {
                    Ok(id) => next.photo = Some(id),
                    Err(problem) => {
                        next.errors.set("photo", problem);
                    }
                }
            }
            FormAction::VideoOpened => {
                next.video_open = true;
                next.video_unavailable = false;
            }
            FormAction::VideoUnavailable => {
                next.video_open = false;
                next.video_unavailable = true;
            }
            FormAction::Video(video) => {
                next.video = video;
                next.errors.remove("video");
                // "Wait for the video" is answered, whichever way it went.
                next.problem = None;
            }
            FormAction::Rate(stars) => {
                next.rating = Some(stars);
                next.errors.remove("rating");
            }
            FormAction::ContactMe(wanted) => next.contact_me = wanted,
            FormAction::Consent(given) => {
                next.consent = given;
                next.errors.remove("consent");
            }
            FormAction::Refused(errors) => {
                next.errors = errors;
                next.problem = None;
                next.phase = Phase::Editing;
            }
            FormAction::Sending => {
                next.errors.clear();
                next.problem = None;
                next.phase = Phase::Sending;
            }
            FormAction::Failed(problem) => {
                next.problem = Some(problem);
                next.phase = Phase::Editing;
            }
            FormAction::Sent { manage_url } => next.phase = Phase::Sent { manage_url },
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(state: FormState, action: FormAction) -> FormState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn consent_starts_unticked() {
        assert!(!FormState::default().consent);
        assert_eq!(FormState::default().submission(None, false).consent, Some(false));
    }

    #[test]
    fn private_feedback_is_never_consented_for_publication() {
        let state = apply(FormState::default(), FormAction::Consent(true));
        let state = apply(state, FormAction::ContactMe(true));
        let private = state.submission(None, true);
        assert_eq!((private.consent, private.contact_me), (Some(false), Some(true)));
        let public = state.submission(None, false);
        assert_eq!((public.consent, public.contact_me), (Some(true), None));
    }

    #[test]
    fn editing_a_field_clears_its_error_only() {
        let mut errors = Refusals::default();
        errors.set("name", "Name is required".to_owned());
        errors.set("email", "Email is required".to_owned());
        let state = apply(FormState::default(), FormAction::Refused(errors));
        let state = apply(state, FormAction::Edit(Field::Name, "Ada".into()));
        assert!(!state.errors.contains("name"));
        assert!(state.errors.contains("email"));
    }

    #[test]
    fn empty_optional_fields_are_left_out() {
        let state = apply(FormState::default(), FormAction::Edit(Field::Role, "  ".into()));
        let state = apply(state, FormAction::Rate(4));
        let body = state.submission(Some("https://shop.test/".into()), false);
        assert_eq!(body.role, None);
        assert_eq!(body.rating, Some(4));
        assert_eq!(body.page_url.as_deref(), Some("https://shop.test/"));
    }

    #[test]
    fn a_video_is_sent_only_once_stored() {
        let state = apply(FormState::default(), FormAction::VideoOpened);
        assert!(state.video_open);
        assert_eq!(state.submission(None, false).video, None);
        let state = apply(state, FormAction::Video(Some(String::new())));
        assert!(state.video_pending());
        assert_eq!(state.submission(None, false).video, None, "not while it is on its way");
        let state = apply(state, FormAction::Video(Some("v1".into())));
        assert!(!state.video_pending());
        assert_eq!(state.submission(None, false).video.as_deref(), Some("v1"));
        let state = apply(state, FormAction::Video(None));
        assert_eq!(state.submission(None, false).video, None, "removed");
    }

    #[test]
    fn a_recorder_that_cannot_load_says_why_and_offers_itself_again() {
        let state = apply(FormState::default(), FormAction::VideoOpened);
        let state = apply(state, FormAction::VideoUnavailable);
        assert!(!state.video_open && state.video_unavailable);
        let state = apply(state, FormAction::VideoOpened);
        assert!(state.video_open && !state.video_unavailable, "tried again");
    }

    #[test]
    fn a_failure_returns_to_editing_with_the_problem() {
        let state = apply(FormState::default(), FormAction::Sending);
        assert_eq!(state.phase, Phase::Sending);
        let state = apply(state, FormAction::Failed("offline".into()));
        assert_eq!(state.phase, Phase::Editing);
        assert_eq!(state.problem.as_deref(), Some("offline"));
    }
}
