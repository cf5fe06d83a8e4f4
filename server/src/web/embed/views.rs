//! The read-only views (wall, carousel, badge): the only implementation of each, rendered on
//! the server into a declarative shadow root. The loader places the same HTML into a mount's
//! shadow root; a host page may also include it in its own HTML. The structure, classes and
//! parts are the widget's (one stylesheet styles both), and everything dynamic is done by the
//! loader's small `views.js`: "show more", the carousel's controls and its turning.

use std::collections::BTreeMap;

use fanfare_protocol::api::{PublicTestimonial, Summary, TestimonialPage};
use fanfare_protocol::fields::without_bidi_controls as shown;
use fanfare_protocol::modes::Mode;
use maud::{html, Markup, PreEscaped};

use crate::texts::Formats;

/// Everything a view needs besides the page of testimonials.
pub struct View<'a> {
    pub mode: Mode,
    pub site_name: &'a str,
    /// Text id → wording in the view's language, with the site's own wording on top.
    pub texts: &'a BTreeMap<String, String>,
    /// The `lang` attribute (`de-DE`); numbers and dates follow its primary subtag.
    pub lang: &'a str,
    /// `light`, `dark` or `auto`.
    pub theme: &'a str,
    /// The widget stylesheet and the site's theme stylesheet, absolute.
    pub stylesheets: &'a [String],
    /// Where the badge links to.
    pub href: Option<&'a str>,
    /// The address of the next page's fragment, for "show more".
    pub more: Option<String>,
    /// schema.org markup for the page, already serialised (see `json_ld`).
    pub json_ld: Option<String>,
}

impl View<'_> {
    fn text(&self, id: &str) -> &str {
        // Every language has every id (English fills the gaps), so a miss is a misspelt id.
        debug_assert!(self.texts.contains_key(id), "no text {id:?}");
        self.texts.get(id).map_or("", String::as_str)
    }

    fn formats(&self) -> Formats {
        Formats::of(self.lang)
    }
}

/// The fragment: `<fanfare-MODE>` holding an open declarative shadow root with the stylesheets
/// and the view (the same tree the widget used to build: `[part=root] > .fanfare > …`).
pub fn fragment(page: &TestimonialPage, view: &View<'_>) -> String {
    let dir = if fanfare_protocol::languages::is_right_to_left(view.lang) { "rtl" } else { "ltr" };
    let element = format!("fanfare-{}", view.mode.as_str());
    let body = match view.mode {
        Mode::Carousel => carousel(page, view),
        Mode::Badge => badge(page.summary, view),
        _ => wall(page, view),
    };
    let markup = html! {
        (PreEscaped(format!("<{element} data-fanfare=\"{}\">", view.mode.as_str())))
        template shadowrootmode="open" {
            @for stylesheet in view.stylesheets {
                link rel="stylesheet" href=(stylesheet);
            }
            div part="root" {
                div.fanfare data-theme=(view.theme) lang=(view.lang) dir=(dir) { (body) }
            }
        }
        @if let Some(json_ld) = &view.json_ld {
            // Outside the shadow root, where search engines read it; `json_ld` escapes `<`.
            script type="application/ld+json" { (PreEscaped(json_ld)) }
        }
        (PreEscaped(format!("</{element}>")))
    };
    markup.into_string()
}

/// The approved testimonials, labelled as a selection, with the honest summary.
fn wall(page: &TestimonialPage, view: &View<'_>) -> Markup {
    html! {
        section.fanfare-wall part="wall" aria-labelledby="fanfare-wall-title" {
            h2.fanfare-title #fanfare-wall-title { (view.text("wall.title")) }
            (summary(page, view))
            @if !page.items.is_empty() {
                ul.fanfare-grid part="grid" {
                    @for item in &page.items { (card(item, view)) }
                }
            }
            @if let Some(more) = &view.more {
                // Run by views.js, which fetches the next page; invisible (its place kept) on a
                // page without script, which shows the first page only.
                button.fanfare-button.fanfare-secondary.fanfare-more type="button" part="button more"
                    data-more=(more) { (view.text("wall.more")) }
            }
        }
    }
}

/// One testimonial at a time once views.js runs (previous, next, pause; turning by itself
/// only without reduced motion); without script, a row to scroll through.
fn carousel(page: &TestimonialPage, view: &View<'_>) -> Markup {
    let formats = view.formats();
    let total = formats.count(page.items.len() as u64);
    let position = |index: usize| {
        view.text("carousel.position")
            .replace("{n}", &formats.count(index as u64 + 1))
            .replace("{total}", &total)
    };
    html! {
        section.fanfare-carousel part="carousel" aria-roledescription="carousel" aria-label=(view.text("carousel.label")) {
            h2.fanfare-title { (view.text("wall.title")) }
            (summary(page, view))
            @if !page.items.is_empty() {
                // Focusable so that a keyboard can scroll it while it is a row.
                ul.fanfare-slide aria-live="off" tabindex="0" aria-label=(view.text("carousel.label")) {
                    @for (index, item) in page.items.iter().enumerate() {
                        (slide(item, view, &position(index)))
                    }
                }
                @if page.items.len() > 1 {
                    div.fanfare-controls part="controls" {
                        button.fanfare-button.fanfare-secondary type="button" data-step="-1" aria-label=(view.text("carousel.previous")) { "‹" }
                        span.fanfare-muted { (position(0)) }
                        button.fanfare-button.fanfare-secondary type="button" data-step="1" aria-label=(view.text("carousel.next")) { "›" }
                        button.fanfare-button.fanfare-secondary.fanfare-pause type="button" aria-pressed="false"
                            data-play=(view.text("carousel.play")) data-pause=(view.text("carousel.pause")) { (view.text("carousel.pause")) }
                    }
                }
            }
        }
    }
}

/// The badge: the honest average and count (every moderated rating, not only the published
/// ones), stars with a text alternative, linking to the wall.
fn badge(summary: Summary, view: &View<'_>) -> Markup {
    let Summary { count, average: Some(average), verified } = summary else {
        return html! { p.fanfare-badge.fanfare-muted part="badge" { (view.text("wall.empty")) } };
    };
    let label = summary_label(view, average, count);
    let lit = (average.round().clamp(0.0, 5.0)) as usize;
    html! {
        a.fanfare-badge part="badge" href=(view.href.unwrap_or("#")) {
            span.fanfare-stars-static role="img" aria-label=(label) {
                ("★".repeat(lit))
                span.fanfare-stars-off aria-hidden="true" { ("★".repeat(5 - lit)) }
            }
            span aria-hidden="true" { " " (label) }
            @if verified > 0 {
                span.fanfare-muted { (view.text("summary.verified").replace("{count}", &view.formats().count(verified))) }
            }
            span.fanfare-badge-link { (view.text("badge.link")) }
        }
    }
}

/// The honest summary line, or that there is nothing yet.
fn summary(page: &TestimonialPage, view: &View<'_>) -> Markup {
    html! {
        @if let Summary { count, average: Some(average), .. } = page.summary {
            p.fanfare-summary part="summary" {
                span.fanfare-stars-static aria-hidden="true" { "★" }
                " " (summary_label(view, average, count))
            }
        }
        @if page.items.is_empty() {
            p.fanfare-muted { (view.text("wall.empty")) }
        }
    }
}

/// "4.7 out of 5 from 12 ratings", in the view's language.
fn summary_label(view: &View<'_>, average: f64, count: u64) -> String {
    let formats = view.formats();
    view.text(if count == 1 { "summary.one" } else { "summary.many" })
        .replace("{average}", &formats.number(average, 1))
        .replace("{count}", &formats.count(count))
}

fn slide(item: &PublicTestimonial, view: &View<'_>, position: &str) -> Markup {
    html! { li.fanfare-item data-position=(position) { (testimonial(item, view)) } }
}

fn card(item: &PublicTestimonial, view: &View<'_>) -> Markup {
    html! { li.fanfare-item { (testimonial(item, view)) } }
}

fn testimonial(item: &PublicTestimonial, view: &View<'_>) -> Markup {
    let formats = view.formats();
    let byline: Vec<&str> = [item.role.as_deref(), item.company.as_deref()].into_iter().flatten().collect();
    let lit = usize::from(item.rating.min(5));
    html! {
        article.fanfare-card.fanfare-testimonial part="card testimonial" {
            p.fanfare-stars-static role="img" aria-label=(view.text("stars").replace("{n}", &formats.count(item.rating.into()))) {
                ("★".repeat(lit))
                span.fanfare-stars-off aria-hidden="true" { ("★".repeat(5 - lit)) }
            }
            @if let Some(video) = &item.video_url {
                // Only the poster loads with the page; the video downloads when it is played.
                // The box has its size before anything loads (`aspect-ratio` in the stylesheet).
                video.fanfare-video part="video" controls preload="none" playsinline crossorigin="anonymous"
                    src=(video) poster=[item.poster_url.as_deref()]
                    aria-label=(view.text("wall.video").replace("{name}", &item.name)) {
                    @if let Some(captions) = &item.captions_url {
                        track kind="captions" src=(captions) srclang=(view.lang) label=(view.text("wall.captions")) default;
                    }
                }
                p.fanfare-label.fanfare-transcript-label { (view.text("wall.transcript")) }
            }
            blockquote.fanfare-quote part="quote" dir="auto" { (shown(&item.text)) }
            footer.fanfare-byline part="byline" {
                @if let Some(photo) = &item.photo_url {
                    // Sized by its attributes and the stylesheet: the card never shifts as it loads.
                    img.fanfare-photo part="photo" src=(photo) alt="" loading="lazy" width="48" height="48";
                }
                bdi.fanfare-name part="name" { (shown(&item.name)) }
                // Sent through a personal invitation after a purchase: said in words, not by a
                // mark alone, so a screen reader says it too.
                @if item.verified {
                    span.fanfare-verified part="verified" { span aria-hidden="true" { "✓ " } (view.text("wall.verified")) }
                }
                @if !byline.is_empty() { bdi.fanfare-muted { (shown(&byline.join(", "))) } }
                time.fanfare-muted datetime=(item.created_at) { (formats.date(&item.created_at)) }
                @if item.edited { span.fanfare-muted.fanfare-edited { (view.text("wall.edited")) } }
            }
            @if let Some(reply) = &item.reply {
                div.fanfare-reply part="reply" {
                    p.fanfare-label { (view.text("wall.reply")) " · " (view.site_name) }
                    p dir="auto" { (shown(reply)) }
                }
            }
        }
    }
}
