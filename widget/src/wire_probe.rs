//! json.rs's readers and writers, exported for the browser test that runs them against the
//! protocol types (`tests/tests/wire.rs`). Compiled only with the `wire-probe` feature, into a
//! separate build (`target/widget-wire`); the shipped widget never carries it.
//!
//! The test hands in a body (from the real server, or serde_json's text of a protocol value) and
//! gets back what the widget made of it, written by the protocol type's own serde derive, so it
//! can compare the two field by field: a field renamed in `protocol` is one json.rs no longer
//! finds, and the comparison fails. The one body whose other side is not `protocol` but the
//! loader, the mount configuration, is noted as [`crate::mount`] reads it ([`wire_mounted`]).

use fanfare_protocol::api::{
    ApiError, Challenge, TestimonialCreated, UploadCreated, WidgetConfig, WidgetTheme,
};
use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use fanfare_protocol::SubmitTestimonial;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::api::Refusal;
use crate::config::MountConfig;
use crate::json::{FromJson, ToJson};
use crate::site::Site;

thread_local! {
    /// Every configuration [`crate::mount`] read from the loader, as [`wire_mounted`] gives it.
    static MOUNTED: std::cell::RefCell<Vec<serde_json::Value>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads `body` (a parsed JSON body) as the widget reads a `kind` answer, and returns what it
/// read as the protocol type's JSON; `undefined` when the widget could not read it.
#[wasm_bindgen]
pub fn wire_read(kind: &str, body: JsValue) -> Option<String> {
    match kind {
        "Challenge" => json(&Challenge::read(body)?),
        "TestimonialCreated" => json(&TestimonialCreated::read(body)?),
        "UploadCreated" => json(&UploadCreated::read(body)?),
        "ReferralCreated" => json(&ReferralCreated::read(body)?),
        "WidgetConfig" => json(&as_widget_config(Site::read(body)?)),
        "ApiError" => json(&as_api_error(Refusal::read(body)?)),
        _ => None,
    }
}

/// Writes `value` (serde_json's text of a `kind` value) as the widget writes that body; the
/// JSON text the widget would send, `undefined` when it could not.
#[wasm_bindgen]
pub fn wire_write(kind: &str, value: &str) -> Option<String> {
    match kind {
        "SubmitTestimonial" => serde_json::from_str::<SubmitTestimonial>(value).ok()?.to_json(),
        "CreateReferral" => serde_json::from_str::<CreateReferral>(value).ok()?.to_json(),
        _ => None,
    }
}

fn json(value: &impl Serialize) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// The widget keeps only part of the configuration ([`Site`]); the fields it does not read are
/// left at their defaults, and the test blanks them in what it expects too. A field added to
/// `WidgetConfig` stops this compiling until someone decides whether the widget reads it.
fn as_widget_config(site: Site) -> WidgetConfig {
    // `texts_object` is `texts` as the browser parsed them, handed on as they are.
    let Site { name, accent, texts, texts_object: _, consent_text, low_rating_threshold, proof_of_work } =
        site;
    WidgetConfig {
        site: String::new(),
        name,
        theme: WidgetTheme { accent },
        texts: texts.into_iter().collect(),
        consent_text,
        consent_version: 0,
        modes: Vec::new(),
        low_rating_threshold,
        proof_of_work,
        referral_attribution: Default::default(),
    }
}

/// The widget keeps a refusal's sentence and its fields, not its machine code (left empty).
fn as_api_error(refusal: Refusal) -> ApiError {
    let Refusal { message, fields } = refusal;
    ApiError { error: String::new(), message, fields: fields.into_iter().collect() }
}

/// Notes what [`crate::mount`] read of the loader's configuration, by the Rust field names (the
/// loader, not `protocol`, is its other side). Taken apart field by field, so a field added to
/// [`MountConfig`] does not compile here until the test looks at it too.
pub fn mounted(config: &MountConfig) {
    let MountConfig { api, site, lang, theme, page_url, referral, device, recorder } = config;
    let read = serde_json::json!({
        "api": api, "site": site, "lang": lang, "theme": theme,
        "page_url": page_url, "referral": referral, "device": device,
        // A function: whether the widget found it.
        "recorder": recorder.is_some(),
    });
    MOUNTED.with(|mounted| mounted.borrow_mut().push(read));
}

/// The configurations the page's mounts were given, as json.rs read them from the loader's
/// objects: a JSON array, oldest first.
#[wasm_bindgen]
pub fn wire_mounted() -> String {
    MOUNTED.with(|mounted| serde_json::Value::Array(mounted.borrow().clone()).to_string())
}
