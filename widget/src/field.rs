//! A labelled text input with its hint and error, shared by every form of the widget.

use yew::prelude::*;

use crate::refusals::Refusals;

#[allow(clippy::too_many_arguments)]
pub fn text_field(
    name: &'static str,
    label: &str,
    kind: &'static str,
    autocomplete: &'static str,
    value: &str,
    on_input: Callback<InputEvent>,
    errors: &Refusals,
    hint: Option<String>,
) -> Html {
    let id = ["fanfare-", name].concat();
    let hint_id = [&id, "-hint"].concat();
    let error_id = [&id, "-error"].concat();
    let invalid = errors.contains(name);
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

/// The refusal of `field`, if any: already a whole sentence (see [`Texts::refusal`]).
///
/// [`Texts::refusal`]: crate::texts::Texts::refusal
pub fn error_text(field: &str, errors: &Refusals) -> Html {
    match errors.get(field) {
        Some(message) => html! {
            <p class="fanfare-error" id={["fanfare-", field, "-error"].concat()} part="error">{ message }</p>
        },
        None => Html::default(),
    }
}
