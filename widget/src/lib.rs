//! The Fanfare widget. `embed.js` creates a shadow root per `data-fanfare` element and calls
//! [`mount`] with a container inside it; yew owns only that container.

mod api;
mod app;
mod badge;
mod carousel;
mod collect;
mod config;
mod dialog;
mod field;
mod form_state;
mod pow;
mod rating;
mod refer;
mod texts;
mod wall;

use wasm_bindgen::prelude::*;

use crate::app::{App, AppProps};
use crate::config::{Mode, MountConfig};

/// Renders `mode` into `container`. `config` (a plain object) carries the script tag's settings
/// (see [`MountConfig`]); a bad configuration is reported on the console, never thrown into
/// the host page.
#[wasm_bindgen]
pub fn mount(container: web_sys::Element, mode: String, config: JsValue) {
    let Some(mode) = Mode::parse(&mode) else {
        web_sys::console::warn_1(&format!("Fanfare: unknown mode {mode:?}").into());
        return;
    };
    let config = match serde_wasm_bindgen::from_value::<MountConfig>(config) {
        Ok(config) => config,
        Err(error) => {
            web_sys::console::error_1(&format!("Fanfare: bad mount configuration: {error}").into());
            return;
        }
    };
    let props = AppProps { mode, config: std::rc::Rc::new(config) };
    yew::Renderer::<App>::with_root_and_props(container, props).render();
}
