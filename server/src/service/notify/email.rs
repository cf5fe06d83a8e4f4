//! Plain-text email to moderators through SMTP (lettre). Without SMTP settings the log says
//! which email was not sent, to whom and with what subject, never its body: that holds live
//! one-click links.

use anyhow::Context;
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
