//! Calls to the Fanfare server through the browser's own `fetch` and `JSON` (read by
//! [`crate::json`]), so the widget carries no HTTP client or JSON parser of its own. Every failure becomes a sentence the
//! widget can show.

use fanfare_protocol::api::{Challenge, TestimonialCreated, TestimonialPage, UploadCreated};
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

pub async fn testimonials(config: &MountConfig, cursor: Option<&str>) -> Result<TestimonialPage, String> {
    let mut url = config.site_url("/testimonials");
    let mut add = |name: &str, value: &str| {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(name);
        url.push('=');
        url.push_str(&String::from(js_sys::encode_uri_component(value)));
    };
    if let Some(limit) = config.limit {
        add("limit", &crate::texts::digits(u64::from(limit)));
    }
    if let Some(tag) = config.tags.as_deref().and_then(|tags| tags.split(',').next()).map(str::trim) {
        if !tag.is_empty() {
            add("tag", tag);
        }
    }
    if let Some(cursor) = cursor {
        add("cursor", cursor);
    }
    get_json(&url).await
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
    expect_created(fetch(&config.site_url("/uploads"), "POST", Some(&file), None).await).await
}

async fn post_json<B: ToJson, T: FromJson>(url: &str, body: &B) -> Result<T, SubmitError> {
    let text = body.to_json().ok_or_else(|| SubmitError::Other(NETWORK_TROUBLE.to_owned()))?;
    expect_created(fetch(url, "POST", Some(&JsValue::from_str(&text)), Some("application/json")).await).await
}

/// A `201` carries the answer; anything else becomes a [`SubmitError`].
async fn expect_created<T: FromJson>(response: Result<Response, ()>) -> Result<T, SubmitError> {
    let trouble = || SubmitError::Other(NETWORK_TROUBLE.to_owned());
    let response = response.map_err(|()| trouble())?;
    if response.status() == 201 {
        return json(&response).await.map_err(|()| trouble());
    }
    match json::<Refusal>(&response).await {
        Ok(error) if !error.fields.is_empty() => Err(SubmitError::Fields(error.fields)),
        Ok(error) => Err(SubmitError::Other(error.message)),
        Err(()) => Err(trouble()),
    }
}

/// GET a JSON document; a refusal becomes the server's own message.
async fn get_json<T: FromJson>(url: &str) -> Result<T, String> {
    let response = fetch(url, "GET", None, None).await.map_err(|()| NETWORK_TROUBLE.to_owned())?;
    if !response.ok() {
        return Err(json::<Refusal>(&response)
            .await
            .map_or_else(|()| NETWORK_TROUBLE.to_owned(), |error| error.message));
    }
    json(&response).await.map_err(|()| NETWORK_TROUBLE.to_owned())
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

async fn json<T: FromJson>(response: &Response) -> Result<T, ()> {
    let value = JsFuture::from(response.json().map_err(drop)?).await.map_err(drop)?;
    T::read(value).ok_or(())
}
