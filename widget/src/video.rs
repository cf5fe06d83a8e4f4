//! "Add a video": the video recorder, a plain ES module of its own (`widget/loader/recorder.js`),
//! downloaded only when a visitor asks for it, so the widget's own download stays within its
//! budget. wasm cannot `import()` (wasm-bindgen makes no chunks, and `eval` is not ours to use
//! under a host's CSP): the loader hands each mount a function that imports the recorder's
//! hashed file and opens it ([`MountConfig::recorder`]); this calls it.

use wasm_bindgen::prelude::*;

use crate::config::MountConfig;
use crate::site::Site;

/// Opens the recorder in `container`, with the site's texts. `on_change` hears what it says of
/// the video: the upload's id once stored, `""` while one is on its way, `null` when there is
/// none, and `false` when the recorder could not be downloaded.
pub fn open(
    config: &MountConfig,
    site: &Site,
    container: &web_sys::Element,
    mut on_change: impl FnMut(JsValue) + 'static,
) {
    let Some(recorder) = &config.recorder else {
        return on_change(JsValue::FALSE);
    };
    // Lives as long as the page: the recorder may call it until then.
    let changed = Closure::<dyn FnMut(JsValue)>::new(on_change);
    let _ = recorder.call3(&JsValue::NULL, container, &site.texts_object, &changed.into_js_value());
}
