//! Calls to the Fanfare server through the browser's own `fetch` and `JSON` (read by
//! [`crate::json`]), so the widget carries no HTTP client or JSON parser of its own. Every failure becomes a sentence the
//! widget can show.

use fanfare_protocol::api::{Challenge, TestimonialCreated, UploadCreated};
use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use fanfare_protocol::SubmitTestimonial;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::config::MountConfig;
use crate::json::{FromJson, ToJson};
use crate::site::Site;

pub enum SubmitError {
    /// The server refused named fields.
    Fields(Vec<(String, String)>),
    /// Anything else, as a sentence.
    Other(String),
}

/// The parts of the server's error body (`ApiError`) the widget shows.
pub struct Refusal {
    pub message: String,
    /// Field wire name → why; empty when the refusal is not about fields.
    pub fields: Vec<(String, String)>,
}

const NETWORK_TROUBLE: &str = "We could not reach the server. Check your connection and try again.";

pub async fn challenge(config: &MountConfig) -> Result<Challenge, String> {
    get_json(&config.site_url("/challenge")).await
}

/// The site's settings, with its texts in the widget's language.
pub async fn widget_config(config: &MountConfig) -> Result<Site, String> {
    let lang = config.lang.as_deref().unwrap_or("en");
    get_json(&(config.site_url("/widget") + "?lang=" + &String::from(js_sys::encode_uri_component(lang))))
        .await
}

pub async fn submit(
    config: &MountConfig,
    body: &SubmitTestimonial,
) -> Result<TestimonialCreated, SubmitError> {
    post_json(&config.site_url("/testimonials"), body).await
}

pub async fn create_referral(
    config: &MountConfig,
    body: &CreateReferral,
) -> Result<ReferralCreated, SubmitError> {
    post_json(&config.site_url("/referrals"), body).await
}

/// Sends a photo file as the request body; the server decides its type from the content.
pub async fn upload_photo(config: &MountConfig, file: web_sys::File) -> Result<UploadCreated, SubmitError> {
    let created = post(&config.site_url("/uploads"), &file, None).await?;
    UploadCreated::read(created).ok_or_else(trouble)
}

async fn post_json<B: ToJson, T: FromJson>(url: &str, body: &B) -> Result<T, SubmitError> {
    let text = body.to_json().ok_or_else(trouble)?;
    let created = post(url, &JsValue::from_str(&text), Some("application/json")).await?;
    T::read(created).ok_or_else(trouble)
}

/// GET a JSON document; a refusal becomes the server's own message.
async fn get_json<T: FromJson>(url: &str) -> Result<T, String> {
    T::read(get(url).await?).ok_or_else(|| NETWORK_TROUBLE.to_owned())
}

// The requests themselves are not generic: one copy of each in the wasm, whatever the body
// types (only reading the parsed answer into a type is).

/// POSTs `body`; a `201` answer's parsed body, anything else as a [`SubmitError`].
async fn post(url: &str, body: &JsValue, content_type: Option<&str>) -> Result<JsValue, SubmitError> {
    let response = fetch(url, "POST", Some(body), content_type).await.map_err(|()| trouble())?;
    let parsed = parsed_body(&response).await;
    if response.status() == 201 {
        return parsed.map_err(|()| trouble());
    }
    match parsed.ok().and_then(Refusal::read) {
        Some(refusal) if !refusal.fields.is_empty() => Err(SubmitError::Fields(refusal.fields)),
        Some(refusal) => Err(SubmitError::Other(refusal.message)),
        None => Err(trouble()),
    }
}

/// GETs a parsed JSON body; a refusal becomes the server's own message.
async fn get(url: &str) -> Result<JsValue, String> {
    let response = fetch(url, "GET", None, None).await.map_err(|()| NETWORK_TROUBLE.to_owned())?;
    let parsed = parsed_body(&response).await;
    if response.ok() {
        return parsed.map_err(|()| NETWORK_TROUBLE.to_owned());
    }
    Err(parsed
        .ok()
        .and_then(Refusal::read)
        .map_or_else(|| NETWORK_TROUBLE.to_owned(), |refusal| refusal.message))
}

fn trouble() -> SubmitError {
    SubmitError::Other(NETWORK_TROUBLE.to_owned())
}

async fn fetch(
    url: &str,
    method: &str,
    body: Option<&JsValue>,
    content_type: Option<&str>,
) -> Result<Response, ()> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(body);
    }
    if let Some(content_type) = content_type {
        let headers = js_sys::Object::new();
        js_sys::Reflect::set(&headers, &"Content-Type".into(), &content_type.into()).map_err(drop)?;
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or(())?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(drop)?;
    response.dyn_into::<Response>().map_err(drop)
}

/// The body parsed by the browser's JSON parser.
async fn parsed_body(response: &Response) -> Result<JsValue, ()> {
    JsFuture::from(response.json().map_err(drop)?).await.map_err(drop)
}
