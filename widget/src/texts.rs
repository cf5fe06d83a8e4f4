//! Every text the widget shows, by id, in English. A site owner's overrides (from the widget
//! config) replace any of them; more languages plug in here.

use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    overrides: Rc<BTreeMap<String, String>>,
    lang: Rc<str>,
}

impl Texts {
    /// `overrides` come from the server: its translation for `lang` with the site's own
    /// wording on top; English here fills any gap.
    pub fn new(overrides: BTreeMap<String, String>, lang: &str) -> Self {
        Self { overrides: Rc::new(overrides), lang: lang.into() }
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// One decimal, as the language writes it (the browser's Intl does the formatting).
    pub fn decimal(&self, value: f64) -> String {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"maximumFractionDigits".into(), &1.into());
        let _ = js_sys::Reflect::set(&options, &"minimumFractionDigits".into(), &1.into());
        let locales = js_sys::Array::of1(&self.lang.as_ref().into());
        let format = js_sys::Intl::NumberFormat::new(&locales, &options);
        format
            .format()
            .call1(&format, &value.into())
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_else(|| format!("{value:.1}"))
    }

    pub fn get(&self, id: &str) -> String {
        match self.overrides.get(id) {
            Some(text) => text.clone(),
            None => english(id).to_owned(),
        }
    }
}

fn english(id: &str) -> &'static str {
    match id {
        "collect.title" => "Share your experience",
        "collect.name" => "Your name",
        "collect.email" => "Email",
        "collect.email_hint" => {
            "Never shown publicly. We use it only if we need to reach you about your testimonial."
        }
        "collect.role" => "Role (optional)",
        "collect.company" => "Company (optional)",
        "collect.rating" => "Your rating",
        "collect.photo" => "Photo of you (optional)",
        "collect.uploading" => "Uploading the photo…",
        "collect.photo_added" => "Photo added.",
        "collect.text" => "Your testimonial",
        "collect.next" => {
            "Reviewed before it appears. You can edit or withdraw it any time with your private link."
        }
        "collect.submit" => "Send testimonial",
        "collect.sending" => "Sending…",
        "collect.errors" => "Please check the highlighted fields.",
        "collect.thanks_title" => "Thank you!",
        "collect.thanks" => "Your testimonial was received and will appear once it has been reviewed.",
        "collect.manage" => "Keep this private link to edit or withdraw your testimonial:",
        "collect.loading" => "Loading the form…",
        "collect.private_note" => "We are sorry it was not better. What you write here goes privately to the team; it is never published.",
        "collect.contact_me" => "Please contact me about this",
        "collect.private_next" => "Only the team reads this. You can still change or withdraw it with your private link.",
        "collect.private_thanks" => "Thank you for telling us. The team reads every message, and will be in touch if you asked.",
        "refer.title" => "Recommend us to a friend",
        "refer.intro" => "Get your personal link to share. Friends who use it are credited to you.",
        "refer.email_hint" => {
            "Never shown publicly, never given to your friends. We do not email anyone you share with."
        }
        "refer.submit" => "Get my link",
        "refer.ready_title" => "Your link is ready",
        "refer.ready" => "Share it however you like; it is yours alone.",
        "refer.link" => "Your personal link",
        "refer.copy" => "Copy",
        "refer.copied" => "Copied",
        "refer.share" => "Share…",
        "refer.share_on" => "Share on",
        "refer.message" => "I recommend this place:",
        "refer.offer" => "Glad you liked it! Want to recommend us to a friend?",
        "refer.offer_button" => "Get my referral link",
        "wall.title" => "Selected testimonials",
        "wall.empty" => "No testimonials yet.",
        "wall.loading" => "Loading testimonials…",
        "wall.reply" => "Reply",
        "wall.more" => "Show more",
        "stars" => "{n} out of 5 stars",
        "summary.one" => "{average} out of 5 from {count} rating",
        "summary.many" => "{average} out of 5 from {count} ratings",
        "carousel.label" => "Testimonials",
        "carousel.previous" => "Previous testimonial",
        "carousel.next" => "Next testimonial",
        "carousel.pause" => "Pause",
        "carousel.play" => "Play",
        "carousel.position" => "{n} of {total}",
        "badge.link" => "Read the testimonials",
        "wall.edited" => "Edited",
        "floating.open" => "Leave a testimonial",
        "floating.close" => "Close",
        _ => "",
    }
}

/// "4 out of 5 stars", in the widget's language.
pub fn stars_label(texts: &Texts, rating: u8) -> String {
    texts.get("stars").replace("{n}", &rating.to_string())
}

/// "4.7 out of 5 from 12 ratings": the honest summary, with the number in local form.
pub fn summary_label(texts: &Texts, average: f64, count: u64) -> String {
    let key = if count == 1 { "summary.one" } else { "summary.many" };
    texts.get(key).replace("{average}", &texts.decimal(average)).replace("{count}", &count.to_string())
}
