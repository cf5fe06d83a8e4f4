//! Every text the widget shows, by id, in the widget's language, and the numbers in it. The
//! wording comes from the server (`server/src/texts/`: every language, English included, with
//! the site's own wording on top), so the wasm carries no text tables.

use std::rc::Rc;

use fanfare_protocol::errors::FieldError;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    texts: Rc<Vec<(String, String)>>,
    lang: Rc<str>,
}

impl Texts {
    /// `texts` as the server sent them for `lang`.
    pub fn new(texts: Vec<(String, String)>, lang: &str) -> Self {
        Self { texts: Rc::new(texts), lang: lang.into() }
    }

    /// A count as the language writes it ("1,234", "1.234"…).
    pub fn count(&self, value: u64) -> String {
        // Counts shown to people stay far below 2^53, where f64 is exact.
        #[allow(clippy::cast_precision_loss)]
        let number = value as f64;
        intl_format(&self.lang, "NumberFormat", &js_sys::Object::new(), &number.into())
            .unwrap_or_else(|| digits(value))
    }

    /// "Name is required": a refusal with its subject, so that it reads on its own where it is
    /// announced.
    pub fn refusal(&self, field: &str, message: &str) -> String {
        let mut label = self.get(&["field.", field].concat());
        if label.is_empty() {
            label = self.get("field.other");
        }
        self.get("error.sentence").replace("{field}", &label).replace("{message}", message)
    }

    /// Why a field was refused, in the widget's language.
    pub fn field_error(&self, error: &FieldError) -> String {
        let text = self.get(&["error.", error.code()].concat());
        match error {
            FieldError::TooShort { min: limit } | FieldError::TooLong { max: limit } => {
                text.replace("{n}", &self.count(u64::try_from(*limit).unwrap_or(u64::MAX)))
            }
            _ => text,
        }
    }

    /// The wording of text `id`; empty for an id the server does not know.
    pub fn get(&self, id: &str) -> String {
        self.texts.iter().find(|(key, _)| key == id).map(|(_, text)| text.clone()).unwrap_or_default()
    }
}

/// "4 out of 5 stars", in the widget's language.
pub fn stars_label(texts: &Texts, rating: u8) -> String {
    texts.get("stars").replace("{n}", &texts.count(rating.into()))
}

/// `value` in ASCII digits, for ids and addresses (what people read goes through
/// [`Texts::count`]). Written out because `to_string` would pull `core::fmt` into the wasm.
pub fn digits(mut value: u64) -> String {
    let mut reversed = Vec::new();
    loop {
        reversed.push(char::from(b'0' + (value % 10) as u8));
        value /= 10;
        if value == 0 {
            break;
        }
    }
    reversed.iter().rev().collect()
}

/// `new Intl.<kind>(lang, options).format(value)`. A language tag the browser rejects
/// (`en_US` is common on real pages) falls back to the browser's own language instead of
/// throwing into the widget.
fn intl_format(lang: &str, kind: &str, options: &js_sys::Object, value: &JsValue) -> Option<String> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let constructor = Reflect::get(&intl, &kind.into()).ok()?.dyn_into::<Function>().ok()?;
    let formatter = Reflect::construct(&constructor, &Array::of2(&lang.into(), options))
        .or_else(|_| Reflect::construct(&constructor, &Array::of2(&JsValue::UNDEFINED, options)))
        .ok()?;
    let format = Reflect::get(&formatter, &"format".into()).ok()?.dyn_into::<Function>().ok()?;
    format.call1(&formatter, value).ok()?.as_string()
}

#[cfg(test)]
mod tests {
    use super::digits;

    #[test]
    fn digits_are_plain_decimal() {
        for value in [0, 7, 10, 409, 1_000_000, u64::MAX] {
            assert_eq!(digits(value), value.to_string());
        }
    }
}
