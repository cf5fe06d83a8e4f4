//! The Fanfare widget: the forms (collect, refer) and the floating button. `embed.js` creates a
//! shadow root per mount and calls [`mount`] with a container inside it; yew owns only that
//! container. The read-only modes (wall, carousel, badge) are rendered by the server.

mod api;
mod app;
mod collect;
mod config;
mod dialog;
mod field;
mod form_state;
mod json;
mod pow;
mod rating;
mod refer;
mod refusals;
mod site;
#[cfg(test)]
mod text_ids;
mod texts;
mod video;
#[cfg(feature = "wire-probe")]
mod wire_probe;

use wasm_bindgen::prelude::*;

use crate::app::{App, AppProps};
use crate::config::{Mode, MountConfig};
use crate::json::FromJson;

/// Renders `mode` into `container`. `config` (a plain object) carries the script tag's settings
/// (see [`MountConfig`]); a bad configuration is reported on the console, never thrown into
/// the host page.
#[wasm_bindgen]
pub fn mount(container: web_sys::Element, mode: String, config: JsValue) {
    let Some(mode) = Mode::parse(&mode) else {
        web_sys::console::warn_2(&"Fanfare: unknown mode".into(), &mode.into());
        return;
    };
    let Some(config) = MountConfig::read(config) else {
        web_sys::console::error_1(&"Fanfare: bad mount configuration (api and site are required)".into());
        return;
    };
    #[cfg(feature = "wire-probe")]
    wire_probe::mounted(&config);
    let props = AppProps { mode, config: std::rc::Rc::new(config) };
    yew::Renderer::<App>::with_root_and_props(container, props).render();
}
