//! The dashboard at `/admin`: server-rendered pages, plain forms that POST with a CSRF token,
//! and a small script of keyboard shortcuts served from our own origin.

mod advocates;
mod charts;
mod collect;
mod data;
mod email_links;
mod embed;
mod embed_code;
mod follow_ups;
mod form;
mod invitations;
mod login;
mod members;
mod notifications;
mod overview;
mod queue;
mod rewards;
mod settings;
mod static_files;
mod tokens;
mod webhooks;

use axum::Router;

use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .merge(overview::router())
        .merge(queue::router())
        .merge(follow_ups::router())
        .merge(invitations::router())
        .merge(settings::router())
        .merge(members::router())
        .merge(advocates::router())
        .merge(rewards::router())
        .merge(collect::router())
        .merge(embed::router())
        .merge(tokens::router())
        .merge(notifications::router())
        .merge(webhooks::router())
        .merge(data::router())
        .merge(email_links::router())
        .merge(static_files::router())
}
