//! The site's settings as the widget uses them, from `GET …/sites/{site}/widget`.

/// The parts of the server's `WidgetConfig` the widget shows or obeys. A view of its own rather
/// than the protocol type: that one keeps its texts in a `BTreeMap`, whose code would cost the
/// size-budgeted wasm kilobytes for a lookup table of a hundred entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub name: String,
    /// The site's accent colour (CSS), applied as `--fanfare-site-accent`.
    pub accent: String,
    /// Text id → wording, in the widget's language, with the site's own wording on top.
    pub texts: Vec<(String, String)>,
    /// The same texts as the server sent them (a plain object), for the video recorder.
    pub texts_object: wasm_bindgen::JsValue,
    pub consent_text: String,
    /// Ratings at or below it are private feedback, never published.
    pub low_rating_threshold: u8,
    /// Leading zero bits a submission's proof of work must reach; 0 for none.
    pub proof_of_work: u8,
}
