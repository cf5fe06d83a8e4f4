//! Plain-text email to moderators through SMTP (lettre). Without SMTP settings the log says
//! which email was not sent, to whom and with what subject, never its body: that holds live
//! one-click links.

use anyhow::Context;
use fanfare_protocol::languages::{is_right_to_left, primary_subtag};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// `smtp_url` as lettre reads it: `smtp://host:25` (plain), `smtp://host:587?tls=required`
/// (STARTTLS) or `smtps://user:password@host` (TLS).
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: String,
    pub from: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .context(
                "the SMTP URL must look like smtp://host:25, smtp://host:587?tls=required or smtps://host",
            )?
            .build();
        let from = settings
            .from
            .parse()
            .with_context(|| format!("the sender address {:?} is not an email address", settings.from))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().with_context(|| format!("recipient {to:?} is not an email address"))?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .context("building the email")?;
        self.transport.send(message).await.context("sending the email over SMTP")?;
        Ok(())
    }
}

/// The HTML part of an email to a customer: `content` in a plain, readable column, in the
/// email's language and direction. Inline styles only: mail programs drop style sheets.
pub fn customer_html(lang: &str, subject: &str, content: maud::Markup) -> String {
    let dir = if is_right_to_left(&primary_subtag(lang)) { "rtl" } else { "ltr" };
    maud::html! {
        (maud::DOCTYPE)
        html lang=(lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Read aloud first when the message opens in a browser or a screen reader.
                title { (subject) }
            }
            body style="margin:0;padding:24px;font-family:system-ui,sans-serif;font-size:16px;line-height:1.5;color:#1f1f1f;background:#ffffff" {
                div style="max-width:560px;margin:0 auto" { (content) }
            }
        }
    }
    .into_string()
}

/// An email to a customer: plain text and a simple HTML part of the same words, and the
/// headers that let their mail program offer a one-click unsubscribe (RFC 8058).
#[derive(Debug, Clone)]
pub struct CustomerEmail {
    pub to: String,
    /// Shown as the sender's name (the site's), in front of the server's own address.
    pub sender_name: String,
    pub subject: String,
    pub plain: String,
    pub html: String,
    /// Marketing-like emails (invitations) carry a one-click unsubscribe; an email the customer
    /// asked for (their reward) does not.
    pub unsubscribe_url: Option<String>,
}

/// Why an email was not sent, and what that says about the next one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendFailure {
    pub message: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// This address is refused for good (no such mailbox): trying again cannot help.
    Recipient,
    /// The mail server itself is out of reach or refuses us (connection, TLS, sign-in): every
    /// email would fail the same way, so sending pauses until the next round.
    Server,
    /// Anything else (a busy mailbox, a full queue): worth another try later.
    Transient,
}

impl FailureKind {
    /// Reads lettre's error: its reply code, and the enhanced status code (RFC 3463) in the
    /// server's words where there is one, so that a relay's policy refusal (`550 5.7.1`) is
    /// not taken for an unknown mailbox.
    fn of(error: &lettre::transport::smtp::Error) -> Self {
        let Some(code) = error.status() else { return FailureKind::Server };
        let text = error.to_string();
        match u16::from(code) {
            550 | 551 | 553 if !text.contains(" 5.7.") => FailureKind::Recipient,
            421 | 454 | 530 | 534 | 535 | 538 => FailureKind::Server,
            550..=559 if text.contains(" 5.7.") => FailureKind::Server,
            _ => FailureKind::Transient,
        }
    }
}

impl Mailer {
    pub async fn send_to_customer(&self, email: &CustomerEmail) -> Result<(), SendFailure> {
        let refused = |message: String| SendFailure { message, kind: FailureKind::Recipient };
        let to: Mailbox =
            email.to.parse().map_err(|_| refused(format!("{:?} is not an email address", email.to)))?;
        let from = Mailbox::new(Some(email.sender_name.clone()), self.from.email.clone());
        let header = |name: &'static str, value: String| {
            lettre::message::header::HeaderValue::new(
                lettre::message::header::HeaderName::new_from_ascii_str(name),
                value,
            )
        };
        let mut message = Message::builder().from(from).to(to).subject(&email.subject);
        if let Some(unsubscribe) = &email.unsubscribe_url {
            message = message
                .raw_header(header("List-Unsubscribe", format!("<{unsubscribe}>")))
                .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()));
        }
        let message = message
            // Tells autoresponders (out of office) not to answer.
            .raw_header(header("Auto-Submitted", "auto-generated".to_owned()))
            .multipart(lettre::message::MultiPart::alternative_plain_html(
                email.plain.clone(),
                email.html.clone(),
            ))
            .map_err(|error| refused(format!("building the email: {error}")))?;
        self.transport
            .send(message)
            .await
            .map_err(|error| SendFailure { kind: FailureKind::of(&error), message: format!("{error}") })?;
        Ok(())
    }
}
