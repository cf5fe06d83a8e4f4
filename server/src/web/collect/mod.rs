//! The hosted collection page, `/c/{site}`: the testimonial form as a server-rendered page
//! that works on a phone, with a keyboard or a screen reader, and with JavaScript off (a small
//! script only makes it nicer). It goes through the same operations as the widget: the photo
//! through the upload pipeline, the testimonial through [`crate::service::Service::submit`].
//! An invitation link (`?invite=TOKEN`) prefills it and makes the testimonial a verified
//! customer's; `/c/{site}/qr.svg` is the page's address as a QR code to print.

mod advocate;
mod assets;
mod language;
mod posted;
mod qr;
mod texts;
mod theme;
mod views;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::api::TestimonialCreated;
use fanfare_protocol::referrals::CreateReferral;
use fanfare_protocol::{FieldErrors, SubmitTestimonial};

use self::posted::{PhotoPart, Posted, Unreadable, Values, MAX_FORM_BYTES};
use self::texts::PageTexts;
use self::views::{FormView, Invitation, Thanks, FIELD_ORDER};
use super::request::ClientIp;
use super::session::check_same_origin;
use super::state::AppState;
use crate::domain::SiteSlug;
use crate::secrets;
use crate::service::cache::{etag, Cached};
use crate::service::invitations::InviteLink;
use crate::service::photos::MAX_UPLOAD_BYTES;
use crate::service::sites::site_texts;
use crate::service::submissions::Submitted;
use crate::service::ServiceError;
use crate::storage::Site;
use crate::web::revalidate::revalidated;

/// Like the dashboard's, and `blob:` images and media for the photo's and the video's previews.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Happy authors are offered their referral link on the thank-you screen (as in the widget).
const REFERRAL_OFFER_MIN_RATING: i64 = 4;

/// Longer than any token we sign: not worth a lookup.
const MAX_INVITE_TOKEN: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/collect.css", get(assets::stylesheet))
        .route("/c/collect.js", get(assets::script))
        .route("/c/{site}", get(form_page).post(send.layer(DefaultBodyLimit::max(MAX_FORM_BYTES))))
        .route("/c/{site}/refer", post(refer))
        .route("/c/{site}/advocate/{token}", get(advocate::advocate_page))
        .route("/c/{site}/qr.svg", get(qr_code))
        .route("/c/{site}/theme.css", get(theme_stylesheet))
        .layer(axum::middleware::from_fn(security_headers))
}

/// The first language of an `Accept-Language` header that we speak.
pub(crate) use self::language::accepted as accepted_language;

/// The collection page's address, as printed and shared.
pub fn page_url(public_url: &str, slug: &str) -> String {
    format!("{public_url}/c/{slug}")
}

/// The dashboard's headers, with this page's CSP; pages are never stored by caches (a
/// thank-you screen holds the author's private link), files say otherwise themselves.
async fn security_headers(request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Nothing to other sites; our own forms keep their Origin (see `views::page`).
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok())
}

/// The texts of a page that has no site (yet): in the browser's language.
fn browser_texts(headers: &HeaderMap) -> PageTexts {
    let lang = language::choose(None, None, accept_language(headers));
    PageTexts::new(crate::texts::for_language(lang), lang)
}

fn site_page_texts(site: &Site, lang: &'static str) -> PageTexts {
    PageTexts::new(site_texts(site, lang), lang)
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

fn not_found(headers: &HeaderMap) -> Response {
    let texts = browser_texts(headers);
    page(StatusCode::NOT_FOUND, views::message_page(&texts, None, texts.get("page.not_found"), None))
}

/// Our own failure: logged with its cause, and a page that says nothing was sent.
fn failed(texts: &PageTexts, site: Option<&Site>, error: &ServiceError) -> Response {
    tracing::error!(%error, "collection page request failed");
    page(StatusCode::INTERNAL_SERVER_ERROR, views::message_page(texts, site, texts.get("page.failed"), None))
}

/// Where the video recorder is served, when the widget's build has one.
fn recorder_url(state: &AppState) -> Option<String> {
    state.assets.recorder().map(|name| format!("/widget/{name}"))
}

/// The site of the page, or the page to answer instead (404 for any slug we do not have).
async fn find_site(state: &AppState, slug: &str, headers: &HeaderMap) -> Result<Arc<Site>, Response> {
    if SiteSlug::parse(slug).is_err() {
        return Err(not_found(headers));
    }
    match state.service.cached_site(slug).await {
        Ok(site) => Ok(site),
        Err(ServiceError::NotFound(_)) => Err(not_found(headers)),
        Err(error) => Err(failed(&browser_texts(headers), None, &error)),
    }
}

/// The site a form was posted to, if it was posted from our own page; else the page to answer.
async fn posted_site(state: &AppState, slug: &str, headers: &HeaderMap) -> Result<Arc<Site>, Response> {
    let site = find_site(state, slug, headers).await?;
    if check_same_origin(headers).is_err() {
        let texts = browser_texts(headers);
        let html = views::message_page(&texts, Some(&site), texts.get("page.cross_site"), None);
        return Err(page(StatusCode::FORBIDDEN, html));
    }
    Ok(site)
}

/// What an invitation token stands for; a token too long to be ours is not looked up.
async fn invitation_link(state: &AppState, site: &Site, token: &str) -> Result<InviteLink, ServiceError> {
    if token.len() > MAX_INVITE_TOKEN {
        return Ok(InviteLink::Unusable);
    }
    state.service.invitation_link(site, token).await
}

/// `GET /c/{site}?lang=&invite=`: the form, prefilled when the invitation is usable.
async fn form_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = match find_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let param = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim());
    let token = param("invite").filter(|token| !token.is_empty());
    let link = match token {
        Some(token) => match invitation_link(&state, &site, token).await {
            Ok(link) => Some(link),
            Err(error) => return failed(&browser_texts(&headers), Some(&site), &error),
        },
        None => None,
    };
    let invitation_lang = match &link {
        Some(InviteLink::Usable { lang, .. }) => Some(lang.as_str()),
        _ => None,
    };
    let texts =
        site_page_texts(&site, language::choose(param("lang"), invitation_lang, accept_language(&headers)));
    let mut values = Values { key: secrets::nonce(), ..Values::default() };
    let invitation = match (link, token) {
        (Some(InviteLink::Usable { name, email, .. }), Some(token)) => {
            values.name = name.unwrap_or_default();
            values.email = email;
            values.invite = token.to_owned();
            Invitation::Usable
        }
        (Some(_), _) => Invitation::NotUsable,
        (None, _) => Invitation::None,
    };
    let view = FormView {
        values: &values,
        invitation,
        errors: &[],
        problem: None,
        photo_dropped: false,
        needs_script: site.proof_of_work > 0 && invitation != Invitation::Usable,
        recorder: recorder_url(&state),
    };
    page(StatusCode::OK, views::form_page(&texts, &site, &view))
}

/// `POST /c/{site}`: the form as posted, stored through the same operation as the widget's,
/// then the thank-you screen; or the form again with every refusal named and the visitor's
/// words kept. A copy of the form sent twice (a double click, a reload) is one testimonial:
/// each carries its own idempotency key.
async fn send(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let site = match posted_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let Posted { values, photo } = match posted::read(request).await {
        Ok(posted) => posted,
        Err(unreadable) => {
            let texts = browser_texts(&headers);
            let status = match unreadable {
                Unreadable::MediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Unreadable::Malformed => StatusCode::BAD_REQUEST,
            };
            return page(
                status,
                views::message_page(&texts, Some(&site), texts.get("page.cross_site"), None),
            );
        }
    };
    let lang = language::choose(Some(&values.lang), None, accept_language(&headers));
    let texts = site_page_texts(&site, lang);
    let form = Form { state: &state, site: &site, texts: &texts, values: &values };
    form.send(ip, photo).await
}

/// One posted form on its way through.
struct Form<'a> {
    state: &'a AppState,
    site: &'a Site,
    texts: &'a PageTexts,
    values: &'a Values,
}

impl Form<'_> {
    /// A low rating goes privately to the team: never for publication, so consent is not
    /// asked, and the visitor's "contact me" goes along instead.
    fn private(&self) -> bool {
        self.values
            .rating()
            .is_some_and(|stars| (1..=i64::from(self.site.low_rating_threshold)).contains(&stars))
    }

    fn submission(&self) -> SubmitTestimonial {
        let values = self.values;
        let optional = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
        let private = self.private();
        SubmitTestimonial {
            name: Some(values.name.clone()),
            email: Some(values.email.clone()),
            role: optional(&values.role),
            company: optional(&values.company),
            rating: values.rating(),
            text: Some(values.text.clone()),
            consent: Some(values.consent && !private),
            contact_me: private.then_some(values.contact_me),
            page_url: Some(page_url(self.state.service.public_url(), &self.site.slug)),
            website: optional(&values.website),
            pow: optional(&values.pow),
            invite: optional(&values.invite),
            video: optional(&values.video),
            captions: optional(&values.captions),
            ..SubmitTestimonial::default()
        }
    }

    /// The key that makes a second send of this copy of the form a replay; one the page did
    /// not make is ignored.
    fn idempotency_key(&self) -> Option<&[u8]> {
        let key = self.values.key.as_str();
        let ours = (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric());
        ours.then_some(key.as_bytes())
    }

    async fn send(&self, ip: Option<IpAddr>, photo: PhotoPart) -> Response {
        let submission = self.submission();
        // The shared rules, applied here too: their refusals come typed (and so translated),
        // and a photo is processed and kept only for a form that can be stored.
        let rules = submission.validate();
        let photo_sent = !matches!(photo, PhotoPart::None);
        let photo = match photo {
            PhotoPart::TooLarge => {
                let mut errors = self.rule_refusals(&rules);
                errors.push(("photo".to_owned(), self.photo_refusal()));
                return self.refused(StatusCode::PAYLOAD_TOO_LARGE, errors, None, photo_sent).await;
            }
            PhotoPart::Chosen(bytes) => Some(bytes),
            PhotoPart::None => None,
        };
        let key = self.idempotency_key();
        match self.state.service.submit_with_photo(self.site, ip, submission, photo, key).await {
            Ok(Submitted::Created(created)) => self.thanks(&created),
            Ok(Submitted::Replayed { body, .. }) => match serde_json::from_str::<TestimonialCreated>(&body) {
                Ok(created) => self.thanks(&created),
                Err(error) => {
                    failed(self.texts, Some(self.site), &ServiceError::internal("a replayed answer", error))
                }
            },
            Err(ServiceError::Invalid(fields)) if fields.contains_key("Idempotency-Key") => {
                self.already_sent()
            }
            Err(ServiceError::Conflict { code: "request_in_progress", .. }) => self.already_sent(),
            Err(ServiceError::Invalid(fields)) => {
                let (errors, problem) = self.refusals(&rules, &fields);
                self.refused(StatusCode::UNPROCESSABLE_ENTITY, errors, problem, photo_sent).await
            }
            Err(error) => self.failure(error, &rules, photo_sent).await,
        }
    }

    /// Rate limited, gone, or our own failure: the form again with what the rules found, and
    /// the problem above it.
    async fn failure(
        &self,
        error: ServiceError,
        rules: &Result<fanfare_protocol::NewTestimonial, FieldErrors>,
        photo_sent: bool,
    ) -> Response {
        let errors = self.rule_refusals(rules);
        match error {
            ServiceError::RateLimited { retry_after_secs } => {
                let problem = Some(self.texts.get("page.rate_limited").to_owned());
                let mut response =
                    self.refused(StatusCode::TOO_MANY_REQUESTS, errors, problem, photo_sent).await;
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            ServiceError::NotFound(_) => page(
                StatusCode::NOT_FOUND,
                views::message_page(self.texts, None, self.texts.get("page.not_found"), None),
            ),
            error => {
                tracing::error!(%error, site = %self.site.slug, "a collection page submission failed");
                let problem = Some(self.texts.get("page.failed").to_owned());
                self.refused(StatusCode::INTERNAL_SERVER_ERROR, errors, problem, photo_sent).await
            }
        }
    }

    fn photo_refusal(&self) -> String {
        let megabytes = self.texts.count((MAX_UPLOAD_BYTES / (1024 * 1024)) as u64);
        self.texts.refusal("photo", &self.texts.fill("page.photo_refused", &[("n", &megabytes)]))
    }

    /// The shared rules' refusals, as sentences in the page's language.
    fn rule_refusals(
        &self,
        rules: &Result<fanfare_protocol::NewTestimonial, FieldErrors>,
    ) -> Vec<(String, String)> {
        let Err(errors) = rules else { return Vec::new() };
        errors
            .iter()
            .map(|(field, error)| {
                (field.to_owned(), self.texts.refusal(field, &self.texts.field_error(error)))
            })
            .collect()
    }

    /// Every refusal: the rules' in the page's language, then what only the server checks (the
    /// puzzle becomes a problem above the form; a photo refusal says what a photo must be).
    fn refusals(
        &self,
        rules: &Result<fanfare_protocol::NewTestimonial, FieldErrors>,
        service: &BTreeMap<String, String>,
    ) -> (Vec<(String, String)>, Option<String>) {
        let mut errors = self.rule_refusals(rules);
        let mut problem = None;
        for (field, message) in service {
            if errors.iter().any(|(known, _)| known == field) {
                continue;
            }
            match field.as_str() {
                "pow" => problem = Some(self.texts.get("page.needs_javascript").to_owned()),
                "photo" => errors.push((field.clone(), self.photo_refusal())),
                _ => errors.push((field.clone(), self.texts.refusal(field, message))),
            }
        }
        (errors, problem)
    }

    /// The form again (the photo is never kept), with every refusal named.
    async fn refused(
        &self,
        status: StatusCode,
        mut errors: Vec<(String, String)>,
        problem: Option<String>,
        photo_sent: bool,
    ) -> Response {
        let position =
            |field: &str| FIELD_ORDER.iter().position(|known| *known == field).unwrap_or(FIELD_ORDER.len());
        errors.sort_by_key(|(field, _)| position(field));
        let mut values = self.values.clone();
        if self.idempotency_key().is_none() {
            values.key = secrets::nonce();
        }
        // A solved puzzle is spent once checked: the next send solves a new one.
        values.pow.clear();
        let invitation = match values.invite.trim() {
            "" => Invitation::None,
            token => match invitation_link(self.state, self.site, token).await {
                Ok(InviteLink::Usable { .. }) => Invitation::Usable,
                Ok(_) => Invitation::NotUsable,
                Err(error) => return failed(self.texts, Some(self.site), &error),
            },
        };
        if invitation != Invitation::Usable {
            values.invite.clear();
        }
        let view = FormView {
            values: &values,
            invitation,
            errors: &errors,
            problem: problem.as_deref(),
            photo_dropped: photo_sent,
            needs_script: self.site.proof_of_work > 0 && invitation != Invitation::Usable,
            recorder: recorder_url(self.state),
        };
        page(status, views::form_page(self.texts, self.site, &view))
    }

    fn thanks(&self, created: &TestimonialCreated) -> Response {
        let private = self.private();
        let happy = self.values.rating().is_some_and(|stars| stars >= REFERRAL_OFFER_MIN_RATING);
        let thanks = Thanks {
            manage_url: &created.manage_url,
            verified: created.verified,
            private,
            offer: (happy && !private).then_some((self.values.name.as_str(), self.values.email.as_str())),
        };
        page(StatusCode::OK, views::thanks_page(self.texts, self.site, &thanks))
    }

    fn already_sent(&self) -> Response {
        let texts = self.texts;
        let html = views::message_page(
            texts,
            Some(self.site),
            texts.get("collect.thanks_title"),
            Some(texts.get("page.already_sent")),
        );
        page(StatusCode::CONFLICT, html)
    }
}

/// `POST /c/{site}/refer`: the thank-you screen's offer, through the same operation as the
/// widget's; the personal link to share, or the form again with what was refused.
async fn refer(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let site = match posted_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let texts = browser_texts(&headers);
    let values = match posted::read(request).await {
        Ok(posted) => posted.values,
        Err(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                views::message_page(&texts, Some(&site), texts.get("page.cross_site"), None),
            )
        }
    };
    let texts = site_page_texts(&site, language::choose(Some(&values.lang), None, accept_language(&headers)));
    let request = CreateReferral {
        name: Some(values.name.clone()),
        email: Some(values.email.clone()),
        page_url: None,
        device: None,
    };
    let rules: Vec<(String, String)> = match request.validate() {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|(field, error)| (field.to_owned(), texts.refusal(field, &texts.field_error(error))))
            .collect(),
    };
    match state.service.refer(&site, ip, texts.lang, request).await {
        Ok(created) => page(StatusCode::OK, views::referral_ready(&texts, &site, &created.link)),
        Err(ServiceError::Invalid(fields)) => {
            let mut errors = rules;
            for (field, message) in fields {
                if !errors.iter().any(|(known, _)| *known == field) {
                    let sentence = texts.refusal(&field, &message);
                    errors.push((field, sentence));
                }
            }
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::referral_refused(&texts, &site, &values, &errors, None),
            )
        }
        Err(ServiceError::RateLimited { retry_after_secs }) => {
            let problem = texts.get("page.rate_limited");
            let html = views::referral_refused(&texts, &site, &values, &rules, Some(problem));
            let mut response = page(StatusCode::TOO_MANY_REQUESTS, html);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Err(error) => failed(&texts, Some(&site), &error),
    }
}

/// `GET /c/{site}/qr.svg`: the page's absolute address as a QR code. It changes only with the
/// server's public address, so caches may keep it a day.
async fn qr_code(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let site = match find_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let url = page_url(state.service.public_url(), &site.slug);
    let Some(svg) = qr::svg(&url) else {
        let error = ServiceError::internal("drawing the QR code", "the address is too long for a QR code");
        return failed(&browser_texts(&headers), Some(&site), &error);
    };
    let cached = Cached { etag: etag(svg.as_bytes()), body: svg.into() };
    revalidated(cached, &headers, "image/svg+xml", "public, max-age=86400")
}

/// `GET /c/{site}/theme.css`: the site's accent, made readable; revalidated on every use so a
/// new colour shows at once.
async fn theme_stylesheet(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let site = match find_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let css = theme::stylesheet(&site.accent);
    let cached = Cached { etag: etag(css.as_bytes()), body: css.into() };
    revalidated(cached, &headers, "text/css; charset=utf-8", "no-cache")
}
