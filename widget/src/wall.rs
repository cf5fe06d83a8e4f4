use std::rc::Rc;

use fanfare_protocol::api::{PublicTestimonial, TestimonialPage, WidgetConfig};
use fanfare_protocol::fields::without_bidi_controls as shown;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::api;
use crate::config::MountConfig;
use crate::texts::{stars_label, summary_label, Texts};

#[derive(Properties, PartialEq)]
pub struct WallProps {
    pub config: Rc<MountConfig>,
    pub site: Rc<WidgetConfig>,
    pub texts: Texts,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(Rc<TestimonialPage>),
    Failed(String),
}

/// The approved testimonials, labelled as a selection, with the honest summary.
#[function_component(Wall)]
pub fn wall(props: &WallProps) -> Html {
    let load = use_state(|| Load::Loading);
    {
        let (load, config) = (load.clone(), props.config.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api::testimonials(&config, None).await {
                    Ok(page) => Load::Loaded(Rc::new(page)),
                    Err(problem) => Load::Failed(problem),
                });
            });
        });
    }
    let texts = &props.texts;
    let body = match &*load {
        Load::Loading => {
            html! { <p class="fanfare-muted" role="status">{ texts.get("wall.loading") }</p> }
        }
        Load::Failed(problem) => html! { <p class="fanfare-alert" role="alert">{ problem }</p> },
        Load::Loaded(page) => html! {
            <>
                if let Some(average) = page.summary.average {
                    <p class="fanfare-summary" part="summary">
                        <span class="fanfare-stars-static" aria-hidden="true">{ "★" }</span>
                        { " " }{ summary_label(average, page.summary.count) }
                    </p>
                }
                if page.items.is_empty() {
                    <p class="fanfare-muted">{ texts.get("wall.empty") }</p>
                } else {
                    <ul class="fanfare-grid" part="grid">
                        { for page.items.iter().map(|item| card(item, &props.site.name, texts)) }
                    </ul>
                }
            </>
        },
    };
    html! {
        <section class="fanfare-wall" part="wall" aria-labelledby="fanfare-wall-title">
            <h2 class="fanfare-title" id="fanfare-wall-title">{ texts.get("wall.title") }</h2>
            { body }
        </section>
    }
}

const STAR: &str = "★";

fn card(item: &PublicTestimonial, site_name: &str, texts: &Texts) -> Html {
    let byline: Vec<&str> = [item.role.as_deref(), item.company.as_deref()].into_iter().flatten().collect();
    let lit = usize::from(item.rating.min(5));
    let (lit_stars, unlit_stars) = (STAR.repeat(lit), STAR.repeat(5 - lit));
    html! {
        <li class="fanfare-item" key={item.id.clone()}>
            <article class="fanfare-card fanfare-testimonial" part="card testimonial">
                <p class="fanfare-stars-static" role="img" aria-label={stars_label(item.rating)}>
                    { lit_stars }
                    <span class="fanfare-stars-off" aria-hidden="true">{ unlit_stars }</span>
                </p>
                <blockquote class="fanfare-quote" part="quote" dir="auto">{ shown(&item.text) }</blockquote>
                <footer class="fanfare-byline" part="byline">
                    if let Some(photo) = &item.photo_url {
                        // Fixed size from the stylesheet: the card never shifts when it loads.
                        <img class="fanfare-photo" part="photo" src={photo.clone()} alt="" loading="lazy" width="48" height="48" />
                    }
                    <bdi class="fanfare-name" part="name">{ shown(&item.name) }</bdi>
                    if !byline.is_empty() { <bdi class="fanfare-muted">{ shown(&byline.join(", ")) }</bdi> }
                    <time class="fanfare-muted" datetime={item.created_at.clone()}>{ date_label(&item.created_at) }</time>
                    if item.edited { <span class="fanfare-muted fanfare-edited">{ texts.get("wall.edited") }</span> }
                </footer>
                if let Some(reply) = &item.reply {
                    <div class="fanfare-reply" part="reply">
                        <p class="fanfare-label">{ format!("{} · {site_name}", texts.get("wall.reply")) }</p>
                        <p dir="auto">{ shown(reply) }</p>
                    </div>
                }
            </article>
        </li>
    }
}

/// The browser formats dates: no date tables in the wasm.
fn date_label(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    let options = js_sys::Object::new();
    for (key, value) in [("year", "numeric"), ("month", "long"), ("day", "numeric")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    String::from(date.to_locale_date_string("en", &options))
}
