//! A person's own notification email: on or off for each site they work on. Only the person
//! can turn it on, so an owner adding an address cannot make the server mail it.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use crate::web::error::AppError;
use crate::web::page::{render, Frame, PageError};
use crate::web::session::{AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/notifications", get(page).post(change))
}

async fn page(State(state): State<AppState>, session: AdminSession) -> Result<Response, PageError> {
    let choices = state.service.notification_choices(&session.user).await?;
    let csrf = session.csrf_token.as_str();
    let body = html! {
        h1 { "Email notifications" }
        p.hint {
            "With email on, you get a message for each new testimonial waiting on the site, with "
            "one-click links to decide. Nobody else can turn it on for you."
        }
        table {
            thead { tr { th { "Site" } th { "Email" } th { span.visually-hidden { "Actions" } } } }
            tbody {
                @for (site, on) in &choices {
                    tr {
                        td data-label="Site" { (site.name) }
                        td data-label="Email" { @if *on { "On" } @else { "Off" } }
                        td.controls data-label="Actions" {
                            form.inline method="post" action="/admin/notifications" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="site" value=(site.slug);
                                input type="hidden" name="email" value=(if *on { "off" } else { "on" });
                                @let label = if *on { "Turn off" } else { "Turn on" };
                                button type="submit" aria-label=(format!("{label} email for {}", site.name)) { (label) }
                            }
                        }
                    }
                }
            }
        }
    };
    let frame =
        Frame { title: "Email notifications", account: Some((&session.user.email, csrf)), site: None };
    Ok(render(frame, body).into_response())
}

async fn change(State(state): State<AppState>, form: AdminForm) -> Result<Response, PageError> {
    let on = match form.fields.get("email") {
        Some("on") => true,
        Some("off") => false,
        _ => return Err(AppError::field("email", "must be on or off").into()),
    };
    let slug = form.fields.get("site").unwrap_or_default();
    state.service.set_notifications(&form.session.user, slug, on).await?;
    Ok(Redirect::to("/admin/notifications").into_response())
}
