//! The site's hosted collection page in the dashboard: its link to share, its QR code to print
//! (a counter card, a receipt, packaging), and the languages it speaks.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use crate::domain::Role;
use crate::texts::LANGUAGES;
use crate::web::collect::page_url;
use crate::web::page::{render, Frame, PageError, SiteNav};
use crate::web::session::{member_site, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/sites/{site}/collect", get(collect_page))
}

async fn collect_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let url = page_url(state.service.public_url(), &site.slug);
    let qr = format!("/c/{}/qr.svg", site.slug);
    let body = html! {
        h1 { "Collection page" }
        p.no-print {
            "Your own page for testimonials, hosted here: send customers to it by email or chat, "
            "link it from a receipt, or print its QR code for the counter. It works on any phone, "
            "also without JavaScript."
        }
        h2 { "Link" }
        div.stack {
            label for="collect-link" { "Address to share" }
            input id="collect-link" type="text" readonly value=(url);
        }
        p.no-print { a href=(url) target="_blank" rel="noopener" { "Open the page" } }
        h2 { "QR code" }
        p { img.qr src=(qr) alt=(format!("QR code of {url}")) width="240" height="240"; }
        p.no-print { a href=(qr) download=(format!("{}-qr.svg", site.slug)) { "Download the QR code (SVG)" } }
        p.hint.no-print {
            "To print a card, print this page: only the heading, the link and the QR code go on paper. "
            "The SVG stays sharp at any size; keep the white border around it, scanners need it."
        }
        h2.no-print { "Languages" }
        p.no-print {
            "The page speaks the visitor's browser language when it is one of ours, else English. "
            "To choose one, add it to the link: "
            @for (index, lang) in LANGUAGES.iter().enumerate() {
                @if index > 0 { ", " }
                code { "?lang=" (lang) }
            }
            ". Its texts are the widget's, reworded in Settings → Widget texts (" code { "page.intro" } " is the line under the heading)."
        }
    };
    let frame = Frame {
        title: "Collection page",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "collect",
            owner: role == Role::Owner,
        }),
    };
    Ok(render(frame, body).into_response())
}
