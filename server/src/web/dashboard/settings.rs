//! The owner's settings page; the same fields as `fanfare site set`, read by the same parser.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fanfare_protocol::referrals::ReferralAttribution;
use maud::html;

use super::form::FieldErrors;
use crate::service::pow::MAX_DIFFICULTY;
use crate::service::sites::SettingsInput;
use crate::service::{Actor, ServiceError};
use crate::storage::{RewardPayout, Site};
use crate::web::page::{render, Frame, PageError, SiteNav};
use crate::web::session::{owned_site, AdminForm, AdminSession, FormFields};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/sites/{site}/settings", get(settings_page).post(save_settings))
}

async fn settings_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    Ok(settings_form(&site, &session.user.email, &session.csrf_token, &BTreeMap::new(), None, StatusCode::OK))
}

fn settings_form(
    site: &Site,
    email: &str,
    csrf: &str,
    errors: &BTreeMap<String, String>,
    saved: Option<&str>,
    status: StatusCode,
) -> Response {
    let texts: String = site.texts.iter().map(|(key, value)| format!("{key} = {value}\n")).collect();
    // A refused field says so, and has its message (right under it) read with it.
    let fields = FieldErrors::new(errors);
    let body = html! {
        h1 { "Settings" }
        @if let Some(saved) = saved { p.notice role="status" { (saved) } }
        @if !fields.is_empty() {
            div.error role="alert" { p { "Nothing was saved. Please check: " (fields.names()) "." } }
        }
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { "Site name" }
            input id="name" aria-invalid=[fields.invalid("name")] aria-describedby=[fields.described("name")] name="name" value=(site.name) required maxlength="100";
            (fields.error("name"))
            label for="origins" { "Allowed origins (one per line, e.g. https://shop.example.com)" }
            textarea id="origins" aria-invalid=[fields.invalid("origins")] aria-describedby=[fields.described("origins")] name="origins" rows="3" { (site.origins.join("\n")) }
            (fields.error("origins"))
            label for="accent" { "Accent colour" }
            p.hint id="accent-help" { "Links, stars and buttons in the widget. "
                a href=(format!("/admin/sites/{}/embed", site.slug)) { "Try colours on the Embed page" }
                ", which checks their contrast on the light and the dark theme." }
            input id="accent" type="color" aria-invalid=[fields.invalid("accent")]
                aria-describedby=(fields.described_with("accent", "accent-help"))
                name="accent" value=(site.accent);
            (fields.error("accent"))
            label for="consent_text" { "Consent text (changing it starts consent version " (site.consent_version + 1) ")" }
            textarea id="consent_text" aria-invalid=[fields.invalid("consent_text")] aria-describedby=[fields.described("consent_text")] name="consent_text" rows="3" maxlength="1000" { (site.consent_text) }
            (fields.error("consent_text"))
            label for="low_rating_threshold" { "Follow up privately on ratings of this many stars or fewer" }
            input id="low_rating_threshold" aria-invalid=[fields.invalid("low_rating_threshold")] aria-describedby=[fields.described("low_rating_threshold")] name="low_rating_threshold" type="number" min="1" max="5" value=(site.low_rating_threshold);
            (fields.error("low_rating_threshold"))
            fieldset {
                legend { "Moderation" }
                label { input type="radio" name="moderation" value="manual" checked[site.auto_approve_min_rating.is_none()]; " Every testimonial waits for a moderator" }
                label {
                    input type="radio" name="moderation" value="auto" checked[site.auto_approve_min_rating.is_some()];
                    " Publish at once when the author consented and rated at least "
                    input name="auto_approve_min_rating" type="number" aria-invalid=[fields.invalid("auto_approve_min_rating")] aria-describedby=[fields.described("auto_approve_min_rating")] min="1" max="5" value=(site.auto_approve_min_rating.unwrap_or(5)) aria-label="Minimum stars to publish at once";
                    " stars"
                }
                (fields.error("auto_approve_min_rating"))
            }
            fieldset {
                legend { "Referrals" }
                label for="referral_landing_url" { "Shared links open (empty: the page the advocate was on)" }
                input id="referral_landing_url" aria-invalid=[fields.invalid("referral_landing_url")] aria-describedby=[fields.described("referral_landing_url")] name="referral_landing_url" type="url" value=(site.referral_landing_url.as_deref().unwrap_or("")) placeholder="https://shop.example.com/welcome";
                (fields.error("referral_landing_url"))
                label for="referral_window_days" { "Days a visitor's browser remembers the code" }
                input id="referral_window_days" aria-invalid=[fields.invalid("referral_window_days")] aria-describedby=[fields.described("referral_window_days")] name="referral_window_days" type="number" min="1" max="365" value=(site.referral_window_days);
                (fields.error("referral_window_days"))
                fieldset {
                    legend { "When a visitor's browser follows a second referral link" }
                    label {
                        input type="radio" name="referral_attribution" value="first" aria-invalid=[fields.invalid("referral_attribution")] aria-describedby=[fields.described("referral_attribution")] checked[site.referral_attribution == ReferralAttribution::First];
                        " The first link keeps the credit until its days are over (first touch)"
                    }
                    label {
                        input type="radio" name="referral_attribution" value="last" aria-invalid=[fields.invalid("referral_attribution")] aria-describedby=[fields.described("referral_attribution")] checked[site.referral_attribution == ReferralAttribution::Last];
                        " The latest link takes the credit (last touch)"
                    }
                    (fields.error("referral_attribution"))
                }
                label for="conversion_burst_limit" { "Flag conversions beyond this many per hour" }
                input id="conversion_burst_limit" aria-invalid=[fields.invalid("conversion_burst_limit")] aria-describedby=[fields.described("conversion_burst_limit")] name="conversion_burst_limit" type="number" min="1" max="100000" value=(site.conversion_burst_limit);
                (fields.error("conversion_burst_limit"))
            }
            fieldset {
                legend { "Invitations" }
                label for="invitation_reminder_days" { "Remind customers who have not answered after this many days (0: no reminder)" }
                input id="invitation_reminder_days" aria-invalid=[fields.invalid("invitation_reminder_days")] aria-describedby=[fields.described("invitation_reminder_days")] name="invitation_reminder_days" type="number" min="0" max="30" value=(site.invitation_reminder_days);
                (fields.error("invitation_reminder_days"))
                label for="invitation_daily_cap" { "Send at most this many invitation emails a day (the rest wait for the next day)" }
                input id="invitation_daily_cap" aria-invalid=[fields.invalid("invitation_daily_cap")] aria-describedby=[fields.described("invitation_daily_cap")] name="invitation_daily_cap" type="number" min="1" max="100000" value=(site.invitation_daily_cap);
                (fields.error("invitation_daily_cap"))
            }
            fieldset {
                legend { "Referral rewards" }
                p.hint { "Rewards are handed out by themselves: a conversion waits out the refund window, then its advocate gets a code from your coupon pool by email (see Rewards)." }
                label for="reward_every" { "A reward for every this many conversions (empty or 0: no automatic rewards)" }
                input id="reward_every" aria-invalid=[fields.invalid("reward_every")] aria-describedby=[fields.described("reward_every")] name="reward_every" type="number" min="0" max="1000" value=(site.rewards.every.map(|n| n.to_string()).unwrap_or_default());
                (fields.error("reward_every"))
                label for="reward_hold_days" { "Days a conversion waits before its reward is earned: your refund window" }
                input id="reward_hold_days" aria-invalid=[fields.invalid("reward_hold_days")] aria-describedby=[fields.described("reward_hold_days")] name="reward_hold_days" type="number" min="0" max="365" value=(site.rewards.hold_days);
                (fields.error("reward_hold_days"))
                label for="reward_min_amount" { "Smallest qualifying sale, in the currency's smallest unit (2500 for 25.00; empty: any)" }
                input id="reward_min_amount" aria-invalid=[fields.invalid("reward_min_amount")] aria-describedby=[fields.described("reward_min_amount")] name="reward_min_amount" type="number" min="1" value=(site.rewards.min_amount.map(|n| n.to_string()).unwrap_or_default());
                (fields.error("reward_min_amount"))
                label for="reward_payout" { "How rewards are paid" }
                select id="reward_payout" aria-invalid=[fields.invalid("reward_payout")] aria-describedby=[fields.described("reward_payout")] name="reward_payout" {
                    option value="coupons" selected[site.rewards.payout == RewardPayout::Coupons] { "A code from the coupon pool, emailed to the advocate" }
                    option value="webhook" selected[site.rewards.payout == RewardPayout::Webhook] { "In our own system, when the referral.rewarded webhook arrives (no code, no email)" }
                }
                (fields.error("reward_payout"))
                label for="friend_coupon" { "Double-sided: the code referred friends see on your landing page (empty: none)" }
                input id="friend_coupon" aria-invalid=[fields.invalid("friend_coupon")] aria-describedby=[fields.described("friend_coupon")] name="friend_coupon" value=(site.rewards.friend_coupon.as_deref().unwrap_or(""));
                (fields.error("friend_coupon"))
                label for="stripe_signing_secret" {
                    "Stripe signing secret of the endpoint " code { "/hooks/stripe/" (site.slug) }
                    @if site.stripe_signing_secret.is_some() { " (set; leave empty to keep it)" }
                }
                input id="stripe_signing_secret" aria-invalid=[fields.invalid("stripe_signing_secret")] aria-describedby=[fields.described("stripe_signing_secret")] name="stripe_signing_secret" type="password" autocomplete="off" placeholder="whsec_…";
                (fields.error("stripe_signing_secret"))
                @if site.stripe_signing_secret.is_some() {
                    label { input type="checkbox" name="stripe_remove" value="on"; " Stop taking Stripe events (forget the secret)" }
                }
            }
            label for="proof_of_work" { "Proof of work on submissions (0: off; 12–16 slows floods, costs a visitor about a second)" }
            input id="proof_of_work" aria-invalid=[fields.invalid("proof_of_work")] aria-describedby=[fields.described("proof_of_work")] name="proof_of_work" type="number" min="0" max=(MAX_DIFFICULTY) value=(site.proof_of_work);
            (fields.error("proof_of_work"))
            fieldset {
                legend { "Structured data for search engines" }
                label {
                    input type="checkbox" name="structured_data" value="on" checked[site.structured_data] aria-invalid=[fields.invalid("structured_data")]
                        aria-describedby=(fields.described_with("structured_data", "structured_data-help"));
                    " Add schema.org JSON-LD (a Product with the rating summary and the reviews shown) to included walls, carousels and badges"
                }
                (fields.error("structured_data"))
                p.hint id="structured_data-help" {
                    "Google shows no review stars for reviews a business publishes about itself (since 2019), so a wall about your whole company earns nothing from it. "
                    "It can help on a product page whose wall shows only that product's testimonials (tags=…, product=…). "
                    "Search engines read it only in a fragment your own page includes; the script-placed widget carries none."
                }
            }
            label for="texts" { "Widget texts (one per line: text id = your wording; prefix a language, as in de:collect.title, for that language only)" }
            textarea id="texts" aria-invalid=[fields.invalid("texts")] aria-describedby=[fields.described("texts")] name="texts" rows="5" { (texts) }
            (fields.error("texts"))
            button type="submit" { "Save settings" }
        }
    };
    let frame = Frame {
        title: "Settings",
        account: Some((email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "settings", owner: true }),
    };
    (status, render(frame, body)).into_response()
}

/// The settings form's fields as typed; every setting is on the form, so every one is given.
fn settings_input(fields: &FormFields) -> SettingsInput<'_> {
    let get = |field: &str| Some(fields.get(field).unwrap_or_default());
    SettingsInput {
        name: get("name"),
        // One origin a line; blank lines are layout, not origins.
        origins: get("origins").map(|lines| lines.lines().filter(|line| !line.trim().is_empty()).collect()),
        accent: get("accent"),
        consent_text: get("consent_text"),
        low_rating_threshold: get("low_rating_threshold"),
        auto_approve_min_rating: Some(match fields.get("moderation") {
            Some("auto") => get("auto_approve_min_rating"),
            _ => None,
        }),
        texts: get("texts"),
        referral_window_days: get("referral_window_days"),
        referral_landing_url: get("referral_landing_url"),
        conversion_burst_limit: get("conversion_burst_limit"),
        proof_of_work: get("proof_of_work"),
        referral_attribution: get("referral_attribution"),
        // A checkbox: left unticked, the browser sends nothing.
        structured_data: Some(fields.get("structured_data").unwrap_or("off")),
        // Added after the others: a form from before them leaves them as they are.
        invitation_reminder_days: fields.get("invitation_reminder_days"),
        invitation_daily_cap: fields.get("invitation_daily_cap"),
        reward_every: fields.get("reward_every"),
        reward_hold_days: fields.get("reward_hold_days"),
        reward_min_amount: fields.get("reward_min_amount"),
        friend_coupon: fields.get("friend_coupon"),
        reward_payout: fields.get("reward_payout"),
        // A secret is never shown again: an empty field keeps it, the checkbox removes it.
        stripe_signing_secret: match (fields.get("stripe_remove"), fields.get("stripe_signing_secret")) {
            (Some("on"), _) => Some(""),
            (_, Some(secret)) if !secret.trim().is_empty() => Some(secret),
            _ => None,
        },
    }
}

async fn save_settings(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let user = &form.session.user;
    match state.service.change_site(&site, Actor::Member(user), settings_input(&form.fields)).await {
        Ok(updated) => Ok(settings_form(
            &updated,
            &user.email,
            &form.session.csrf_token,
            &BTreeMap::new(),
            Some("Settings saved."),
            StatusCode::OK,
        )),
        Err(ServiceError::Invalid(errors)) => Ok(settings_form(
            &site,
            &user.email,
            &form.session.csrf_token,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(other) => Err(other.into()),
    }
}
