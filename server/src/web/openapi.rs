//! The OpenAPI document of the HTTP API, at `/api/openapi.json`. Every operation in it comes from
//! the annotation on the handler that serves it (`utoipa_axum::routes!` registers the route and
//! its description together), so the document cannot list a route the server lacks.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use fanfare_protocol::api::ApiError;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::session::session_cookie_name;
use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fanfare",
        description = "Testimonials and referrals for one site or many. Public routes answer CORS \
                       requests from the site's allowed origins only; moderation routes take an API \
                       token (`fanfare token create`) or a dashboard session. Every error has the \
                       shape of `ApiError`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    tags(
        (name = "public", description = "What embedding pages call: no credentials, the site's CORS"),
        (name = "moderation", description = "A site's members, with a token or a session"),
        (name = "invitations", description = "Asking customers for a testimonial: the business's systems invite with a site key (`fanfare key create`), members read the list"),
        (name = "operations", description = "For the operator's monitoring"),
    ),
    components(schemas(ApiError)),
)]
struct ApiDoc;

/// The two ways a moderator is known: a bearer token, or the dashboard's session cookie (which
/// also needs the `X-CSRF-Token` header for writes), named as this server names it.
struct Credentials {
    session_cookie: &'static str,
}

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The same header as `bearer`, with a site key (`ffs_…`): a separate name so each
        // operation says which it takes.
        components.add_security_scheme(
            "site_key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("ffs_…").build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(self.session_cookie))),
        );
    }
}

/// The document's own JSON, rendered once at startup.
#[derive(Clone)]
struct Document(Arc<str>);

/// The API's routes (plus `/api/openapi.json` itself) and the document describing them.
pub fn api_routes(state: AppState) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let mut description = ApiDoc::openapi();
    Credentials { session_cookie: session_cookie_name(state.secure_cookies) }.modify(&mut description);
    OpenApiRouter::with_openapi(description)
        .merge(super::api::router(state.clone()))
        .merge(super::embed::router(state))
        .merge(super::health::router())
        .routes(routes!(document))
        .split_for_parts()
}

/// Serves `document` at `/api/openapi.json`.
pub fn with_document(
    router: axum::Router<AppState>,
    document: &utoipa::openapi::OpenApi,
) -> axum::Router<AppState> {
    let json = document.to_json().unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document does not serialise");
        "{}".to_owned()
    });
    router.layer(Extension(Document(json.into())))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json")),
)]
async fn document(Extension(Document(json)): Extension<Document>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")],
        json.to_string(),
    )
        .into_response()
}
