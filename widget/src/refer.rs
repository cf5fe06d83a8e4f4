//! Refer mode: the visitor gives name and email and gets their personal link to share, with
//! Copy, the browser's own share sheet where there is one, and plain share links (no
//! third-party scripts). Also shown on the thank-you screen after a high rating.

use std::rc::Rc;

use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use wasm_bindgen::JsValue;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, SubmitError};
use crate::config::MountConfig;
use crate::field::{error_text, text_field};
use crate::refusals::Refusals;
use crate::texts::Texts;

#[derive(Properties, PartialEq)]
pub struct ReferProps {
    pub config: Rc<MountConfig>,
    pub texts: Texts,
    /// Name and email the visitor already gave (the testimonial form); asks at once.
    #[prop_or_default]
    pub prefill: Option<(String, String)>,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Sending,
    Ready(Rc<ReferralCreated>),
}

#[function_component(Refer)]
pub fn refer(props: &ReferProps) -> Html {
    let (prefill_name, prefill_email) = props.prefill.clone().unwrap_or_default();
    let name = use_state(|| prefill_name);
    let email = use_state(|| prefill_email);
    let errors = use_state(Refusals::default);
    let problem = use_state(|| None::<String>);
    let phase = use_state(|| Phase::Editing);
    let copied = use_state(|| false);
    let texts = &props.texts;

    let request = {
        let (name, email, errors, problem, phase) =
            (name.clone(), email.clone(), errors.clone(), problem.clone(), phase.clone());
        let (config, texts) = (props.config.clone(), props.texts.clone());
        Callback::from(move |()| {
            let body = CreateReferral {
                name: Some((*name).clone()),
                email: Some((*email).clone()),
                page_url: config.page_url.clone(),
                device: config.device.clone(),
            };
            if let Err(refused) = body.validate() {
                errors.set(Refusals::from_rules(&refused, &texts));
                return;
            }
            phase.set(Phase::Sending);
            let (errors, problem, phase, config, texts) =
                (errors.clone(), problem.clone(), phase.clone(), config.clone(), texts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::create_referral(&config, &body).await {
                    Ok(created) => phase.set(Phase::Ready(Rc::new(created))),
                    Err(SubmitError::Fields(fields)) => {
                        errors.set(Refusals::from_server(fields, &texts));
                        phase.set(Phase::Editing);
                    }
                    Err(SubmitError::Other(message)) => {
                        problem.set(Some(message));
                        phase.set(Phase::Editing);
                    }
                }
            });
        })
    };
    {
        let (request, asks_at_once) = (request.clone(), props.prefill.is_some());
        use_effect_with((), move |_| {
            if asks_at_once {
                request.emit(());
            }
        });
    }

    if let Phase::Ready(created) = &*phase {
        return ready(created, texts, copied);
    }
    let sending = *phase == Phase::Sending;
    let on_submit = {
        let request = request.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            request.emit(());
        })
    };
    let edit = |field: UseStateHandle<String>| {
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                field.set(input.value());
            }
        })
    };
    html! {
        <form class="fanfare-card fanfare-form fanfare-refer" part="card form refer" novalidate=true onsubmit={on_submit}
            aria-busy={sending.then_some("true")}>
            <h2 class="fanfare-title">{ texts.get("refer.title") }</h2>
            <p>{ texts.get("refer.intro") }</p>
            <div class="fanfare-alert" role="alert" part="alert">
                if let Some(problem) = &*problem { <p>{ problem }</p> }
            </div>
            { text_field("name", &texts.get("collect.name"), "text", "name", &name, edit(name.clone()), &errors, None) }
            { text_field("email", &texts.get("collect.email"), "email", "email", &email, edit(email.clone()), &errors,
                Some(texts.get("refer.email_hint"))) }
            { error_text("device", &errors) }
            <button type="submit" class="fanfare-button" part="button" disabled={sending}>
                { if sending { texts.get("collect.sending") } else { texts.get("refer.submit") } }
            </button>
        </form>
    }
}

fn ready(created: &ReferralCreated, texts: &Texts, copied: UseStateHandle<bool>) -> Html {
    let link = created.link.clone();
    let message = texts.get("refer.message");
    let on_copy = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_| {
            if call_navigator("clipboard", Some("writeText"), &JsValue::from_str(&link)) {
                copied.set(true);
            }
        })
    };
    let can_share = navigator_has("share");
    let on_share = {
        let (link, message) = (link.clone(), message.clone());
        Callback::from(move |_| {
            let data = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&data, &"text".into(), &JsValue::from_str(&message));
            let _ = js_sys::Reflect::set(&data, &"url".into(), &JsValue::from_str(&link));
            call_navigator("share", None, &data);
        })
    };
    let encoded_link = String::from(js_sys::encode_uri_component(&link));
    let encoded_text = String::from(js_sys::encode_uri_component(&message));
    let both = String::from(js_sys::encode_uri_component(&[message.as_str(), " ", &link].concat()));
    let targets = [
        ("Email", ["mailto:?subject=", &encoded_text, "&body=", &both].concat()),
        ("WhatsApp", ["https://wa.me/?text=", &both].concat()),
        ("X", ["https://x.com/intent/post?text=", &encoded_text, "&url=", &encoded_link].concat()),
        ("LinkedIn", ["https://www.linkedin.com/sharing/share-offsite/?url=", &encoded_link].concat()),
        ("Facebook", ["https://www.facebook.com/sharer/sharer.php?u=", &encoded_link].concat()),
    ];
    html! {
        <section class="fanfare-card fanfare-refer" part="card refer" role="status">
            <h2 class="fanfare-title">{ texts.get("refer.ready_title") }</h2>
            <p>{ texts.get("refer.ready") }</p>
            <div class="fanfare-share-link">
                <label class="fanfare-label" for="fanfare-ref-link">{ texts.get("refer.link") }</label>
                <input id="fanfare-ref-link" class="fanfare-input" part="input" readonly=true value={link} />
                <button type="button" class="fanfare-button" part="button" onclick={on_copy}>
                    { if *copied { texts.get("refer.copied") } else { texts.get("refer.copy") } }
                </button>
                if can_share {
                    <button type="button" class="fanfare-button fanfare-secondary" part="button" onclick={on_share}>
                        { texts.get("refer.share") }
                    </button>
                }
            </div>
            <ul class="fanfare-share" aria-label={texts.get("refer.share_on")}>
                { for targets.into_iter().map(|(label, href)| html! {
                    <li><a class="fanfare-link" href={href} target="_blank" rel="noopener noreferrer">{ label }</a></li>
                }) }
            </ul>
        </section>
    }
}

fn navigator() -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok().filter(|value| value.is_object())
}

fn navigator_has(name: &str) -> bool {
    navigator()
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &name.into()).ok())
        .is_some_and(|value| value.is_function())
}

/// `navigator.<object>.<method>(argument)` or `navigator.<object>(argument)`, where the browser
/// has it; looked up at run time because not every browser does.
fn call_navigator(object: &str, method: Option<&str>, argument: &JsValue) -> bool {
    use wasm_bindgen::JsCast;
    let Some(navigator) = navigator() else { return false };
    let Ok(target) = js_sys::Reflect::get(&navigator, &object.into()) else { return false };
    let (this, function) = match method {
        Some(method) => (target.clone(), js_sys::Reflect::get(&target, &method.into()).ok()),
        None => (navigator, Some(target)),
    };
    match function.and_then(|function| function.dyn_into::<js_sys::Function>().ok()) {
        Some(function) => function.call1(&this, argument).is_ok(),
        None => false,
    }
}
