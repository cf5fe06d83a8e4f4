//! The contract between the Fanfare widget and server.
//!
//! Everything that crosses the wire is defined here once, together with the rules that decide
//! whether a visitor's input is acceptable. The widget runs the same rules to show field errors
//! before sending; the server runs them again and is the authority.

pub mod api;
pub mod errors;
pub mod fields;
pub mod invitations;
pub mod languages;
pub mod modes;
pub mod overview;
pub mod referrals;
pub mod submission;

pub use errors::{FieldError, FieldErrors};
pub use submission::{NewTestimonial, SubmitTestimonial, TestimonialContent};
