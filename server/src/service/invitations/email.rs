//! The invitation and its reminder as the customer reads them: the site's own wording in the
//! invitation's language, plain text plus a simple HTML part with the same words. The link goes
//! straight to the collection page: no tracking pixel, no redirect.

use fanfare_protocol::fields::without_bidi_controls;
use maud::html;

use crate::service::notify::email::{customer_html, CustomerEmail};
use crate::service::sites::site_texts;
use crate::storage::{Invitation, Site};

/// Which of the two emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    Reminder,
}

/// Where the email's two links lead.
pub struct Links {
    pub collect: String,
    pub unsubscribe: String,
}

pub fn compose(site: &Site, invitation: &Invitation, kind: Kind, links: &Links) -> CustomerEmail {
    let texts = site_texts(site, &invitation.lang);
    let text = |id: &str| {
        let wording = texts.get(id).map_or("", String::as_str);
        // The site's name and the customer's: plain values into plain wording, never markup.
        without_bidi_controls(
            &wording
                .replace("{site}", &site.name)
                .replace("{name}", invitation.name.as_deref().unwrap_or_default()),
        )
    };
    let (subject, body) = match kind {
        Kind::Invitation => (text("invite.subject"), text("invite.body")),
        Kind::Reminder => (text("invite.reminder_subject"), text("invite.reminder_body")),
    };
    let greeting =
        if invitation.name.is_some() { text("invite.greeting") } else { text("invite.greeting_plain") };
    let words = Words {
        greeting,
        body,
        action: text("invite.action"),
        note: text("invite.note"),
        why: text("invite.why"),
        unsubscribe: text("invite.unsubscribe"),
        unsubscribe_link: text("unsubscribe.button"),
    };
    let html = page(&subject, &words, links, &invitation.lang, &site.accent);
    CustomerEmail {
        to: invitation.email.clone(),
        sender_name: site.name.clone(),
        subject,
        plain: plain(&words, links),
        html,
        unsubscribe_url: Some(links.unsubscribe.clone()),
    }
}

struct Words {
    greeting: String,
    body: String,
    action: String,
    note: String,
    why: String,
    unsubscribe: String,
    /// The unsubscribe link's words in the HTML part (the plain part shows the address).
    unsubscribe_link: String,
}

fn plain(words: &Words, links: &Links) -> String {
    format!(
        "{}\n\n{}\n\n{}:\n{}\n\n{}\n\n-- \n{}\n{}\n{}\n",
        words.greeting,
        words.body,
        words.action,
        links.collect,
        words.note,
        words.why,
        words.unsubscribe,
        links.unsubscribe
    )
}

fn page(subject: &str, words: &Words, links: &Links, lang: &str, accent: &str) -> String {
    // The accent is a checked #rrggbb.
    let button = format!(
        "display:inline-block;padding:12px 20px;border-radius:6px;background:{accent};color:#ffffff;\
         font-weight:bold;text-decoration:none"
    );
    let content = html! {
        p { (words.greeting) }
        p { (words.body) }
        p style="margin:28px 0" { a href=(links.collect) style=(button) { (words.action) } }
        p style="color:#4a4a4a" { (words.note) }
        hr style="border:0;border-top:1px solid #dddddd;margin:28px 0 16px";
        p style="font-size:14px;color:#4a4a4a" {
            (words.why) br;
            (words.unsubscribe) " " a href=(links.unsubscribe) style="color:#4a4a4a" { (words.unsubscribe_link) }
        }
    };
    customer_html(lang, subject, content)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::storage::InvitationStatus;

    fn site() -> Site {
        Site {
            name: "Acme <Beans>".into(),
            accent: "#7a3e12".into(),
            texts: BTreeMap::from([("de:invite.action".to_owned(), "Jetzt erzählen".to_owned())]),
            ..Site::example()
        }
    }

    fn invitation(name: Option<&str>, lang: &str) -> Invitation {
        Invitation {
            id: "abc".into(),
            site_id: 1,
            email: "ada@example.com".into(),
            email_key: "ada@example.com".into(),
            name: name.map(str::to_owned),
            tags: Vec::new(),
            order_id: None,
            lang: lang.into(),
            status: InvitationStatus::Queued,
            created_at: 0,
            sent_at: None,
            reminded_at: None,
            responded_at: None,
            next_send_at: Some(0),
            attempts: 0,
            last_error: None,
            testimonial_id: None,
        }
    }

    fn links() -> Links {
        Links {
            collect: "https://r.test/c/acme?invite=x.y".into(),
            unsubscribe: "https://r.test/c/acme/unsubscribe/x.z".into(),
        }
    }

    #[test]
    fn both_parts_carry_the_links_and_the_site_wording_in_the_invitees_language() {
        let email = compose(&site(), &invitation(Some("Ada <b>"), "de"), Kind::Invitation, &links());
        assert_eq!(email.subject, "Wie war es? Acme <Beans> freut sich auf Ihre Meinung");
        assert!(email.plain.starts_with("Hallo Ada <b>,\n"), "{}", email.plain);
        assert!(
            email.plain.contains("Jetzt erzählen:\nhttps://r.test/c/acme?invite=x.y\n"),
            "{}",
            email.plain
        );
        assert!(email.plain.ends_with("https://r.test/c/acme/unsubscribe/x.z\n"));
        assert!(email.html.contains("Hallo Ada &lt;b&gt;,"), "names are text in HTML: {}", email.html);
        assert!(email.html.contains(r#"href="https://r.test/c/acme?invite=x.y""#));
        assert!(!email.html.contains("<img"), "no tracking pixel");
        assert_eq!(email.unsubscribe_url.as_deref(), Some("https://r.test/c/acme/unsubscribe/x.z"));
    }

    #[test]
    fn a_reminder_without_a_name_greets_plainly_and_arabic_reads_right_to_left() {
        let email = compose(&site(), &invitation(None, "ar"), Kind::Reminder, &links());
        assert!(email.subject.starts_with("تذكير من Acme"), "{}", email.subject);
        assert!(email.plain.starts_with("مرحبًا،\n"), "{}", email.plain);
        assert!(email.html.contains(r#"dir="rtl""#));
    }
}
