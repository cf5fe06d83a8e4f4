//! What advocates and owners read: the advocate's emails in their language with the site's
//! own wording (plain text and the same words in simple HTML), the owners' in plain English
//! like every other email to the team.

use fanfare_protocol::fields::without_bidi_controls;
use fanfare_protocol::languages::primary_subtag;
use maud::html;

use crate::service::notify::email::{customer_html, CustomerEmail};
use crate::service::sites::site_texts;
use crate::storage::{Advocate, Conversion, Reward, Site};

/// The advocate's words: `id` in their language, placeholders filled with plain values.
fn words(site: &Site, advocate: &Advocate) -> impl Fn(&str) -> String {
    let texts = site_texts(site, &advocate.lang);
    let (site_name, name) = (site.name.clone(), advocate.name.clone());
    move |id: &str| {
        without_bidi_controls(
            &texts.get(id).map_or("", String::as_str).replace("{site}", &site_name).replace("{name}", &name),
        )
    }
}

/// The reward with its code and the private page.
pub(super) fn reward(
    site: &Site,
    advocate: &Advocate,
    reward: &Reward,
    code: &str,
    page: &str,
) -> CustomerEmail {
    let text = words(site, advocate);
    let body = if reward.conversions > 1 {
        text("reward.body_every").replace("{n}", &reward.conversions.to_string())
    } else {
        text("reward.body")
    };
    let lines = [
        Line::Text(text("invite.greeting")),
        Line::Text(body),
        Line::Code(without_bidi_controls(code)),
        Line::Link(text("advocate.email_page"), page.to_owned()),
        Line::Small(text("advocate.email_why")),
    ];
    compose(site, advocate, text("reward.subject"), &lines)
}

/// A new advocate's link to share and their private page. Whoever signed up typed the
/// address and the name: the name stays out, so nobody can put words of theirs into an email
/// from the shop to someone else.
pub(super) fn welcome(site: &Site, advocate: &Advocate, link: &str, page: &str) -> CustomerEmail {
    let text = words(site, advocate);
    let lines = [
        Line::Text(text("invite.greeting_plain")),
        Line::Link(text("advocate.email_body"), link.to_owned()),
        Line::Link(text("advocate.email_page"), page.to_owned()),
        Line::Small(text("advocate.email_why")),
    ];
    compose(site, advocate, text("advocate.email_subject"), &lines)
}

enum Line {
    Text(String),
    /// Set apart, easy to copy.
    Code(String),
    /// Words, then the address on a line of its own.
    Link(String, String),
    Small(String),
}

fn compose(site: &Site, advocate: &Advocate, subject: String, lines: &[Line]) -> CustomerEmail {
    let plain = lines
        .iter()
        .map(|line| match line {
            Line::Text(text) | Line::Small(text) => text.clone(),
            Line::Code(code) => format!("    {code}"),
            Line::Link(words, url) => format!("{words}\n{url}"),
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let content = html! {
        @for line in lines {
            @match line {
                Line::Text(text) => p { (text) },
                Line::Code(code) => p style=(format!("font-family:ui-monospace,monospace;font-size:22px;letter-spacing:1px;padding:12px 16px;border:2px dashed {};display:inline-block", site.accent)) { (code) },
                Line::Link(words, url) => p { (words) br; a href=(url) { (url) } },
                Line::Small(text) => p style="font-size:14px;color:#4a4a4a" { (text) },
            }
        }
    };
    let html = customer_html(&primary_subtag(&advocate.lang), &subject, content);
    CustomerEmail {
        to: advocate.email.clone(),
        sender_name: site.name.clone(),
        subject,
        plain: plain + "\n",
        html,
        unsubscribe_url: None,
    }
}

fn rewards_page(site: &Site, public_url: &str) -> String {
    format!("{public_url}/admin/sites/{}/rewards", site.slug)
}

/// Owners: the pool ran out while a reward is due.
pub(super) fn pool_empty(site: &Site, public_url: &str) -> (String, String) {
    (
        format!("{}: no coupon codes left; rewards are waiting", site.name),
        format!(
            "An advocate of {} has earned a reward, but the coupon pool is empty. The reward waits as \
             \"due\" and is sent as soon as codes are added:\n\n{}\n\nor: fanfare coupons add --site {} FILE\n",
            site.name,
            rewards_page(site, public_url),
            site.slug
        ),
    )
}

/// Owners: few codes left.
pub(super) fn pool_low(site: &Site, left: u64, public_url: &str) -> (String, String) {
    (
        format!("{}: only {left} coupon codes left", site.name),
        format!(
            "Only {left} unused coupon codes are left for {}'s referral rewards. Add more before they run \
             out:\n\n{}\n\nor: fanfare coupons add --site {} FILE\n",
            site.name,
            rewards_page(site, public_url),
            site.slug
        ),
    )
}

/// Owners: a refund came in after its reward was earned (it stays with the advocate).
pub(super) fn refund_after_reward(
    site: &Site,
    conversion: &Conversion,
    reward: &Reward,
    advocate: Option<&Advocate>,
    public_url: &str,
) -> (String, String) {
    let who = advocate.map_or_else(|| "an advocate".to_owned(), |a| format!("{} <{}>", a.name, a.email));
    let code = reward.coupon_code.as_deref().map_or_else(String::new, |code| format!(" (code {code})"));
    (
        format!("{}: refund after a referral reward", site.name),
        format!(
            "Order {} was refunded after the refund window, so the reward it earned {who}{code} was \
             already {}. Nothing was taken back; decide yourself whether to follow up.\n\n{}\n",
            conversion.external_id,
            if reward.given_at.is_some() { "given" } else { "earned" },
            rewards_page(site, public_url)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::RewardState;

    fn advocate(lang: &str) -> Advocate {
        Advocate {
            id: 7,
            site_id: 1,
            code: "ABCD2345".into(),
            name: "Ada <b>".into(),
            email: "ada@example.com".into(),
            ip_prefix: None,
            device: None,
            lang: lang.into(),
            created_at: 0,
        }
    }

    fn held(conversions: u32) -> Reward {
        Reward {
            id: 1,
            site_id: 1,
            advocate_id: 7,
            state: RewardState::Due,
            conversions,
            hold_until: 0,
            coupon_code: None,
            given_at: None,
            cancelled_at: None,
            created_at: 0,
        }
    }

    #[test]
    fn the_reward_email_carries_the_code_and_the_page_as_text() {
        let email = reward(
            &Site::example(),
            &advocate("en"),
            &held(1),
            "SAVE-10",
            "https://r.test/advocates/acme/7.x",
        );
        assert_eq!(email.subject, "Your reward from Acme");
        assert!(email.plain.starts_with("Hello Ada <b>,\n"), "{}", email.plain);
        assert!(email.plain.contains("\n    SAVE-10\n"), "{}", email.plain);
        assert!(email.plain.contains("https://r.test/advocates/acme/7.x"));
        assert!(email.html.contains("Hello Ada &lt;b&gt;,"), "names are text: {}", email.html);
        assert!(email.unsubscribe_url.is_none(), "asked for, not marketing");
        let every = reward(&Site::example(), &advocate("en"), &held(3), "X", "p");
        assert!(every.plain.contains("3 purchases"), "{}", every.plain);
    }

    #[test]
    fn the_site_wording_and_the_advocates_language_win() {
        let mut site = Site::example();
        site.texts.insert("reward.subject".into(), "A gift from {site}".into());
        assert_eq!(reward(&site, &advocate("en"), &held(1), "X", "p").subject, "A gift from Acme");
        let arabic = welcome(&Site::example(), &advocate("ar"), "https://acme.test/?ref=A", "p");
        assert!(arabic.html.contains(r#"dir="rtl""#));
    }
}
