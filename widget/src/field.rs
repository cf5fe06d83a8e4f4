//! A labelled text input with its hint and error, shared by every form of the widget.

use std::collections::BTreeMap;

use yew::prelude::*;

#[allow(clippy::too_many_arguments)]
pub fn text_field(
    name: &'static str,
    label: &str,
    kind: &'static str,
    autocomplete: &'static str,
    value: &str,
    on_input: Callback<InputEvent>,
    errors: &BTreeMap<String, String>,
    hint: Option<String>,
) -> Html {
    let id = format!("fanfare-{name}");
    let hint_id = format!("fanfare-{name}-hint");
    let error_id = format!("fanfare-{name}-error");
    let invalid = errors.contains_key(name);
    let described_by: Vec<&str> =
        [hint.is_some().then_some(hint_id.as_str()), invalid.then_some(error_id.as_str())]
            .into_iter()
            .flatten()
            .collect();
    html! {
        <div class="fanfare-field" part="field">
            <label class="fanfare-label" for={id.clone()}>{ label }</label>
            <input id={id} name={name} type={kind} autocomplete={autocomplete} class="fanfare-input" part="input"
                value={value.to_owned()} oninput={on_input}
                aria-invalid={invalid.then_some("true")}
                aria-describedby={(!described_by.is_empty()).then(|| described_by.join(" "))} />
            if let Some(hint) = hint { <p class="fanfare-hint" id={hint_id}>{ hint }</p> }
            { error_text(name, errors) }
        </div>
    }
}

pub fn error_text(field: &str, errors: &BTreeMap<String, String>) -> Html {
    match errors.get(field) {
        Some(message) => html! {
            <p class="fanfare-error" id={format!("fanfare-{field}-error")} part="error">{ field_label(field) }{ " " }{ message }</p>
        },
        None => Html::default(),
    }
}

/// Error messages from the rules read "is required"; they need their subject.
fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "Name",
        "email" => "Email",
        "role" => "Role",
        "company" => "Company",
        "rating" => "Rating",
        "text" => "Testimonial",
        "consent" => "Consent",
        "photo" => "Photo",
        _ => "This field",
    }
}
