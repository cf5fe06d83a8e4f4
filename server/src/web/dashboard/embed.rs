//! The Embed page: pick a mode, language, theme, tags and limit; see the real widget live on
//! a preview page of our own origin; copy the snippet, the policy line and the fragment's
//! address; try an accent colour against both themes and save it.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use super::embed_code::{origin_of, EmbedChoice, EmbedParams, Placement, THEMES, TRUSTED_TYPES};
use super::form::FieldErrors;
use crate::domain::contrast::{
    contrast_ratio, AA_TEXT, DARK_BACKGROUND, DARK_THEME_ACCENT, LIGHT_BACKGROUND,
};
use crate::domain::Role;
use crate::service::sites::SettingsInput;
use crate::service::{Actor, ServiceError};
use crate::storage::Site;
use crate::texts::LANGUAGES;
use crate::web::page::{render, Frame, PageError, SiteNav, CONTENT_SECURITY_POLICY};
use crate::web::session::{member_site, owned_site, AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/embed", get(embed_page))
        .route("/admin/sites/{site}/embed/accent", post(save_accent))
        .route("/admin/sites/{site}/embed/preview", get(preview))
        .route("/admin/sites/{site}/embed/preview.css", get(preview_stylesheet))
}

async fn embed_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<EmbedParams>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let (mut choice, errors) = params.parse();
    // The site's own colour is no colour being tried.
    if choice.accent.as_deref() == Some(site.accent.as_str()) {
        choice.accent = None;
    }
    let frame = Frame {
        title: "Embed",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "embed", owner: role == Role::Owner }),
    };
    let owner = (role == Role::Owner).then_some(session.csrf_token.as_str());
    let body = body(&site, state.service.public_url(), &choice, &errors, owner);
    let mut response = render(frame, body).into_response();
    // The dashboard's policy, letting this page frame the preview of our own origin.
    let policy = format!("{CONTENT_SECURITY_POLICY}; frame-src 'self'");
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

fn body(
    site: &Site,
    server: &str,
    choice: &EmbedChoice,
    errors: &BTreeMap<String, String>,
    owner_csrf: Option<&str>,
) -> Markup {
    let fields = FieldErrors::new(errors);
    let read_only = choice.placement.is_read_only();
    let accent = choice.accent.as_deref().unwrap_or(&site.accent);
    let base = format!("/admin/sites/{}/embed", site.slug);
    html! {
        h1 { "Embed" }
        p.hint { "Choose what to show, see it live, then copy the snippet into your page." }
        div.embed {
            form.stack.choices method="get" action=(base) data-live {
                div id="choice-errors" data-live-region {
                    @if !errors.is_empty() {
                        p.error role="alert" { "Left at their defaults: " (errors.iter().map(|(field, message)| format!("{field} {message}")).collect::<Vec<_>>().join("; ")) "." }
                    }
                }
                label for="mode" { "Mode" }
                select id="mode" name="mode" aria-describedby=[fields.described("mode")] aria-invalid=[fields.invalid("mode")] {
                    @for placement in Placement::ALL {
                        option value=(placement.as_str()) selected[placement == choice.placement] { (placement.label()) }
                    }
                }
                (fields.error("mode"))
                label for="lang" { "Language" }
                select id="lang" name="lang" aria-describedby=[fields.described("lang")] aria-invalid=[fields.invalid("lang")] {
                    option value="" selected[choice.lang.is_none()] { "The page's language, else the reader's browser" }
                    @for lang in LANGUAGES {
                        option value=(lang) selected[choice.lang == Some(lang)] { (language_name(lang)) " (" (lang) ")" }
                    }
                }
                (fields.error("lang"))
                label for="theme" { "Theme" }
                select id="theme" name="theme" aria-describedby=[fields.described("theme")] aria-invalid=[fields.invalid("theme")] {
                    @for theme in THEMES {
                        option value=(theme) selected[choice.theme == theme] {
                            @if theme == "auto" { "auto: follows the reader's system" } @else { (theme) }
                        }
                    }
                }
                (fields.error("theme"))
                label for="tags" { "Only testimonials with this tag (wall, carousel, badge)" }
                input id="tags" name="tags" value=(choice.tag.as_deref().unwrap_or("")) maxlength="40"
                    aria-describedby=[fields.described("tags")] aria-invalid=[fields.invalid("tags")];
                (fields.error("tags"))
                label for="limit" { "Testimonials per page (wall, carousel; 1–50, empty: 20)" }
                input id="limit" name="limit" type="number" min="1" max="50" value=(choice.limit.map(|n| n.to_string()).unwrap_or_default())
                    aria-describedby=[fields.described("limit")] aria-invalid=[fields.invalid("limit")];
                (fields.error("limit"))
                label for="accent" { "Accent colour (try one here; the preview shows it)" }
                input id="accent" name="accent" type="color" value=(accent)
                    aria-describedby=(fields.described_with("accent", "contrast")) aria-invalid=[fields.invalid("accent")];
                (fields.error("accent"))
                (contrast(accent))
                button type="submit" { "Show" }
            }
            section.preview id="preview" aria-labelledby="preview-title" data-live-region {
                h2 id="preview-title" { "Preview" }
                iframe src=(format!("{base}/preview?{}", choice.query())) title=(format!("Preview: {}", choice.placement.label())) {}
                p.hint { "The real widget with your published testimonials, on a page of this server. Sending a testimonial from here is refused: only your site's own origins may." }
            }
        }
        div id="accent-save" data-live-region {
        @if let Some(csrf) = owner_csrf {
            @if accent != site.accent {
                form.stack method="post" action=(format!("{base}/accent")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="accent" value=(accent);
                    input type="hidden" name="back" value=(choice.query());
                    p { "The site's accent colour is " code { (site.accent) } "." }
                    button type="submit" { "Save " (accent) " as the site's accent colour" }
                }
            }
        }
        }
        div id="embed-code" data-live-region {
        h2 id="snippet-title" { "The snippet" }
        p { "Paste it where the " (choice.placement.as_str()) " goes; the script tag once per page." }
        (copyable("snippet", &choice.snippet(server, &site.slug)))
        h2 id="policy-title" { "Your page's Content-Security-Policy" }
        p { "If your page sends a Content-Security-Policy, add these sources to its directives for this mode; "
            "pages without a policy need nothing. If your policy requires Trusted Types, add "
            code { "fanfare" } " to its " code { "trusted-types" } " list (the widget works under " code { (TRUSTED_TYPES) } ")." }
        (copyable("policy", &choice.host_policy(&origin_of(server))))
        @if let (true, Some(fragment)) = (read_only, choice.fragment_url(server, &site.slug)) {
            h2 id="fragment-title" { "Without any script: in your page's own HTML" }
            p {
                "The " (choice.placement.as_str()) " is rendered by the server too, so your page can include it in its own HTML: "
                "it is there from the first paint, for readers without JavaScript and for search engines. "
                "Fetch it when you build the page, or let your web server include it:"
            }
            (copyable("fragment", &format!(
                "# when you build the page, and again after approving new testimonials:\n\
                 curl -fsS '{fragment}' -o testimonials.html\n\n\
                 # or on every view, by nginx (ssi on; with a location /embed/ proxied to this server):\n\
                 <!--# include virtual=\"{}\" -->",
                fragment.trim_start_matches(server)
            )))
            p.hint { "A page that only includes the fragment needs just " code { "style-src " (server) "; img-src " (server) } " in its policy. "
                "The README's " em { "Testimonials in your own HTML" } " has the nginx location and a static-site build." }
        }
        }
    }
}

/// A language as its speakers name it.
fn language_name(lang: &str) -> &'static str {
    match lang {
        "de" => "Deutsch",
        "fr" => "Français",
        "es" => "Español",
        "pt" => "Português",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "ja" => "日本語",
        "ar" => "العربية",
        _ => "English",
    }
}

/// Text to paste, with a Copy button (shown by our script; without it, select the text).
fn copyable(id: &str, text: &str) -> Markup {
    html! {
        div.copyable {
            pre id=(id) aria-labelledby=(format!("{id}-title")) tabindex="0" { code { (text) } }
            button type="button" data-copy=(id) hidden { "Copy" }
            span.copied role="status" {}
        }
    }
}

/// The accent's contrast on each theme's ground, with a warning below WCAG AA. The dark theme
/// shows its own amber unless the page sets `--fanfare-accent`: both are said.
fn contrast(accent: &str) -> Markup {
    let check = |colour: &str, ground: &str| contrast_ratio(colour, ground).unwrap_or(1.0);
    let light = check(accent, LIGHT_BACKGROUND);
    let (amber, dark) = (check(DARK_THEME_ACCENT, DARK_BACKGROUND), check(accent, DARK_BACKGROUND));
    let verdict = |ratio: f64| if ratio >= AA_TEXT { "passes AA" } else { "below AA: hard to read" };
    let class = |ratio: f64| if ratio >= AA_TEXT { "ok" } else { "error" };
    html! {
        div.contrast id="contrast" role="status" data-live-region {
            // Presentation attributes, not style: the dashboard's policy allows no inline style.
            svg.swatches viewBox="0 0 200 40" aria-hidden="true" focusable="false" {
                @for (x, ground) in [(0, LIGHT_BACKGROUND), (100, DARK_BACKGROUND)] {
                    rect x=(x) y="0" width="96" height="40" rx="6" fill=(ground) stroke="#8c857d" {}
                    text x=(x + 48) y="27" text-anchor="middle" font-size="18" font-weight="700" fill=(accent) { "Aa ★" }
                }
            }
            ul {
                li class=(class(light)) { "Light theme (white): " (format!("{light:.1}:1")) ", " (verdict(light)) }
                li class=(class(amber)) {
                    "Dark theme: its own amber (" (DARK_THEME_ACCENT) "), " (format!("{amber:.1}:1")) ", " (verdict(amber))
                }
                li class=(class(dark)) {
                    "This colour on the dark theme (only if your page sets " code { "--fanfare-accent" } "): "
                    (format!("{dark:.1}:1")) ", " (verdict(dark))
                }
            }
            p.hint { "WCAG AA asks 4.5:1 for text; the accent colours links, stars and buttons' ground (under white text)." }
        }
    }
}

async fn save_accent(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let user = &form.session.user;
    let site = owned_site(&state, user, &slug).await?;
    let accent = form.fields.get("accent").unwrap_or_default();
    let back = form.fields.get("back").unwrap_or_default();
    let changes = SettingsInput { accent: Some(accent), ..SettingsInput::default() };
    match state.service.change_site(&site, Actor::Member(user), changes).await {
        Ok(updated) => {
            // Back to the same choices, now showing the saved colour.
            let (mut choice, _) = EmbedParams::from_query(back).parse();
            choice.accent = None;
            Ok(Redirect::to(&format!("/admin/sites/{}/embed?{}", updated.slug, choice.query()))
                .into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            Err(PageError::App(crate::web::error::AppError::Validation(errors)))
        }
        Err(other) => Err(other.into()),
    }
}

/// The preview: a blank page of our origin with the snippet, under the policy the Embed page
/// hands out, so what it shows is what a host page gets.
async fn preview(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<EmbedParams>,
) -> Result<Response, PageError> {
    let (site, _) = member_site(&state, &session.user, &slug).await?;
    let (choice, _) = params.parse();
    let server = state.service.public_url();
    let snippet = choice.snippet(server, &site.slug);
    let page = html! {
        (DOCTYPE)
        html lang=(choice.lang.unwrap_or("en")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Preview · " (site.name) }
                link rel="stylesheet" href=(format!("/admin/sites/{}/embed/preview.css?{}", site.slug, choice.query()));
            }
            body { main { (maud::PreEscaped(snippet)) } }
        }
    };
    // What the Embed page hands out, with Trusted Types required: the strictest host page.
    let policy = format!(
        "default-src 'none'; {}; {TRUSTED_TYPES}; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
        choice.host_policy(&origin_of(server))
    );
    let mut response = maud::Markup::into_string(page).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// The preview page's own style, and a colour being tried, set as the page would set it. The
/// dark theme keeps its amber unless the page sets `--fanfare-accent`, which a tried colour is
/// not: it is shown only where the site's accent would be.
async fn preview_stylesheet(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<EmbedParams>,
) -> Result<Response, PageError> {
    member_site(&state, &session.user, &slug).await?;
    let (choice, _) = params.parse();
    let mut css = String::from(
        "body{margin:0;padding:1rem;font:16px/1.5 system-ui,sans-serif;color:#1d1b19;background:#faf8f5}\
         main{max-width:48rem;margin:0 auto}\n",
    );
    if let Some(accent) = &choice.accent {
        // Checked to be #rrggbb by the parse.
        let rule = format!("[data-fanfare],[data-fanfare-floating]{{--fanfare-accent:{accent}}}");
        match choice.theme {
            "light" => css.push_str(&rule),
            "dark" => {}
            _ => css.push_str(&format!("@media (prefers-color-scheme: light){{{rule}}}")),
        }
    }
    let mut response = css.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    Ok(response)
}
