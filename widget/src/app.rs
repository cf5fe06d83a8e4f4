use std::rc::Rc;

use crate::site::Site;
use yew::prelude::*;

use crate::api;
use crate::collect::Collect;
use crate::config::{Mode, MountConfig};
use crate::dialog::Floating;
use crate::refer::Refer;
use crate::texts::Texts;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub mode: Mode,
    pub config: Rc<MountConfig>,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Rc<Site>),
    Failed(String),
}

/// One mount: loads the site's widget settings, applies its theme, renders the mode.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let load = use_state(|| Load::Loading);
    let root = use_node_ref();
    {
        let (load, config) = (load.clone(), props.config.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api::widget_config(&config).await {
                    Ok(site) => Load::Ready(Rc::new(site)),
                    Err(problem) => Load::Failed(problem),
                });
            });
        });
    }
    {
        // Through the CSSOM, not a style attribute: host pages with a strict CSP block the latter.
        let root = root.clone();
        use_effect_with((*load).clone(), move |load| {
            if let (Load::Ready(site), Some(element)) = (load, root.cast::<web_sys::HtmlElement>()) {
                let _ = element.style().set_property("--fanfare-site-accent", &site.accent);
            }
        });
    }

    let theme = props
        .config
        .theme
        .clone()
        .filter(|theme| theme == "light" || theme == "dark")
        .unwrap_or_else(|| "auto".into());
    let content = match &*load {
        Load::Loading => Html::default(),
        Load::Failed(problem) => html! { <p class="fanfare-alert" role="alert">{ problem }</p> },
        Load::Ready(site) => {
            let texts = Texts::new(site.texts.clone(), props.config.lang.as_deref().unwrap_or("en"));
            let (config, site) = (props.config.clone(), site.clone());
            match props.mode {
                Mode::Collect => html! { <Collect {config} {site} {texts} /> },
                Mode::Refer => html! { <Refer {config} {texts} /> },
                Mode::Floating => html! { <Floating {config} {site} {texts} /> },
            }
        }
    };
    let lang = props.config.lang.clone().unwrap_or_else(|| "en".into());
    // Arabic (and any other right-to-left language) lays the whole widget out from the right.
    let dir = if fanfare_protocol::languages::is_right_to_left(&lang) { "rtl" } else { "ltr" };
    html! {
        <div ref={root} class="fanfare" data-theme={theme} lang={lang} dir={dir}>
            { content }
        </div>
    }
}
