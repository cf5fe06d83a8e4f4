//! Pieces of a request several routes need: the site in the path, the client's address,
//! list parameters.

use std::sync::Arc;

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::request::Parts;
use fanfare_protocol::api::Status;
use serde::Deserialize;

use super::error::AppError;
use super::state::AppState;
use crate::domain::IpCidr;
use crate::service::reach::Seen;
use crate::storage::{Cursor, ListQuery, Site};

/// The site named by `{site}` in the path; unknown sites are 404 before anything else runs.
pub struct SiteFromPath(pub Arc<Site>);

impl FromRequestParts<AppState> for SiteFromPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        site_in_path(parts, state).await.map(Self)
    }
}

/// Looks up the site named in the request's path; 404 when there is none.
pub async fn site_in_path(parts: &Parts, state: &AppState) -> Result<Arc<Site>, AppError> {
    let slug = site_slug(parts.uri.path()).ok_or(AppError::NotFound("site"))?;
    // Shared, not copied: the public GET asks for it on every request.
    Ok(state.service.cached_site(slug).await?)
}

/// `acme` from `/api/v1/sites/acme/…` or `/embed/acme/…`.
pub fn site_slug(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/sites/").or_else(|| path.strip_prefix("/embed/"))?;
    rest.split('/').next().filter(|slug| !slug.is_empty())
}

/// The client's address: the connection's peer, or, when that peer is a configured reverse
/// proxy, the nearest address in `X-Forwarded-For` that is not one of our proxies. A header a
/// client sends to us directly is never believed.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(Self(peer.map(|peer| client_behind_proxies(peer, &parts.headers, &state.trusted_proxies))))
    }
}

pub fn client_behind_proxies(peer: IpAddr, headers: &axum::http::HeaderMap, proxies: &[IpCidr]) -> IpAddr {
    let trusted = |ip: IpAddr| proxies.iter().any(|proxy| proxy.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    // Rightmost first: each proxy appends the address it received from.
    forwarded.iter().rev().copied().find(|ip| !trusted(*ip)).or(forwarded.first().copied()).unwrap_or(peer)
}

/// The query string, or a field error naming what is wrong with it.
pub fn query_params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    query.map(|Query(params)| params).map_err(|rejection| AppError::field("query", rejection.body_text()))
}

/// `?limit=&cursor=&tag=` as typed; parsed by [`ListParams::parse`] so errors name the field.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub tag: Option<String>,
    pub status: Option<String>,
    /// Moderation only: words in the name or text.
    pub q: Option<String>,
    /// Moderation only: exact star rating.
    pub rating: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 20;

/// The one tag a public list is filtered by, lower-cased; none when blank.
pub fn list_tag(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(tag) if tag.len() <= 40 && !tag.chars().any(char::is_control) => Ok(Some(tag.to_lowercase())),
        Some(_) => Err("must be a tag of at most 40 characters"),
    }
}
pub const MAX_LIMIT: u32 = 50;

impl ListParams {
    pub fn parse(&self) -> Result<ListQuery, AppError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => DEFAULT_LIMIT,
            // Out-of-range limits are clamped rather than refused: a widget asking for 500
            // still gets a sensible page.
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| AppError::field("limit", "must be a whole number"))?
                .clamp(1, i64::from(MAX_LIMIT)) as u32,
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(
                Cursor::decode(raw)
                    .ok_or_else(|| AppError::field("cursor", "is not a cursor this API issued"))?,
            ),
        };
        let tag = list_tag(self.tag.as_deref()).map_err(|message| AppError::field("tag", message))?;
        // The public list never filters by rating: what is shown must not be cherry-picked.
        Ok(ListQuery { limit, cursor, tag, search: None, rating: None })
    }

    /// The moderation tab asked for; pending when none is.
    pub fn status(&self) -> Result<Status, AppError> {
        match self.status.as_deref() {
            None | Some("") => Ok(Status::Pending),
            Some(raw) => Status::parse(raw).ok_or_else(|| {
                AppError::field("status", "must be pending, approved, rejected, spam or withdrawn")
            }),
        }
    }

    /// [`Self::parse`] plus the moderators' search and rating filters.
    pub fn parse_moderation(&self) -> Result<ListQuery, AppError> {
        let mut query = self.parse()?;
        query.search = match self.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(words) if words.chars().count() <= 100 => Some(words.to_owned()),
            Some(_) => return Err(AppError::field("q", "must be at most 100 characters")),
        };
        query.rating = match self.rating.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(
                raw.parse::<u8>()
                    .ok()
                    .filter(|stars| (1..=5).contains(stars))
                    .ok_or_else(|| AppError::field("rating", "must be a whole number from 1 to 5"))?,
            ),
        };
        Ok(query)
    }
}

/// How a request for a site's public testimonials counts for its reach: a page of this server
/// itself (the Embed page's preview; the browser says `Sec-Fetch-Site: same-origin`) shows them
/// to nobody but the owner.
pub fn shown_as(headers: &axum::http::HeaderMap, seen: Seen) -> Seen {
    let own_page = headers.get("sec-fetch-site").is_some_and(|value| value.as_bytes() == b"same-origin");
    if own_page {
        Seen::OwnPage
    } else {
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_the_api_path() {
        assert_eq!(site_slug("/api/v1/sites/acme/testimonials"), Some("acme"));
        assert_eq!(site_slug("/api/v1/sites/acme"), Some("acme"));
        assert_eq!(site_slug("/api/v1/sites//x"), None);
        assert_eq!(site_slug("/embed/acme/wall.html"), Some("acme"));
        assert_eq!(site_slug("/embed.js"), None);
        assert_eq!(site_slug("/healthz"), None);
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_our_proxies() {
        let proxies = [IpCidr::parse("10.0.0.0/8").unwrap()];
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.2".parse().unwrap());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        assert_eq!(
            client_behind_proxies(proxy, &headers, &proxies),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_behind_proxies(stranger, &headers, &proxies),
            stranger,
            "a direct client cannot claim an address"
        );
        assert_eq!(client_behind_proxies(proxy, &axum::http::HeaderMap::new(), &proxies), proxy);
    }

    #[test]
    fn limits_are_clamped_and_junk_is_named() {
        let parse = |limit: &str| ListParams { limit: Some(limit.into()), ..ListParams::default() }.parse();
        assert_eq!(parse("5").unwrap().limit, 5);
        assert_eq!(parse("0").unwrap().limit, 1);
        assert_eq!(parse("9999").unwrap().limit, MAX_LIMIT);
        assert!(matches!(parse("ten"), Err(AppError::Validation(fields)) if fields.contains_key("limit")));
        let junk_cursor = ListParams { cursor: Some("nope".into()), ..ListParams::default() }.parse();
        assert!(matches!(junk_cursor, Err(AppError::Validation(fields)) if fields.contains_key("cursor")));
    }
}
