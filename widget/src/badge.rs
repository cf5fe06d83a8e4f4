//! The badge: the honest average and count (every moderated rating, not only the published
//! ones), stars with a text alternative, linking to the wall.

use std::rc::Rc;

use yew::prelude::*;

use crate::config::MountConfig;
use crate::texts::{summary_label, Texts};
use crate::wall::use_testimonials;

#[derive(Properties, PartialEq)]
pub struct BadgeProps {
    pub config: Rc<MountConfig>,
    pub texts: Texts,
}

#[function_component(Badge)]
pub fn badge(props: &BadgeProps) -> Html {
    let (loaded, _load_more) = use_testimonials(props.config.clone());
    let texts = &props.texts;
    let Some(summary) = loaded.summary.filter(|summary| summary.average.is_some()) else {
        return html! { <p class="fanfare-badge fanfare-muted" part="badge">{ texts.get("wall.empty") }</p> };
    };
    let average = summary.average.unwrap_or_default();
    let label = summary_label(texts, average, summary.count);
    let lit = usize::try_from(average.round() as i64).unwrap_or(0).min(5);
    let href = props.config.href.clone().unwrap_or_else(|| "#".into());
    let (lit_stars, unlit_stars) = ("★".repeat(lit), "★".repeat(5 - lit));
    html! {
        <a class="fanfare-badge" part="badge" href={href}>
            <span class="fanfare-stars-static" role="img" aria-label={label.clone()}>
                { lit_stars }
                <span class="fanfare-stars-off" aria-hidden="true">{ unlit_stars }</span>
            </span>
            <span aria-hidden="true">{ " " }{ label }</span>
            <span class="fanfare-badge-link">{ texts.get("badge.link") }</span>
        </a>
    }
}
