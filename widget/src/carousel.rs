//! The carousel: one testimonial at a time with previous/next, a visible pause control, and
//! auto-advance only when the visitor has not asked for reduced motion.

use std::rc::Rc;

use crate::site::Site;
use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::config::MountConfig;
use crate::texts::Texts;
use crate::wall::{card, status, use_testimonials};

#[derive(Properties, PartialEq)]
pub struct CarouselProps {
    pub config: Rc<MountConfig>,
    pub site: Rc<Site>,
    pub texts: Texts,
}

const ADVANCE_MS: u32 = 7000;

fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|window| window.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|query| query.matches())
}

#[function_component(Carousel)]
pub fn carousel(props: &CarouselProps) -> Html {
    let (loaded, _load_more) = use_testimonials(props.config.clone());
    let index = use_state(|| 0usize);
    // Paused from the start when motion is unwelcome; the visitor may still press play.
    let playing = use_state(prefers_reduced_motion_inverse);
    let count = loaded.items.len();
    {
        let (index, playing) = (index.clone(), *playing);
        use_effect_with((playing, count), move |(playing, count)| {
            let timer = (*playing && *count > 1).then(|| {
                let count = *count;
                Interval::new(ADVANCE_MS, move || index.set((*index + 1) % count))
            });
            move || drop(timer)
        });
    }
    let texts = &props.texts;
    let step = |by: isize| {
        let (index, playing) = (index.clone(), playing.clone());
        Callback::from(move |_: MouseEvent| {
            playing.set(false);
            if count > 0 {
                let next = (*index as isize + by).rem_euclid(count as isize);
                index.set(usize::try_from(next).unwrap_or(0));
            }
        })
    };
    let toggle = {
        let playing = playing.clone();
        Callback::from(move |_: MouseEvent| playing.set(!*playing))
    };
    let current = *index % count.max(1);
    html! {
        <section class="fanfare-carousel" part="carousel" aria-roledescription="carousel" aria-label={texts.get("carousel.label")}>
            <h2 class="fanfare-title">{ texts.get("wall.title") }</h2>
            { status(&loaded, texts) }
            if let Some(item) = loaded.items.get(current) {
                // Announced when the visitor moves it, silent while it turns by itself.
                <ul class="fanfare-slide" aria-live={if *playing { "off" } else { "polite" }}>
                    { card(item, &props.site.name, texts) }
                </ul>
                if count > 1 {
                    <div class="fanfare-controls" part="controls">
                        <button type="button" class="fanfare-button fanfare-secondary" aria-label={texts.get("carousel.previous")} onclick={step(-1)}>{ "‹" }</button>
                        <span class="fanfare-muted">{ texts.get("carousel.position").replace("{n}", &texts.count(current as u64 + 1)).replace("{total}", &texts.count(count as u64)) }</span>
                        <button type="button" class="fanfare-button fanfare-secondary" aria-label={texts.get("carousel.next")} onclick={step(1)}>{ "›" }</button>
                        <button type="button" class="fanfare-button fanfare-secondary fanfare-pause" aria-pressed={if *playing { "false" } else { "true" }} onclick={toggle}>
                            { if *playing { texts.get("carousel.pause") } else { texts.get("carousel.play") } }
                        </button>
                    </div>
                }
            }
        </section>
    }
}

fn prefers_reduced_motion_inverse() -> bool {
    !prefers_reduced_motion()
}
