//! The refusals many API operations share, declared once for their OpenAPI descriptions. They
//! are only described, never built (handlers answer with `AppError`), hence `dead_code` allowed.

use fanfare_protocol::api::ApiError;

/// What a public write (a submission, an upload, a referral, a visit, a conversion) can be
/// refused with, besides its own field errors.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum PublicWriteRefusals {
    #[response(status = 403, description = "Sent from an origin the site does not allow")]
    OriginNotAllowed(ApiError),
    #[response(status = 429, description = "Rate limited; see `Retry-After`")]
    RateLimited(ApiError),
}

/// What any moderation request can be refused with (see the `Moderator` extractor).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ModeratorRefusals {
    #[response(status = 401, description = "No valid credentials")]
    Unauthenticated(ApiError),
    #[response(status = 404, description = "No such site, or not one of yours")]
    NotYours(ApiError),
}

/// What a moderation write can be refused with besides [`ModeratorRefusals`]: a dashboard
/// session's write is checked as the dashboard's own forms are.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ModeratorWriteRefusals {
    #[response(
        status = 403,
        description = "A session's write without its `X-CSRF-Token`, or from another origin"
    )]
    CrossSite(ApiError),
}
