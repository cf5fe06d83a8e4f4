use yew::prelude::*;

use crate::texts::{digits, stars_label, Texts};

#[derive(Properties, PartialEq)]
pub struct RatingProps {
    pub legend: String,
    pub texts: Texts,
    pub value: Option<u8>,
    pub on_rate: Callback<u8>,
    /// The id of the error text, when there is one.
    pub error_id: Option<AttrValue>,
}

/// Five stars as a real radio group: arrow keys move between them, screen readers announce
/// "4 out of 5 stars", and the form's reset and validation behave as for any radio.
#[function_component(Rating)]
pub fn rating(props: &RatingProps) -> Html {
    let stars = (1..=5u8).map(|stars| {
        let on_change = {
            let on_rate = props.on_rate.clone();
            Callback::from(move |_: Event| on_rate.emit(stars))
        };
        let number = digits(stars.into());
        let id = ["fanfare-rating-", &number].concat();
        let lit = props.value.is_some_and(|value| stars <= value);
        html! {
            <>
                <input type="radio" class="fanfare-visually-hidden" id={id.clone()} name="rating"
                    value={number} checked={props.value == Some(stars)} onchange={on_change} />
                <label for={id} class={if lit { "fanfare-star is-lit" } else { "fanfare-star" }} part="star">
                    <span aria-hidden="true">{ "★" }</span>
                    <span class="fanfare-visually-hidden">{ stars_label(&props.texts, stars) }</span>
                </label>
            </>
        }
    });
    html! {
        <fieldset class="fanfare-rating" part="rating" aria-invalid={props.error_id.is_some().then_some("true")}
            aria-describedby={props.error_id.clone()}>
            <legend class="fanfare-label">{ &props.legend }</legend>
            <div class="fanfare-stars">{ for stars }</div>
        </fieldset>
    }
}
