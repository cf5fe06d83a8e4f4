//! The wall (a grid with "show more"), the carousel (one at a time) and the badge (the honest
//! summary): three views of the same approved testimonials.

use std::rc::Rc;

use fanfare_protocol::api::{PublicTestimonial, Summary};
use fanfare_protocol::fields::without_bidi_controls as shown;
use yew::prelude::*;

use crate::api;
use crate::config::MountConfig;
use crate::site::Site;
use crate::texts::{stars_label, summary_label, Texts};

#[derive(Properties, PartialEq)]
pub struct WallProps {
    pub config: Rc<MountConfig>,
    pub site: Rc<Site>,
    pub texts: Texts,
}

/// What has been loaded so far, page after page.
#[derive(Clone, PartialEq, Default)]
pub struct Loaded {
    pub items: Vec<PublicTestimonial>,
    pub summary: Option<Summary>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub problem: Option<String>,
}

/// Loads the first page on mount; the returned callback loads the next one.
#[hook]
pub fn use_testimonials(config: Rc<MountConfig>) -> (UseStateHandle<Loaded>, Callback<()>) {
    let loaded = use_state(|| Loaded { loading: true, ..Loaded::default() });
    let load_more = {
        let (loaded, config) = (loaded.clone(), config.clone());
        Callback::from(move |()| {
            let before = (*loaded).clone();
            loaded.set(Loaded { loading: true, problem: None, ..before.clone() });
            let (loaded, config) = (loaded.clone(), config.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let cursor = before.next_cursor.clone().filter(|_| !before.items.is_empty());
                loaded.set(match api::testimonials(&config, cursor.as_deref()).await {
                    Ok(page) => {
                        let mut items = before.items;
                        items.extend(page.items);
                        Loaded {
                            items,
                            summary: Some(page.summary),
                            next_cursor: page.next_cursor,
                            loading: false,
                            problem: None,
                        }
                    }
                    Err(problem) => Loaded { loading: false, problem: Some(problem), ..before },
                });
            });
        })
    };
    {
        let load_more = load_more.clone();
        use_effect_with((), move |_| load_more.emit(()));
    }
    (loaded, load_more)
}

/// The approved testimonials, labelled as a selection, with the honest summary.
#[function_component(Wall)]
pub fn wall(props: &WallProps) -> Html {
    let (loaded, load_more) = use_testimonials(props.config.clone());
    let texts = &props.texts;
    let on_more = load_more.reform(|_: MouseEvent| ());
    html! {
        <section class="fanfare-wall" part="wall" aria-labelledby="fanfare-wall-title" aria-busy={loaded.loading.then_some("true")}>
            <h2 class="fanfare-title" id="fanfare-wall-title">{ texts.get("wall.title") }</h2>
            { status(&loaded, texts) }
            if !loaded.items.is_empty() {
                <ul class="fanfare-grid" part="grid">
                    { for loaded.items.iter().map(|item| card(item, &props.site.name, texts)) }
                </ul>
            }
            if loaded.next_cursor.is_some() {
                <button type="button" class="fanfare-button fanfare-secondary fanfare-more" part="button more"
                    onclick={on_more} disabled={loaded.loading}>{ texts.get("wall.more") }</button>
            }
        </section>
    }
}

/// The summary line, or what is happening instead.
pub fn status(loaded: &Loaded, texts: &Texts) -> Html {
    html! {
        <>
            if let Some(problem) = &loaded.problem {
                <p class="fanfare-alert" role="alert">{ problem }</p>
            }
            if loaded.loading && loaded.items.is_empty() {
                <p class="fanfare-muted" role="status">{ texts.get("wall.loading") }</p>
            }
            if let Some(Summary { count, average: Some(average) }) = loaded.summary {
                <p class="fanfare-summary" part="summary">
                    <span class="fanfare-stars-static" aria-hidden="true">{ "★" }</span>
                    { " " }{ summary_label(texts, average, count) }
                </p>
            }
            if !loaded.loading && loaded.items.is_empty() && loaded.problem.is_none() {
                <p class="fanfare-muted">{ texts.get("wall.empty") }</p>
            }
        </>
    }
}

const STAR: &str = "★";

pub fn card(item: &PublicTestimonial, site_name: &str, texts: &Texts) -> Html {
    let byline: Vec<&str> = [item.role.as_deref(), item.company.as_deref()].into_iter().flatten().collect();
    let lit = usize::from(item.rating.min(5));
    let (lit_stars, unlit_stars) = (STAR.repeat(lit), STAR.repeat(5 - lit));
    html! {
        <li class="fanfare-item" key={item.id.clone()}>
            <article class="fanfare-card fanfare-testimonial" part="card testimonial">
                <p class="fanfare-stars-static" role="img" aria-label={stars_label(texts, item.rating)}>
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
                    <time class="fanfare-muted" datetime={item.created_at.clone()}>{ texts.date(&item.created_at) }</time>
                    if item.edited { <span class="fanfare-muted fanfare-edited">{ texts.get("wall.edited") }</span> }
                </footer>
                if let Some(reply) = &item.reply {
                    <div class="fanfare-reply" part="reply">
                        <p class="fanfare-label">{ texts.get("wall.reply") }{ " · " }{ site_name }</p>
                        <p dir="auto">{ shown(reply) }</p>
                    </div>
                }
            </article>
        </li>
    }
}
