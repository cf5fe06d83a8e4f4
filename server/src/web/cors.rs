//! CORS for the public API, per site: only the site's exact allowed origins may read or
//! write from a browser. Writes from any other origin are refused outright (403), not merely
//! hidden from the page, so a foreign page cannot fill the queue.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::request::site_slug;
use super::session::check_same_origin;
use crate::service::ServiceError;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Tells the loader how many days to remember a referral code.
pub const REFERRAL_WINDOW_HEADER: &str = "fanfare-referral-days";
/// Double-sided rewards: the code a referred friend is offered.
pub const FRIEND_COUPON_HEADER: &str = "fanfare-friend-coupon";
/// Tells the loader whether a second referral link replaces the code it remembers (`first` or
/// `last`). With the window, the only headers pages may read.
pub const REFERRAL_ATTRIBUTION_HEADER: &str = "fanfare-referral-attribution";
/// What a page's script may read of our answers: the two referral headers above (a unit test
/// keeps this list and them in step).
const EXPOSED_HEADERS: &str = "fanfare-referral-days, fanfare-referral-attribution, fanfare-friend-coupon";

pub async fn site_cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        // No Origin: a server-side or non-browser client, treated like any anonymous submission.
        return with_vary(next.run(request).await);
    };
    // Our own pages are no other site: the collection page's video recorder sends its parts
    // from the server's origin (`Sec-Fetch-Site: same-origin`, or an Origin naming the Host).
    // Nothing to grant (the page is already same-origin); treated as a request without one.
    if check_same_origin(request.headers()).is_ok() {
        return with_vary(next.run(request).await);
    }
    let site = match site_slug(request.uri().path()) {
        Some(slug) => match state.service.cached_site(slug).await {
            Ok(site) => Some(site),
            Err(ServiceError::NotFound(_)) => None,
            Err(error) => return AppError::from(error).into_response(),
        },
        None => None,
    };
    let Some(site) = site else {
        // Unknown site: let the route answer 404 as it would for anyone.
        return with_vary(next.run(request).await);
    };
    let allowed = origin.to_str().is_ok_and(|origin| site.origins.iter().any(|allowed| allowed == origin));
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);

    if request.method() == Method::OPTIONS {
        return if allowed {
            let mut response = StatusCode::NO_CONTENT.into_response();
            allow(response.headers_mut(), origin);
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, idempotency-key"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            with_vary(response)
        } else {
            with_vary(AppError::OriginNotAllowed.into_response())
        };
    }
    if !allowed && !is_read {
        return with_vary(AppError::OriginNotAllowed.into_response());
    }
    let mut response = next.run(request).await;
    if allowed {
        allow(response.headers_mut(), origin);
    }
    with_vary(response)
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::HeaderName::from_static("timing-allow-origin"), origin.clone());
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
}

/// Answers differ by Origin, so every shared cache must key on it.
fn with_vary(mut response: Response) -> Response {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposed_headers_are_the_referral_headers() {
        assert_eq!(
            EXPOSED_HEADERS,
            format!("{REFERRAL_WINDOW_HEADER}, {REFERRAL_ATTRIBUTION_HEADER}, {FRIEND_COUPON_HEADER}")
        );
    }
}
