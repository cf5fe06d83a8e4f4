//! The frame of every server-rendered page (dashboard, manage link, email links), its errors
//! as HTML, and the security headers those pages carry.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

use crate::clock::rfc3339;
use crate::service::ServiceError;
use crate::web::error::AppError;

/// Dashboard pages run only our own script, cannot be framed, and never leak their URL.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Where a page sits, for the navigation.
pub struct Frame<'a> {
    pub title: &'a str,
    /// Signed-in person and the token their logout form needs.
    pub account: Option<(&'a str, &'a str)>,
    /// The site being worked on (slug, name), with the active tab, and whether its owner is here.
    pub site: Option<SiteNav<'a>>,
}

pub struct SiteNav<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub tab: &'a str,
    pub owner: bool,
}

pub fn render(frame: Frame<'_>, main: Markup) -> Html<String> {
    render_in("en", frame, main)
}

/// [`render`] for a page in another language (a customer's, from their invitation).
pub fn render_in(lang: &str, frame: Frame<'_>, main: Markup) -> Html<String> {
    let primary = fanfare_protocol::languages::primary_subtag(lang);
    let dir = if fanfare_protocol::languages::is_right_to_left(&primary) { "rtl" } else { "ltr" };
    let page = html! {
        (DOCTYPE)
        html lang=(lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (frame.title) " · Fanfare" }
                link rel="stylesheet" href="/admin/static/admin.css";
                script src="/admin/static/admin.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/admin" { "Fanfare" }
                    @if let Some((email, csrf)) = frame.account {
                        nav aria-label="Account" {
                            a href="/admin/notifications" { "Email notifications" }
                            a href="/admin/tokens" { "API tokens" }
                            span.who { (email) }
                            form method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                @if let Some(site) = &frame.site {
                    nav.tabs aria-label=(format!("{} sections", site.name)) {
                        strong { (site.name) }
                        @for (tab, label, owner_only) in SITE_TABS {
                            @if !owner_only || site.owner {
                                a href=(format!("/admin/sites/{}{}", site.slug, tab_path(tab)))
                                  aria-current=[(site.tab == *tab).then_some("page")] { (label) }
                            }
                        }
                    }
                }
                main id="main" { (main) }
            }
        }
    };
    Html(page.into_string())
}

const SITE_TABS: &[(&str, &str, bool)] = &[
    ("overview", "Overview", false),
    ("queue", "Queue", false),
    ("follow-ups", "Follow-ups", false),
    ("invitations", "Invitations", false),
    ("referrals", "Referrals", false),
    ("rewards", "Rewards", false),
    ("collect", "Collection page", false),
    ("embed", "Embed", false),
    ("audit", "Audit log", false),
    ("settings", "Settings", true),
    ("members", "People", true),
    ("webhooks", "Webhooks", true),
    ("data", "Data", true),
];

fn tab_path(tab: &str) -> String {
    if tab == "queue" {
        String::new()
    } else {
        format!("/{tab}")
    }
}

/// `2026-11-24 15:37 UTC`.
pub fn when(ms: i64) -> String {
    rfc3339(ms)
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .rsplit_once(':')
        .map_or_else(|| rfc3339(ms), |(minutes, _seconds)| format!("{minutes} UTC"))
}

/// Adds the dashboard's security headers to every response under `/admin` and `/manage`.
pub async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page that needs another policy (the Embed page's preview) sets its own.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A dashboard failure: sign in first, or an error page with the same status and message the
/// API would give.
#[derive(Debug)]
pub enum PageError {
    SignIn { next: String },
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError::App(error)
    }
}

impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> Self {
        PageError::App(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let query: String =
                    form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
                Redirect::to(&format!("/admin/login?{query}")).into_response()
            }
            PageError::App(error) => {
                let (status, _) = error.status_and_code();
                if let AppError::Internal(cause) = &error {
                    tracing::error!(error = ?cause, "dashboard request failed");
                }
                let retry_after = error.retry_after();
                let title = status.canonical_reason().unwrap_or("Error");
                let body = html! {
                    h1 { (title) }
                    p role="alert" { (error.public_message()) }
                    // What is wrong with each field, in the words of the rule that refused it.
                    @if let AppError::Validation(fields) = &error {
                        ul { @for (field, message) in fields { li { strong { (field) } ": " (message) } } }
                    }
                    @if status == StatusCode::UNAUTHORIZED {
                        p { a href="/admin/login" { "Sign in" } }
                    } @else {
                        p { a href="/admin" { "Back to the dashboard" } }
                    }
                };
                let mut response =
                    (status, render(Frame { title, account: None, site: None }, body)).into_response();
                if let Some(seconds) = retry_after {
                    response.headers_mut().insert(header::RETRY_AFTER, seconds);
                }
                response
            }
        }
    }
}
