//! The server's JSON, read and written field by field on the browser's own parsed objects.
//!
//! The types are `fanfare-protocol`'s, so the server and the widget share one definition of
//! every body, but the wire names are written again here: reading and writing them through the
//! types' serde derives with serde-wasm-bindgen made the widget 14,104 bytes of brotli larger
//! (80,463 → 94,567, measured for issue 14), far over its 80 KB budget, while these readers cost
//! a few hundred bytes each. What keeps the two spellings together is the browser test
//! `tests/tests/wire.rs`: it runs these very readers and writers (exported by the test-only
//! `wire-probe` build, see `wire_probe.rs`) against the real server's bodies and against every
//! field of every protocol type, so a field renamed in `protocol` fails it.

use fanfare_protocol::api::{Challenge, Status, TestimonialCreated, UploadCreated};
use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use fanfare_protocol::SubmitTestimonial;
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::api::Refusal;
use crate::config::MountConfig;
use crate::site::Site;

/// A JSON object as the browser parsed it.
pub struct Object(JsValue);

impl Object {
    pub fn new(value: JsValue) -> Option<Self> {
        (value.is_object() && !Array::is_array(&value)).then_some(Self(value))
    }

    fn get(&self, key: &str) -> JsValue {
        Reflect::get(&self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// A string field; `None` when absent, `null` or not a string.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).as_string()
    }

    /// A boolean field; `None` when absent or not a boolean.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).as_bool()
    }

    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key).as_f64().filter(|number| number.is_finite())
    }

    /// A whole number that fits `T`; anything else counts as absent.
    pub fn whole<T: TryFrom<i64>>(&self, key: &str) -> Option<T> {
        let number = self.number(key)?;
        if number.fract() != 0.0 || number.abs() > 9_007_199_254_740_991.0 {
            return None;
        }
        // Exact: the value is whole and within the range f64 holds exactly.
        #[allow(clippy::cast_possible_truncation)]
        T::try_from(number as i64).ok()
    }

    pub fn object(&self, key: &str) -> Option<Object> {
        Object::new(self.get(key))
    }

    /// An object of strings (texts, field errors) as its key/value pairs.
    pub fn strings(&self) -> Vec<(String, String)> {
        js_sys::Object::entries(self.0.unchecked_ref())
            .iter()
            .filter_map(|entry| {
                let pair = Array::from(&entry);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect()
    }
}

/// A body the server sends.
pub trait FromJson: Sized {
    fn from_json(object: &Object) -> Option<Self>;

    fn read(value: JsValue) -> Option<Self> {
        Self::from_json(&Object::new(value)?)
    }
}

/// A body the widget sends, as the text of a JSON object.
pub trait ToJson {
    fn write(&self, object: &mut Writer);

    fn to_json(&self) -> Option<String> {
        let mut writer = Writer(js_sys::Object::new());
        self.write(&mut writer);
        js_sys::JSON::stringify(&writer.0).ok().map(String::from)
    }
}

/// Builds a plain object; absent optional fields are left out, as the server's types do.
pub struct Writer(js_sys::Object);

impl Writer {
    fn set(&mut self, key: &str, value: JsValue) {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value);
    }

    pub fn string(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.set(key, JsValue::from_str(value));
        }
    }

    pub fn bool(&mut self, key: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.set(key, JsValue::from_bool(value));
        }
    }

    pub fn whole(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            // Ratings and the like: far inside the range f64 holds exactly.
            #[allow(clippy::cast_precision_loss)]
            self.set(key, JsValue::from_f64(value as f64));
        }
    }
}

impl FromJson for MountConfig {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self {
            api: object.string("api")?,
            site: object.string("site")?,
            // `en_US` is common on real pages; the browser (its Intl, `lang=`) wants `en-US`.
            lang: object.string("lang").map(|lang| lang.replace('_', "-")),
            theme: object.string("theme"),
            page_url: object.string("page_url"),
            referral: object.string("ref"),
            device: object.string("device"),
            recorder: object.get("recorder").dyn_into().ok(),
        })
    }
}

impl FromJson for Site {
    fn from_json(object: &Object) -> Option<Self> {
        let texts = object.object("texts")?;
        Some(Self {
            name: object.string("name")?,
            accent: object.object("theme")?.string("accent")?,
            texts: texts.strings(),
            texts_object: texts.0,
            consent_text: object.string("consent_text")?,
            low_rating_threshold: object.whole("low_rating_threshold")?,
            proof_of_work: object.whole("proof_of_work").unwrap_or(0),
        })
    }
}

impl FromJson for TestimonialCreated {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self {
            id: object.string("id")?,
            status: Status::parse(&object.string("status")?)?,
            manage_url: object.string("manage_url")?,
            verified: object.bool("verified").unwrap_or(false),
        })
    }
}

impl FromJson for Challenge {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self { challenge: object.string("challenge")?, difficulty: object.whole("difficulty")? })
    }
}

impl FromJson for UploadCreated {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self { id: object.string("id")? })
    }
}

impl FromJson for ReferralCreated {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self { code: object.string("code")?, link: object.string("link")? })
    }
}

impl FromJson for Refusal {
    fn from_json(object: &Object) -> Option<Self> {
        Some(Self {
            message: object.string("message")?,
            fields: object.object("fields").map(|fields| fields.strings()).unwrap_or_default(),
        })
    }
}

// The writers take their value apart field by field, so a field added to the protocol type
// does not compile here until it is written too.

impl ToJson for SubmitTestimonial {
    fn write(&self, object: &mut Writer) {
        let Self {
            name,
            email,
            role,
            company,
            rating,
            text,
            consent,
            photo,
            video,
            captions,
            referral,
            page_url,
            contact_me,
            device,
            website,
            pow,
            invite,
        } = self;
        object.string("name", name.as_deref());
        object.string("email", email.as_deref());
        object.string("role", role.as_deref());
        object.string("company", company.as_deref());
        object.whole("rating", *rating);
        object.string("text", text.as_deref());
        object.bool("consent", *consent);
        object.string("photo", photo.as_deref());
        object.string("video", video.as_deref());
        object.string("captions", captions.as_deref());
        object.string("ref", referral.as_deref());
        object.string("page_url", page_url.as_deref());
        object.bool("contact_me", *contact_me);
        object.string("device", device.as_deref());
        object.string("website", website.as_deref());
        object.string("pow", pow.as_deref());
        object.string("invite", invite.as_deref());
    }
}

impl ToJson for CreateReferral {
    fn write(&self, object: &mut Writer) {
        let Self { name, email, page_url, device } = self;
        object.string("name", name.as_deref());
        object.string("email", email.as_deref());
        object.string("page_url", page_url.as_deref());
        object.string("device", device.as_deref());
    }
}
