use std::rc::Rc;

use crate::site::Site;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api::{self, SubmitError};
use crate::config::MountConfig;
use crate::field::{error_text, text_field};
use crate::form_state::{Field, FormAction, FormState, Phase};
use crate::pow;
use crate::rating::Rating;
use crate::refer::Refer;
use crate::refusals::Refusals;
use crate::texts::Texts;
use crate::video;

#[derive(Properties, PartialEq)]
pub struct CollectProps {
    pub config: Rc<MountConfig>,
    pub site: Rc<Site>,
    pub texts: Texts,
}

/// Happy authors are offered their referral link on the thank-you screen.
const REFERRAL_OFFER_MIN_RATING: u8 = 4;

#[derive(Properties, PartialEq)]
struct ReferOfferProps {
    config: Rc<MountConfig>,
    texts: Texts,
    prefill: (String, String),
}

/// The loop from advocate to new customer: one button, then the link with its share options.
#[function_component(ReferOffer)]
fn refer_offer(props: &ReferOfferProps) -> Html {
    let open = use_state(|| false);
    if *open {
        return html! { <Refer config={props.config.clone()} texts={props.texts.clone()} prefill={props.prefill.clone()} /> };
    }
    let on_click = Callback::from(move |_| open.set(true));
    html! {
        <div class="fanfare-offer" part="offer">
            <p>{ props.texts.get("refer.offer") }</p>
            <button type="button" class="fanfare-button" part="button" onclick={on_click}>{ props.texts.get("refer.offer_button") }</button>
        </div>
    }
}

/// The testimonial form, then the thank-you screen with the private manage link.
#[function_component(Collect)]
pub fn collect(props: &CollectProps) -> Html {
    let state = use_reducer(FormState::default);
    // Where the video recorder renders; yew leaves its children to the recorder.
    let video_box = use_node_ref();
    let texts = &props.texts;

    let sent_privately = state.rating.is_some_and(|stars| stars <= props.site.low_rating_threshold);
    if let Phase::Sent { manage_url } = &state.phase {
        return html! {
            <section class="fanfare-card fanfare-thanks" part="card thanks" role="status">
                <h2 class="fanfare-title">{ texts.get("collect.thanks_title") }</h2>
                <p>{ texts.get(if sent_privately { "collect.private_thanks" } else { "collect.thanks" }) }</p>
                <p>{ texts.get("collect.manage") }</p>
                <p><a class="fanfare-link" href={manage_url.clone()} target="_blank" rel="noopener">{ manage_url }</a></p>
                if state.rating.is_some_and(|stars| stars >= REFERRAL_OFFER_MIN_RATING) {
                    <ReferOffer config={props.config.clone()} texts={texts.clone()}
                        prefill={(state.name.clone(), state.email.clone())} />
                }
            </section>
        };
    }

    let on_submit = {
        let state = state.clone();
        let config = props.config.clone();
        let site = props.site.clone();
        let texts = props.texts.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.phase == Phase::Sending || state.uploading {
                return;
            }
            // A video still recording or uploading: the form waits for it (or its cancelling).
            if state.video_pending() {
                return state.dispatch(FormAction::Failed(texts.get("collect.video_wait")));
            }
            let private = state.rating.is_some_and(|stars| stars <= site.low_rating_threshold);
            let mut body = state.submission(config.page_url.clone(), private);
            body.referral = config.referral.clone();
            body.device = config.device.clone();
            // The same rules the server applies, so most mistakes are caught before sending.
            if let Err(errors) = body.validate() {
                state.dispatch(FormAction::Refused(Refusals::from_rules(&errors, &texts)));
                return;
            }
            state.dispatch(FormAction::Sending);
            let (state, config, texts) = (state.clone(), config.clone(), texts.clone());
            let needs_work = site.proof_of_work > 0;
            wasm_bindgen_futures::spawn_local(async move {
                let mut body = body;
                if needs_work {
                    match pow::solve(&config).await {
                        Ok(solution) => body.pow = Some(solution),
                        Err(problem) => return state.dispatch(FormAction::Failed(problem)),
                    }
                }
                match api::submit(&config, &body).await {
                    Ok(created) => state.dispatch(FormAction::Sent { manage_url: created.manage_url }),
                    Err(SubmitError::Fields(fields)) => {
                        state.dispatch(FormAction::Refused(Refusals::from_server(fields, &texts)))
                    }
                    Err(SubmitError::Other(problem)) => state.dispatch(FormAction::Failed(problem)),
                }
            });
        })
    };

    let edit = |field: Field| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let value = event
                .target_dyn_into::<HtmlInputElement>()
                .map(|input| input.value())
                .or_else(|| event.target_dyn_into::<HtmlTextAreaElement>().map(|area| area.value()))
                .unwrap_or_default();
            state.dispatch(FormAction::Edit(field, value));
        })
    };
    let on_photo = {
        let (state, config, texts) = (state.clone(), props.config.clone(), props.texts.clone());
        Callback::from(move |event: Event| {
            let Some(file) = event
                .target_dyn_into::<HtmlInputElement>()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                return;
            };
            state.dispatch(FormAction::Uploading);
            let (state, config, texts) = (state.clone(), config.clone(), texts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = match api::upload_photo(&config, file).await {
                    Ok(created) => Ok(created.id),
                    Err(SubmitError::Fields(fields)) => {
                        let messages = fields.into_iter().map(|(_, message)| message).collect::<Vec<_>>();
                        Err(texts.refusal("photo", &messages.join(" ")))
                    }
                    Err(SubmitError::Other(message)) => Err(message),
                };
                state.dispatch(FormAction::Uploaded(result));
            });
        })
    };
    let on_video = {
        let (state, config, site, video_box) =
            (state.clone(), props.config.clone(), props.site.clone(), video_box.clone());
        Callback::from(move |_| {
            let Some(container) = video_box.cast::<web_sys::Element>() else {
                return;
            };
            state.dispatch(FormAction::VideoOpened);
            let state = state.clone();
            video::open(&config, &site, &container, move |said: wasm_bindgen::JsValue| {
                state.dispatch(match said.as_bool() {
                    Some(false) => FormAction::VideoUnavailable,
                    _ => FormAction::Video(said.as_string()),
                })
            });
        })
    };
    let on_rate = {
        let state = state.clone();
        Callback::from(move |stars: u8| state.dispatch(FormAction::Rate(stars)))
    };
    let on_contact_me = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let checked = event.target_dyn_into::<HtmlInputElement>().is_some_and(|input| input.checked());
            state.dispatch(FormAction::ContactMe(checked))
        })
    };
    let private = state.rating.is_some_and(|stars| stars <= props.site.low_rating_threshold);
    let on_consent = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let checked = event.target_dyn_into::<HtmlInputElement>().is_some_and(|input| input.checked());
            state.dispatch(FormAction::Consent(checked))
        })
    };

    let sending = state.phase == Phase::Sending;
    let errors = &state.errors;
    let error_id =
        |field: &str| errors.contains(field).then(|| AttrValue::from(["fanfare-", field, "-error"].concat()));

    html! {
        <form class="fanfare-card fanfare-form" part="card form" novalidate=true onsubmit={on_submit}
            aria-busy={sending.then_some("true")}>
            <h2 class="fanfare-title">{ texts.get("collect.title") }</h2>
            <div class="fanfare-alert" role="alert" part="alert">
                if !errors.is_empty() { <p>{ texts.get("collect.errors") }</p> }
                if let Some(problem) = &state.problem { <p>{ problem }</p> }
            </div>
            { text_field("name", &texts.get("collect.name"), "text", "name", &state.name, edit(Field::Name), errors, None) }
            { text_field("email", &texts.get("collect.email"), "email", "email", &state.email, edit(Field::Email), errors,
                Some(texts.get("collect.email_hint"))) }
            <div class="fanfare-row">
                { text_field("role", &texts.get("collect.role"), "text", "organization-title", &state.role, edit(Field::Role), errors, None) }
                { text_field("company", &texts.get("collect.company"), "text", "organization", &state.company, edit(Field::Company), errors, None) }
            </div>
            <div class="fanfare-field" part="field">
                <label class="fanfare-label" for="fanfare-photo">{ texts.get("collect.photo") }</label>
                <input id="fanfare-photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp"
                    class="fanfare-input" part="input" onchange={on_photo}
                    aria-invalid={errors.contains("photo").then_some("true")} aria-describedby={error_id("photo")} />
                if state.uploading { <p class="fanfare-hint" role="status">{ texts.get("collect.uploading") }</p> }
                if state.photo.is_some() { <p class="fanfare-hint fanfare-photo-ok" role="status">{ texts.get("collect.photo_added") }</p> }
                { error_text("photo", errors) }
            </div>
            <div class="fanfare-field" part="field">
                if !state.video_open {
                    <button type="button" class="fanfare-button fanfare-secondary" part="button" onclick={on_video}>
                        { texts.get("collect.video_add") }
                    </button>
                }
                <div ref={video_box} />
                if state.video_unavailable {
                    <p class="fanfare-error" role="alert">{ texts.get("collect.video_unavailable") }</p>
                }
                { error_text("video", errors) }
            </div>
            <Rating legend={texts.get("collect.rating")} texts={texts.clone()} value={state.rating} on_rate={on_rate} error_id={error_id("rating")} />
            { error_text("rating", errors) }
            <div class="fanfare-field" part="field">
                <label class="fanfare-label" for="fanfare-text">{ texts.get("collect.text") }</label>
                <textarea id="fanfare-text" name="text" rows="5" class="fanfare-input" part="input"
                    value={state.text.clone()} oninput={edit(Field::Text)} required=true
                    aria-invalid={errors.contains("text").then_some("true")} aria-describedby={error_id("text")} />
                { error_text("text", errors) }
            </div>
            if private {
                // A low rating becomes private feedback: nothing to publish, so no consent to ask;
                // the visitor may ask to be contacted instead.
                <p class="fanfare-private" part="private" role="status">{ texts.get("collect.private_note") }</p>
                <div class="fanfare-consent" part="consent">
                    <input type="checkbox" id="fanfare-contact-me" name="contact_me" checked={state.contact_me} onchange={on_contact_me} />
                    <label for="fanfare-contact-me">{ texts.get("collect.contact_me") }</label>
                </div>
            } else {
                <div class="fanfare-consent" part="consent">
                    <input type="checkbox" id="fanfare-consent" name="consent" checked={state.consent} onchange={on_consent}
                        aria-invalid={errors.contains("consent").then_some("true")} aria-describedby={error_id("consent")} />
                    <label for="fanfare-consent">{ &props.site.consent_text }</label>
                    { error_text("consent", errors) }
                </div>
            }
            // A trap for form-filling bots: off-screen, out of the tab order, hidden from
            // assistive technology. Anything typed here drops the submission on the server.
            <div class="fanfare-trap" aria-hidden="true">
                <label for="fanfare-website">{ "Website" }</label>
                <input id="fanfare-website" name="website" type="text" tabindex="-1" autocomplete="off"
                    value={state.website.clone()} oninput={edit(Field::Website)} />
            </div>
            <p class="fanfare-next" part="next">{ texts.get(if private { "collect.private_next" } else { "collect.next" }) }</p>
            <button type="submit" class="fanfare-button" part="button" disabled={sending}>
                { if sending { texts.get("collect.sending") } else { texts.get("collect.submit") } }
            </button>
        </form>
    }
}
