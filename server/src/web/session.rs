//! Who is signed in to the dashboard, and whether a form really comes from our own pages: used
//! by the dashboard, the author's manage pages and the moderation API alike.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};

use super::page::PageError;
use crate::domain::Role;
use crate::secrets;
use crate::storage::{Site, User};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The session cookie on plain http (local development, tests).
pub const SESSION_COOKIE: &str = "fanfare_session";
/// The session cookie on https. Browsers take a `__Host-` cookie only when it is `Secure`, has
/// `Path=/` and no `Domain`, from this exact host: a sibling subdomain or a plain-http page on
/// the way cannot plant or overwrite it (session fixation).
pub const SECURE_SESSION_COOKIE: &str = "__Host-fanfare_session";
/// Dashboard forms are small; imports come through the CLI.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A signed-in member's form may be bigger: a list of customers to invite, big enough that a
/// file with too many lines is refused by its line, not by its size.
const MAX_ADMIN_FORM_BYTES: usize = 8 * 1024 * 1024;

/// The session cookie's name: `__Host-` only where browsers allow it, on https.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// A signed-in person, from the session cookie.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub user: User,
    pub csrf_token: String,
}

/// The session cookie's value, if the request carries one. On https only the `__Host-` name
/// counts: a cookie under the plain name could have been planted.
pub fn session_cookie(headers: &HeaderMap, secure: bool) -> Option<&str> {
    let wanted = session_cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session, or (with `None`) one that removes it. Never a `Domain`:
/// the cookie belongs to this host alone.
pub fn set_cookie(value: Option<&str>, secure: bool) -> String {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(value) => format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            crate::service::accounts::SESSION_LIFETIME_MS / 1000
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// Resolves the session cookie; `None` when there is none or it is unknown or expired.
pub async fn current_session(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<AdminSession>, AppError> {
    let Some(cookie) = session_cookie(headers, state.secure_cookies) else { return Ok(None) };
    let session = state.service.session(cookie).await?;
    Ok(session.map(|session| AdminSession { user: session.user, csrf_token: session.csrf_token }))
}

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match current_session(&parts.headers, state).await? {
            Some(session) => Ok(session),
            // Pages send people to sign in and come back; a form without a session is refused.
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                let next = parts.uri.path_and_query().map_or("/admin", |pq| pq.as_str());
                Err(PageError::SignIn { next: next.to_owned() })
            }
            None => Err(PageError::App(AppError::Unauthenticated)),
        }
    }
}

/// Refuses a state-changing request that a browser says came from another site.
///
/// `Sec-Fetch-Site` is what current browsers send; `Origin` covers older ones. Clients that
/// send neither (curl, scripts) are not browsers a third-party page can drive, and still
/// need the CSRF token.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|value| value.to_str().ok()) {
        return if site == "same-origin" { Ok(()) } else { Err(AppError::CrossSite) };
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|origin| origin.split_once("://")).map(|(_, host)| host);
    match (origin_host, host) {
        (Some(origin_host), Some(host)) if origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(AppError::CrossSite),
    }
}

/// A submitted dashboard form: from a signed-in person, from our own page, carrying the
/// session's CSRF token. Every state-changing dashboard route takes one.
pub struct AdminForm {
    pub session: AdminSession,
    pub fields: FormFields,
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = AdminSession::from_request_parts(&mut parts, state).await?;
        check_same_origin(&parts.headers)?;
        let fields = read_form(&parts, body, MAX_ADMIN_FORM_BYTES).await?;
        let token = fields.get("csrf").unwrap_or_default();
        if !secrets::same_secret(token, &session.csrf_token) {
            return Err(AppError::CrossSite.into());
        }
        Ok(Self { session, fields })
    }
}

/// A form that needs no session (sign-in, email links, an author's manage page): still only
/// from our own pages.
pub struct PublicForm(pub FormFields);

impl FromRequest<AppState> for PublicForm {
    type Rejection = PageError;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        check_same_origin(&parts.headers)?;
        Ok(Self(read_form(&parts, body, MAX_FORM_BYTES).await?))
    }
}

async fn read_form(parts: &Parts, body: Body, limit: usize) -> Result<FormFields, AppError> {
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    if !content_type.is_some_and(|value| value.starts_with("application/x-www-form-urlencoded")) {
        return Err(AppError::UnsupportedMediaType);
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| AppError::TooLarge)?;
    Ok(FormFields(form_urlencoded::parse(&bytes).into_owned().collect()))
}

/// Form fields in order; a name may repeat (the ticked boxes of a bulk action).
#[derive(Debug, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// A redirect target from a form or query: only paths inside the dashboard, never another host.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin")
                && !path.contains("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// The site in a dashboard path, if the person has a role there; otherwise 404, exactly like
/// a site that does not exist.
pub async fn member_site(state: &AppState, user: &User, slug: &str) -> Result<(Site, Role), PageError> {
    let site = state.service.find_site(slug).await?;
    let role = state.service.role_on(user, &site).await?;
    Ok((site, role))
}

/// Owner-only pages answer 404 to moderators: they cannot act there, and need not know more.
pub async fn owned_site(state: &AppState, user: &User, slug: &str) -> Result<Site, PageError> {
    match member_site(state, user, slug).await? {
        (site, Role::Owner) => Ok(site),
        _ => Err(AppError::NotFound("page").into()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn redirects_stay_inside_the_dashboard() {
        assert_eq!(local_path(Some("/admin/sites/a?status=spam")), "/admin/sites/a?status=spam");
        for outside in ["https://evil.example", "//evil.example", "/admin//evil", "/\\evil", "/manage/x", ""]
        {
            assert_eq!(local_path(Some(outside)), "/admin", "{outside}");
        }
        assert_eq!(local_path(None), "/admin");
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let mut headers = HeaderMap::new();
        assert!(check_same_origin(&headers).is_ok(), "no browser headers: token decides");
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(check_same_origin(&headers).is_ok());
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8081"));
        assert!(check_same_origin(&headers).is_err());
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(check_same_origin(&headers).is_ok(), "Sec-Fetch-Site wins when present");
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_same_origin(&headers).is_err());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; fanfare_session=abc; b=2"));
        assert_eq!(session_cookie(&headers, false), Some("abc"));
        assert_eq!(session_cookie(&headers, true), None, "on https only the __Host- name counts");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-fanfare_session=def; fanfare_session=abc"),
        );
        assert_eq!(session_cookie(&headers, true), Some("def"));
        assert_eq!(session_cookie(&headers, false), Some("abc"));
        assert!(set_cookie(Some("x"), true).starts_with("__Host-fanfare_session=x; Path=/;"));
        assert!(set_cookie(Some("x"), true).contains("HttpOnly; SameSite=Lax"));
        assert!(set_cookie(Some("x"), true).ends_with("; Secure"));
        assert!(set_cookie(None, true).starts_with("__Host-fanfare_session=;"));
        assert!(set_cookie(Some("x"), false).starts_with("fanfare_session=x;"));
        assert!(!set_cookie(Some("x"), false).contains("Secure"));
    }
}
