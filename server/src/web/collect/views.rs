//! The collection page's HTML: the form (with its error summary), the thank-you screen with
//! the referral offer, the referral link, and short message pages. Every page is one column,
//! its fields labelled and described for screen readers, and whole without its script.

use fanfare_protocol::fields::without_bidi_controls as shown;
use fanfare_protocol::languages::is_right_to_left;
use maud::{html, Markup, DOCTYPE};

use super::posted::Values;
use super::texts::PageTexts;
use crate::service::photos::MAX_UPLOAD_BYTES;
use crate::storage::Site;

/// Fields in the order the form shows them: the error summary lists refusals the same way.
pub const FIELD_ORDER: [&str; 10] =
    ["name", "email", "role", "company", "rating", "text", "photo", "video", "consent", "contact_me"];

/// The element a refusal of `field` links to from the summary.
fn anchor(field: &str) -> Option<String> {
    match field {
        "rating" => Some("rating-1".to_owned()),
        // The id is a hidden input; the section around it is what the visitor can reach.
        "video" => Some("video-field".to_owned()),
        field if FIELD_ORDER.contains(&field) => Some(field.replace('_', "-")),
        _ => None,
    }
}

/// What an invitation link in the address says about this form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitation {
    None,
    /// Valid and unused: the testimonial will be a verified customer's.
    Usable,
    /// Used, expired or not ours: an ordinary testimonial, and the page says so.
    NotUsable,
}

pub struct FormView<'a> {
    pub values: &'a Values,
    pub invitation: Invitation,
    /// Field wire name → the sentence shown, in [`FIELD_ORDER`].
    pub errors: &'a [(String, String)],
    /// A problem that belongs to no field (rate limits, our own failure, the missing puzzle).
    pub problem: Option<&'a str>,
    /// A photo came with a refused form: it was not kept and must be chosen again.
    pub photo_dropped: bool,
    /// The site asks for proof of work that only the page's script can do.
    pub needs_script: bool,
    /// The video recorder's address (`/widget/recorder-….js`), when the widget is built: the
    /// page's script offers a video with it.
    pub recorder: Option<String>,
}

/// The frame of every collection page: the site's name and colours, the page's language and
/// direction, our stylesheet and script (no inline ones: the CSP allows neither).
pub fn document(texts: &PageTexts, title: &str, site: Option<&Site>, main: Markup) -> String {
    let dir = if is_right_to_left(texts.lang) { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(texts.lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Not `no-referrer`: browsers then send `Origin: null` with the form, and one that
                // sends no `Sec-Fetch-Site` either would be refused as cross-site.
                meta name="referrer" content="same-origin";
                // Invitation links carry personal tokens: nothing here belongs in a search index.
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href="/c/collect.css";
                @if let Some(site) = site {
                    link rel="stylesheet" href=(format!("/c/{}/theme.css", site.slug));
                }
                script src="/c/collect.js" defer {}
            }
            body {
                header.band {
                    @if let Some(site) = site { p.site-name { bdi { (shown(&site.name)) } } }
                }
                main id="main" { (main) }
            }
        }
    }
    .into_string()
}

fn title(site: &Site, page: &str) -> String {
    format!("{page} · {}", shown(&site.name))
}

/// The form, empty, prefilled by an invitation, or shown again with what was refused.
pub fn form_page(texts: &PageTexts, site: &Site, view: &FormView<'_>) -> String {
    let heading = texts.get("collect.title");
    let page_title = if view.errors.is_empty() && view.problem.is_none() {
        title(site, heading)
    } else {
        title(site, &format!("{} {heading}", texts.get("collect.errors")))
    };
    let main = html! {
        h1 { (heading) }
        p.intro { (texts.fill("page.intro", &[("site", &shown(&site.name))])) }
        @match view.invitation {
            Invitation::Usable => p.notice.verified { (texts.get("page.invited")) },
            Invitation::NotUsable => p.notice.caution { (texts.get("page.invite_used")) },
            Invitation::None => {},
        }
        @if !view.errors.is_empty() || view.problem.is_some() {
            (summary(texts, view))
        }
        @if view.needs_script {
            noscript { p.notice.caution { (texts.get("page.needs_javascript")) } }
        }
        (form(texts, site, view))
    };
    document(texts, &page_title, Some(site), main)
}

/// The error summary: focused when the page opens, so it is read first, each refusal a link
/// to its field.
fn summary(texts: &PageTexts, view: &FormView<'_>) -> Markup {
    html! {
        div.summary id="problems" role="alert" tabindex="-1" autofocus aria-labelledby="problems-title" {
            h2 id="problems-title" { (texts.get("collect.errors")) }
            @if let Some(problem) = view.problem { p { (problem) } }
            @if !view.errors.is_empty() {
                ul {
                    @for (field, sentence) in view.errors {
                        li {
                            @match anchor(field) {
                                Some(id) => a href=(format!("#{id}")) { (sentence) },
                                None => (sentence),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn error_of<'v>(view: &'v FormView<'_>, field: &str) -> Option<&'v str> {
    view.errors.iter().find(|(name, _)| name == field).map(|(_, sentence)| sentence.as_str())
}

/// `aria-describedby` for a field: its hint, then its error.
fn described_by(ids: &[Option<String>]) -> Option<String> {
    let ids: Vec<&str> = ids.iter().flatten().map(String::as_str).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

struct Input<'a> {
    name: &'static str,
    label: &'a str,
    kind: &'static str,
    autocomplete: &'static str,
    value: &'a str,
    hint: Option<&'a str>,
    required: bool,
}

fn input(view: &FormView<'_>, field: Input<'_>) -> Markup {
    let id = field.name;
    let error = error_of(view, field.name);
    let hint_id = field.hint.map(|_| format!("{id}-hint"));
    let error_id = error.map(|_| format!("{id}-error"));
    html! {
        div.field {
            label for=(id) { (field.label) }
            input id=(id) name=(field.name) type=(field.kind) autocomplete=(field.autocomplete)
                value=(field.value) required[field.required]
                inputmode=[(field.kind == "email").then_some("email")]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described_by(&[hint_id.clone(), error_id.clone()])];
            @if let (Some(hint), Some(hint_id)) = (field.hint, &hint_id) { p.hint id=(hint_id) { (hint) } }
            @if let (Some(error), Some(error_id)) = (error, &error_id) { p.error id=(error_id) { (error) } }
        }
    }
}

fn form(texts: &PageTexts, site: &Site, view: &FormView<'_>) -> Markup {
    let values = view.values;
    let rating_error = error_of(view, "rating");
    let text_error = error_of(view, "text");
    let photo_error = error_of(view, "photo");
    let video_error = error_of(view, "video");
    let consent_error = error_of(view, "consent");
    let photo_hint = view.photo_dropped.then(|| "photo-hint".to_owned());
    let megabytes = texts.count((MAX_UPLOAD_BYTES / (1024 * 1024)) as u64);
    let too_large = texts.fill("page.photo_refused", &[("n", &megabytes)]);
    let threshold = texts.count(site.low_rating_threshold.into());
    html! {
        form id="collect" method="post" action=(format!("/c/{}", site.slug)) enctype="multipart/form-data" novalidate
            data-low=(site.low_rating_threshold) data-pow=(site.proof_of_work) data-site=(site.slug)
            data-sending=(texts.get("collect.sending")) {
            input type="hidden" name="lang" value=(texts.lang);
            input type="hidden" name="key" value=(values.key);
            input id="pow" type="hidden" name="pow" value=(values.pow);
            @if !values.invite.is_empty() { input type="hidden" name="invite" value=(values.invite); }
            (input(view, Input { name: "name", label: texts.get("collect.name"), kind: "text", autocomplete: "name",
                value: &values.name, hint: None, required: true }))
            (input(view, Input { name: "email", label: texts.get("collect.email"), kind: "email", autocomplete: "email",
                value: &values.email, hint: Some(texts.get("collect.email_hint")), required: true }))
            (input(view, Input { name: "role", label: texts.get("collect.role"), kind: "text",
                autocomplete: "organization-title", value: &values.role, hint: None, required: false }))
            (input(view, Input { name: "company", label: texts.get("collect.company"), kind: "text",
                autocomplete: "organization", value: &values.company, hint: None, required: false }))
            // A radio group by role too, so its error state and message reach the radios.
            fieldset.rating role="radiogroup" aria-invalid=[rating_error.map(|_| "true")]
                aria-describedby=[rating_error.map(|_| "rating-error")] {
                legend { (texts.get("collect.rating")) }
                div.stars {
                    @for stars in 1..=5u8 {
                        input.visually-hidden type="radio" name="rating" id=(format!("rating-{stars}"))
                            value=(stars) checked[values.rating.trim() == stars.to_string()];
                        label for=(format!("rating-{stars}")) {
                            span aria-hidden="true" { "★" }
                            span.visually-hidden { (texts.stars(stars)) }
                        }
                    }
                }
                @if let Some(error) = rating_error { p.error id="rating-error" { (error) } }
            }
            div.field {
                label for="text" { (texts.get("collect.text")) }
                textarea id="text" name="text" rows="6" required dir="auto"
                    aria-invalid=[text_error.map(|_| "true")]
                    aria-describedby=[text_error.map(|_| "text-error")] { (values.text) }
                @if let Some(error) = text_error { p.error id="text-error" { (error) } }
            }
            div.field {
                label for="photo" { (texts.get("collect.photo")) }
                // `image/*` makes a phone offer its camera beside the photo library (a `capture`
                // attribute would take the library away: Android then opens the camera only), and
                // lets an iPhone send JPEG from its HEIC library, converted on the way.
                // The script refuses a photo over the limit before sending (a phone's camera makes
                // big ones; a body cut off at the limit would lose the fields after it).
                input id="photo" name="photo" type="file" accept="image/*"
                    data-max-bytes=(MAX_UPLOAD_BYTES) data-too-large=(too_large)
                    aria-invalid=[photo_error.map(|_| "true")]
                    aria-describedby=[described_by(&[photo_hint.clone(), photo_error.map(|_| "photo-error".to_owned())])];
                @if view.photo_dropped { p.hint id="photo-hint" { (texts.get("page.photo_again")) } }
                @if let Some(error) = photo_error { p.error id="photo-error" { (error) } }
                div.preview id="photo-preview" hidden {}
            }
            @if let Some(recorder) = &view.recorder {
                // Recording and uploading need the script, which shows this and loads the
                // recorder (with its texts) only when the visitor asks for it.
                div.field.video id="video-field" tabindex="-1" hidden data-recorder=(recorder)
                    data-texts=(texts.json_with_prefix("collect.video_")) {
                    // A refused form shown again keeps its video (the recorder says so).
                    // A video the server refused is not offered again with the form.
                    input id="video" type="hidden" name="video" value=(if video_error.is_some() { "" } else { values.video.as_str() });
                    button.secondary id="video-add" type="button" { (texts.get("collect.video_add")) }
                    div id="video-box" {}
                    p.error id="video-wait" role="alert" hidden { (texts.get("collect.video_wait")) }
                    @if let Some(error) = video_error { p.error id="video-error" { (error) } }
                }
            }
            // Shown by the script when a low rating is chosen; without it, the contact box
            // below explains the rule.
            p.private-note id="private-note" role="status" hidden { (texts.get("collect.private_note")) }
            div.check id="consent-box" {
                input id="consent" name="consent" type="checkbox" checked[values.consent]
                    aria-invalid=[consent_error.map(|_| "true")]
                    aria-describedby=[consent_error.map(|_| "consent-error")];
                label for="consent" { (shown(&site.consent_text)) }
                @if let Some(error) = consent_error { p.error id="consent-error" { (error) } }
            }
            div.check id="contact-box" {
                input id="contact-me" name="contact_me" type="checkbox" checked[values.contact_me]
                    aria-describedby="contact-hint";
                label for="contact-me" { (texts.get("collect.contact_me")) }
                p.hint id="contact-hint" { (texts.fill("page.private_hint", &[("n", &threshold)])) }
            }
            // A trap for form-filling bots: off-screen, out of the tab order, hidden from
            // assistive technology. Anything typed here drops the submission.
            div.trap aria-hidden="true" {
                label for="website" { "Website" }
                input id="website" name="website" type="text" tabindex="-1" autocomplete="off" value=(values.website);
            }
            p.next id="next-public" { (texts.get("collect.next")) }
            p.next id="next-private" hidden { (texts.get("collect.private_next")) }
            button type="submit" { (texts.get("collect.submit")) }
        }
    }
}

/// What the thank-you screen says.
pub struct Thanks<'a> {
    pub manage_url: &'a str,
    pub verified: bool,
    /// A low rating: the words went to the team only.
    pub private: bool,
    /// Name and email for the referral offer, made to happy authors only.
    pub offer: Option<(&'a str, &'a str)>,
}

pub fn thanks_page(texts: &PageTexts, site: &Site, thanks: &Thanks<'_>) -> String {
    let heading = texts.get("collect.thanks_title");
    let main = html! {
        h1 { (heading) }
        @if thanks.private {
            p { (texts.get("collect.private_thanks")) }
            p.notice { (texts.get("page.sent_privately")) }
        } @else {
            p { (texts.get("collect.thanks")) }
        }
        @if thanks.verified {
            p.verified-badge { span aria-hidden="true" { "✓ " } (texts.get("wall.verified")) }
        }
        div.keep {
            p { (texts.get("collect.manage")) }
            p { a.manage href=(thanks.manage_url) rel="noreferrer" { (thanks.manage_url) } }
        }
        @if let Some((name, email)) = thanks.offer {
            section.offer aria-labelledby="offer-title" {
                h2 id="offer-title" { (texts.get("refer.title")) }
                p { (texts.get("refer.offer")) }
                (referral_form(texts, site, name, email, &[]))
            }
        }
    };
    document(texts, &title(site, heading), Some(site), main)
}

/// Name and email for a referral link, prefilled from the testimonial.
fn referral_form(
    texts: &PageTexts,
    site: &Site,
    name: &str,
    email: &str,
    errors: &[(String, String)],
) -> Markup {
    let values = Values { name: name.to_owned(), email: email.to_owned(), ..Values::default() };
    let view = FormView {
        values: &values,
        invitation: Invitation::None,
        errors,
        problem: None,
        photo_dropped: false,
        needs_script: false,
        recorder: None,
    };
    html! {
        form.refer method="post" action=(format!("/c/{}/refer", site.slug)) novalidate {
            input type="hidden" name="lang" value=(texts.lang);
            (input(&view, Input { name: "name", label: texts.get("collect.name"), kind: "text", autocomplete: "name",
                value: name, hint: None, required: true }))
            (input(&view, Input { name: "email", label: texts.get("collect.email"), kind: "email", autocomplete: "email",
                value: email, hint: Some(texts.get("refer.email_hint")), required: true }))
            button type="submit" { (texts.get("refer.offer_button")) }
        }
    }
}

/// The referral form again, with what was refused.
pub fn referral_refused(
    texts: &PageTexts,
    site: &Site,
    values: &Values,
    errors: &[(String, String)],
    problem: Option<&str>,
) -> String {
    let heading = texts.get("refer.title");
    let view = FormView {
        values,
        invitation: Invitation::None,
        errors,
        problem,
        photo_dropped: false,
        needs_script: false,
        recorder: None,
    };
    let main = html! {
        h1 { (heading) }
        p { (texts.get("refer.intro")) }
        (summary(texts, &view))
        (referral_form(texts, site, &values.name, &values.email, errors))
    };
    document(texts, &title(site, &format!("{} {heading}", texts.get("collect.errors"))), Some(site), main)
}

/// The advocate's personal link, with plain share links (no third-party scripts).
pub fn referral_ready(texts: &PageTexts, site: &Site, link: &str) -> String {
    let heading = texts.get("refer.ready_title");
    let message = texts.get("refer.message");
    let both = component(&format!("{message} {link}"));
    let targets = [
        ("Email", format!("mailto:?subject={}&body={both}", component(message))),
        ("WhatsApp", format!("https://wa.me/?text={both}")),
        ("X", format!("https://x.com/intent/post?text={}&url={}", component(message), component(link))),
        ("LinkedIn", format!("https://www.linkedin.com/sharing/share-offsite/?url={}", component(link))),
        ("Facebook", format!("https://www.facebook.com/sharer/sharer.php?u={}", component(link))),
    ];
    let main = html! {
        h1 { (heading) }
        p { (texts.get("refer.ready")) }
        div.share-link {
            label for="link" { (texts.get("refer.link")) }
            input id="link" type="text" readonly value=(link);
            // Shown by the script, where the clipboard can be written.
            button id="copy" type="button" hidden data-copied=(texts.get("refer.copied")) { (texts.get("refer.copy")) }
            span id="copied" role="status" {}
        }
        p { (texts.get("refer.share_on")) }
        ul.share {
            @for (name, href) in &targets {
                li { a href=(href) rel="noreferrer noopener" target="_blank" { (name) } }
            }
        }
    };
    document(texts, &title(site, heading), Some(site), main)
}

/// A page that only says something: not found, refused, already sent.
pub fn message_page(texts: &PageTexts, site: Option<&Site>, heading: &str, message: Option<&str>) -> String {
    let main = html! {
        h1 { (heading) }
        @if let Some(message) = message { p { (message) } }
        @if let Some(site) = site {
            p { a href=(format!("/c/{}?lang={}", site.slug, texts.lang)) { (texts.get("page.back")) } }
        }
    };
    let page_title = match site {
        Some(site) => title(site, heading),
        None => heading.to_owned(),
    };
    document(texts, &page_title, site, main)
}

/// `encodeURIComponent`: what share links carry in their query.
fn component(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => char::from(byte).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_links_encode_like_encode_uri_component() {
        assert_eq!(
            component("Café & co: https://a.example/?ref=AB"),
            "Caf%C3%A9%20%26%20co%3A%20https%3A%2F%2Fa.example%2F%3Fref%3DAB"
        );
    }

    #[test]
    fn refusals_link_to_their_fields() {
        assert_eq!(anchor("rating").as_deref(), Some("rating-1"));
        assert_eq!(anchor("contact_me").as_deref(), Some("contact-me"));
        assert_eq!(anchor("video").as_deref(), Some("video-field"));
        assert_eq!(anchor("pow"), None);
    }
}
