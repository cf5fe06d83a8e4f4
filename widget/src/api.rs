//! Calls to the Fanfare server. Every failure becomes a sentence the widget can show.

use fanfare_protocol::api::{
    ApiError, Challenge, TestimonialCreated, TestimonialPage, UploadCreated, WidgetConfig,
};
use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use fanfare_protocol::SubmitTestimonial;
use gloo_net::http::Request;

use crate::config::MountConfig;

pub enum SubmitError {
    /// The server refused named fields.
    Fields(Vec<(String, String)>),
    /// Anything else, as a sentence.
    Other(String),
}

const NETWORK_TROUBLE: &str = "We could not reach the server. Check your connection and try again.";

pub async fn challenge(config: &MountConfig) -> Result<Challenge, String> {
    get_json(&config.site_url("/challenge")).await
}

pub async fn widget_config(config: &MountConfig) -> Result<WidgetConfig, String> {
    get_json(&config.site_url("/widget")).await
}

pub async fn testimonials(config: &MountConfig) -> Result<TestimonialPage, String> {
    let mut url = config.site_url("/testimonials");
    let mut query = Vec::new();
    if let Some(limit) = config.limit {
        query.push(format!("limit={limit}"));
    }
    if let Some(tag) = config.tags.as_deref().and_then(|tags| tags.split(',').next()).map(str::trim) {
        if !tag.is_empty() {
            query.push(format!("tag={}", js_sys::encode_uri_component(tag)));
        }
    }
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
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
    let request = Request::post(&config.site_url("/uploads"))
        .body(file)
        .map_err(|_| SubmitError::Other(NETWORK_TROUBLE.to_owned()))?;
    expect_created(request).await
}

/// POST a JSON body expecting `201`; refusals come back by field where the server named them.
async fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, SubmitError> {
    let request =
        Request::post(url).json(body).map_err(|_| SubmitError::Other(NETWORK_TROUBLE.to_owned()))?;
    expect_created(request).await
}

/// Sends the request; `201` carries the answer, anything else becomes a [`SubmitError`].
async fn expect_created<T: serde::de::DeserializeOwned>(request: Request) -> Result<T, SubmitError> {
    let response = request.send().await.map_err(|_| SubmitError::Other(NETWORK_TROUBLE.to_owned()))?;
    if response.status() == 201 {
        return response.json().await.map_err(|_| SubmitError::Other(NETWORK_TROUBLE.to_owned()));
    }
    match response.json::<ApiError>().await {
        Ok(error) if !error.fields.is_empty() => Err(SubmitError::Fields(error.fields.into_iter().collect())),
        Ok(error) => Err(SubmitError::Other(error.message)),
        Err(_) => Err(SubmitError::Other(NETWORK_TROUBLE.to_owned())),
    }
}

/// GET a JSON document; a refusal becomes the server's own message.
async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    let response = Request::get(url).send().await.map_err(|_| NETWORK_TROUBLE.to_owned())?;
    if !response.ok() {
        return Err(error_message(response).await);
    }
    response.json().await.map_err(|_| NETWORK_TROUBLE.to_owned())
}

async fn error_message(response: gloo_net::http::Response) -> String {
    match response.json::<ApiError>().await {
        Ok(error) => error.message,
        Err(_) => NETWORK_TROUBLE.to_owned(),
    }
}
