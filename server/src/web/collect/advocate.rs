//! `GET /c/{site}/advocate/{token}`: an advocate's private page, in their language, in the
//! site's colours: the link to share, visits, their friends' purchases with where each stands,
//! and their rewards with the codes handed out. The address comes only by email.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;

use super::texts::PageTexts;
use super::views::document;
use super::{accept_language, failed, find_site, language, page, site_page_texts};
use crate::clock::rfc3339;
use crate::service::rewards::advocate_page::AdvocateView;
use crate::service::rewards::ConversionState;
use crate::service::ServiceError;
use crate::storage::{Money, Reward, RewardState, Site};
use crate::web::state::AppState;

pub(super) async fn advocate_page(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = match find_site(&state, &slug, &headers).await {
        Ok(site) => site,
        Err(response) => return response,
    };
    let asked: Option<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "lang")
        .map(|(_, value)| value.into_owned());
    match state.service.advocate_view(&site, &token).await {
        Ok(view) => {
            let lang =
                language::choose(asked.as_deref(), Some(&view.advocate.lang), accept_language(&headers));
            let texts = site_page_texts(&site, lang);
            page(StatusCode::OK, render(&texts, &site, &view))
        }
        Err(ServiceError::NotFound(_)) => {
            let texts =
                site_page_texts(&site, language::choose(asked.as_deref(), None, accept_language(&headers)));
            let html = super::views::message_page(&texts, Some(&site), texts.get("advocate.invalid"), None);
            page(StatusCode::NOT_FOUND, html)
        }
        Err(error) => {
            let texts =
                site_page_texts(&site, language::choose(asked.as_deref(), None, accept_language(&headers)));
            failed(&texts, Some(&site), &error)
        }
    }
}

fn date(texts: &PageTexts, ms: i64) -> String {
    texts.date(&rfc3339(ms))
}

fn amount(texts: &PageTexts, money: &Money) -> String {
    format!(
        "{} {}",
        texts.number(money.in_units(), money.fraction_digits()),
        money.currency.to_ascii_uppercase()
    )
}

fn conversion_status(texts: &PageTexts, state: ConversionState) -> String {
    match state {
        ConversionState::Pending { until } => {
            texts.fill("advocate.pending", &[("date", &date(texts, until))])
        }
        ConversionState::InReview => texts.get("advocate.in_review").to_owned(),
        ConversionState::Confirmed => texts.get("advocate.confirmed").to_owned(),
        ConversionState::Reversed => texts.get("advocate.reversed").to_owned(),
        ConversionState::Declined => texts.get("advocate.declined").to_owned(),
    }
}

fn reward_status(texts: &PageTexts, reward: &Reward) -> String {
    match (reward.state, &reward.coupon_code) {
        (RewardState::Held, _) => {
            texts.fill("advocate.reward_held", &[("date", &date(texts, reward.hold_until))])
        }
        (RewardState::Due, _) => texts.get("advocate.reward_due").to_owned(),
        (RewardState::Given, Some(code)) => texts.fill("advocate.reward_code", &[("code", code)]),
        (RewardState::Given, None) => texts.get("advocate.reward_given").to_owned(),
        (RewardState::Cancelled, _) => texts.get("advocate.reward_cancelled").to_owned(),
    }
}

fn render(texts: &PageTexts, site: &Site, view: &AdvocateView) -> String {
    let name = shown(&view.advocate.name);
    let site_name = shown(&site.name);
    let heading = texts.fill("advocate.title", &[("site", &site_name)]);
    let main = html! {
        h1 { (heading) }
        p { (texts.fill("advocate.greeting", &[("name", &name), ("site", &site_name)])) }
        div.share-link {
            label for="link" { (texts.get("advocate.link")) }
            input id="link" type="text" readonly value=(view.link);
            // Shown by the script, where the clipboard can be written.
            button id="copy" type="button" hidden data-copied=(texts.get("refer.copied")) { (texts.get("refer.copy")) }
            span id="copied" role="status" {}
        }
        @if let Some(every) = site.rewards.every {
            p {
                @if every == 1 { (texts.get("advocate.rule_each")) }
                @else { (texts.fill("advocate.rule_every", &[("n", &texts.count(u64::from(every)))])) }
                " "
                @if site.rewards.hold_days > 0 {
                    (texts.fill("advocate.rule_hold", &[("n", &texts.count(u64::from(site.rewards.hold_days)))]))
                }
            }
        }
        p { (texts.fill("advocate.visits", &[("count", &texts.count(view.visits))])) }
        h2 { (texts.get("advocate.conversions")) }
        @if view.conversions.is_empty() {
            p { (texts.get("advocate.no_conversions")) }
        } @else {
            table.history {
                thead { tr { th scope="col" { (texts.get("advocate.date")) } th scope="col" { (texts.get("advocate.amount")) } th scope="col" { (texts.get("advocate.status")) } } }
                tbody {
                    @for (conversion, state) in &view.conversions {
                        tr {
                            td { (date(texts, conversion.created_at)) }
                            td { @if let Some(value) = &conversion.value { (amount(texts, value)) } @else { "—" } }
                            td { (conversion_status(texts, *state)) }
                        }
                    }
                }
            }
        }
        h2 { (texts.get("advocate.rewards")) }
        @if view.rewards.is_empty() {
            p { (texts.get("advocate.no_rewards")) }
        } @else {
            ul.rewards {
                @for reward in &view.rewards {
                    li { (date(texts, reward.created_at)) ": " strong { (reward_status(texts, reward)) } }
                }
            }
        }
        p.hint { (texts.get("advocate.private")) }
    };
    document(texts, &heading, Some(site), main)
}
