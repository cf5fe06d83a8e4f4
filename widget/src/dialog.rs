use std::rc::Rc;

use crate::site::Site;
use web_sys::HtmlDialogElement;
use yew::prelude::*;

use crate::collect::Collect;
use crate::config::MountConfig;
use crate::texts::Texts;

#[derive(Properties, PartialEq)]
pub struct FloatingProps {
    pub config: Rc<MountConfig>,
    pub site: Rc<Site>,
    pub texts: Texts,
}

/// The floating button and the form it opens. The dialog is the browser's own modal
/// `<dialog>`: it traps focus, closes on Escape and returns focus to the button.
/// It opens as soon as it mounts, because the loader mounts it when the button is pressed.
#[function_component(Floating)]
pub fn floating(props: &FloatingProps) -> Html {
    let dialog = use_node_ref();
    let open = {
        let dialog = dialog.clone();
        move || {
            if let Some(dialog) = dialog.cast::<HtmlDialogElement>() {
                if !dialog.open() {
                    let _ = dialog.show_modal();
                }
            }
        }
    };
    {
        let open = open.clone();
        use_effect_with((), move |_| open());
    }
    let on_open = Callback::from(move |_: MouseEvent| open());
    let on_close = {
        let dialog = dialog.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(dialog) = dialog.cast::<HtmlDialogElement>() {
                dialog.close();
            }
        })
    };
    let texts = &props.texts;
    html! {
        <>
            <button type="button" class="fanfare-button fanfare-floating" part="floating-button" onclick={on_open}
                aria-haspopup="dialog">
                { texts.get("floating.open") }
            </button>
            <dialog ref={dialog} class="fanfare-dialog" part="dialog" aria-label={texts.get("collect.title")}>
                <button type="button" class="fanfare-close" part="close" onclick={on_close}
                    aria-label={texts.get("floating.close")}>{ "×" }</button>
                <Collect config={props.config.clone()} site={props.site.clone()} texts={texts.clone()} />
            </dialog>
        </>
    }
}
