//! Email to moderators through a real SMTP conversation, one-click links that act only on POST,
//! and signed webhooks delivered to a real HTTP receiver with retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use fanfare_protocol::api::Status;
use fanfare_server::config::ServerSettings;
use fanfare_server::domain::Role;
use fanfare_server::service::notify::email::MailSettings;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::helpers::{captured_log, spawn_app, spawn_app_with, valid_submission, PASSWORD, SITE};

/// Notification email to the [`smtp_sink`] listening on `port`.
pub(crate) fn mail_to_sink(settings: &mut ServerSettings, port: u16) {
    settings.mail = Some(MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "Fanfare <fanfare@acme.test>".into(),
    });
}

/// A minimal SMTP server on loopback: accepts every message and hands over its DATA.
pub(crate) async fn smtp_sink() -> (u16, mpsc::UnboundedReceiver<String>) {
    smtp_server(None).await
}

/// An SMTP server on loopback that refuses every recipient with `refusal` (e.g.
/// `"451 4.3.0 try later"` or `"550 5.1.1 no such user"`).
pub(crate) async fn smtp_refusing(refusal: &'static str) -> u16 {
    smtp_server(Some(refusal)).await.0
}

async fn smtp_server(refusal: Option<&'static str>) -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let refused = refusal.map(|line| format!("{line}\r\n"));
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if let (true, Some(refused)) = (command.starts_with("RCPT"), &refused) {
                        refused.as_bytes()
                    } else if command.starts_with("DATA") {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            // SMTP doubles a line's leading dot so "." can end the data; undo it.
                            data.push_str(
                                line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line),
                            );
                            data.push('\n');
                        }
                        sender.send(data).unwrap();
                        b"250 queued\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, receiver)
}

/// Quoted-printable bodies wrap long lines with `=` and encode `=` itself; undo both.
pub(crate) fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.by_ref().take(2).collect();
            out.push(u8::from_str_radix(&hex, 16).map(char::from).unwrap_or('?'));
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn moderators_are_emailed_and_one_click_links_act_only_on_post_and_once() {
    let (port, mut inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| mail_to_sink(settings, port)).await;
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let created = app.submit_ok(&valid_submission()).await;

    let message = tokio::time::timeout(Duration::from_secs(10), inbox.recv()).await.unwrap().unwrap();
    let message = decode_quoted_printable(&message);
    assert!(message.contains("To: owner@acme.test"), "{message}");
    assert!(message.contains("The beans are wonderful") && message.contains("text/plain"), "{message}");
    let approve = message
        .lines()
        .find_map(|line| line.strip_prefix("Approve: "))
        .expect("an approve link")
        .trim()
        .strip_prefix(&app.address)
        .expect("links point at this server")
        .to_owned();

    // Opening the link (or a mail scanner prefetching it) only shows a confirm page.
    let page = app.client.get(app.url(&approve)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\">"));
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);

    let confirmed = app
        .client
        .post(app.url(&approve))
        .header("Origin", &app.address)
        .form(&[("go", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Approved);
    let again = app
        .client
        .post(app.url(&approve))
        .header("Origin", &app.address)
        .form(&[("go", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "single use");
    let forged = approve.replacen("approved", "spam", 1);
    assert_eq!(app.client.get(app.url(&forged)).send().await.unwrap().status(), 404);
}

/// The next message the sink received, with its quoted-printable undone.
pub(crate) async fn next_message(inbox: &mut mpsc::UnboundedReceiver<String>) -> String {
    let message = tokio::time::timeout(Duration::from_secs(30), inbox.recv()).await.unwrap().unwrap();
    decode_quoted_printable(&message)
}

#[tokio::test]
async fn people_an_owner_adds_get_no_email_until_they_turn_it_on() {
    let (port, mut inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| mail_to_sink(settings, port)).await;
    // Added by the operator with `fanfare user add`: notified. Named to sort last, and
    // recipients are mailed one after another in address order, so when this owner's message
    // arrives, one to anybody before them would already be here.
    let owner = "zz-owner@acme.test";
    app.dashboard_user(owner, SITE, Role::Owner).await;
    let session = app.login(owner).await;
    let stranger = "stranger@elsewhere.test";
    let added = app
        .post_form(
            &session,
            &format!("/admin/sites/{SITE}/members"),
            &[("email", stranger), ("role", "moderator")],
        )
        .await;
    assert_eq!(added.status(), 303);

    app.submit_ok(&valid_submission()).await;
    let message = next_message(&mut inbox).await;
    assert!(message.contains(&format!("To: {owner}")), "{message}");
    assert!(inbox.try_recv().is_err(), "the address the owner typed got nothing");

    // The operator gives them a password; that changes nothing about email. They sign in and
    // turn it on themselves, with the session's CSRF token.
    app.add_user(stranger, SITE, Role::Moderator, Some(PASSWORD.into())).await;
    let theirs = app.login(stranger).await;
    let page = app.get_page(&theirs.cookie, "/admin/notifications").await;
    assert!(page.contains("acme Inc.") && page.contains("Turn on"), "{page}");
    let forged = app
        .client
        .post(app.url("/admin/notifications"))
        .header("Cookie", &theirs.cookie)
        .header("Origin", &app.address)
        .form(&[("site", SITE), ("email", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "no CSRF token, no change");
    let bad = app.post_form(&theirs, "/admin/notifications", &[("site", SITE), ("email", "yes")]).await;
    assert_eq!(bad.status(), 422);
    let refusal = bad.text().await.unwrap();
    assert!(refusal.contains("Please check: email."), "{refusal}");
    let other_site =
        app.post_form(&theirs, "/admin/notifications", &[("site", "globex"), ("email", "on")]).await;
    assert_eq!(other_site.status(), 404, "only sites they work on");
    let on = app.post_form(&theirs, "/admin/notifications", &[("site", SITE), ("email", "on")]).await;
    assert_eq!(on.status(), 303);
    assert!(app.get_page(&theirs.cookie, "/admin/notifications").await.contains("Turn off"));

    app.submit_ok(&valid_submission()).await;
    let first = next_message(&mut inbox).await;
    let second = next_message(&mut inbox).await;
    assert!(first.contains(&format!("To: {stranger}")), "{first}");
    assert!(second.contains(&format!("To: {owner}")), "{second}");

    // Turning email off again stops new mail, not the links already in their inbox.
    let off = app.post_form(&theirs, "/admin/notifications", &[("site", SITE), ("email", "off")]).await;
    assert_eq!(off.status(), 303);
    let approve = first
        .lines()
        .find_map(|line| line.strip_prefix("Approve: "))
        .expect("an approve link")
        .trim()
        .strip_prefix(&app.address)
        .expect("links point at this server")
        .to_owned();
    let page = app.client.get(app.url(&approve)).send().await.unwrap();
    assert_eq!(page.status(), 200, "a link already sent still opens its confirmation");
}

#[tokio::test]
async fn without_smtp_the_log_names_the_email_but_holds_no_link() {
    let app = spawn_app().await;
    let owner = "no-smtp-owner@acme.test";
    app.dashboard_user(owner, SITE, Role::Owner).await;
    let mut submission = valid_submission();
    submission["name"] = serde_json::json!("Grace NoSmtp");
    let created = app.submit_ok(&submission).await;

    // The email is composed off the request; wait for its line.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let line = loop {
        let log = captured_log();
        if let Some(line) = log.lines().find(|line| line.contains(owner) && line.contains("not sent")) {
            break line.to_owned();
        }
        assert!(tokio::time::Instant::now() < deadline, "the log says the email was not sent: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(line.contains("New testimonial for acme Inc.: 5 stars from Grace NoSmtp"), "{line}");
    let log = captured_log();
    let manage_token = created.manage_url.rsplit('/').next().unwrap();
    for secret in ["/admin/email/", manage_token, "The beans are wonderful"] {
        assert!(!log.contains(secret), "{secret:?} is in the log: {log}");
    }
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);
}

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

/// An HTTP endpoint that fails the first delivery, then accepts.
pub(crate) async fn webhook_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let state = receiver.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut received = state.received.lock().unwrap();
                received.push((headers, body));
                if received.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

pub(crate) fn verify_signature(secret: &str, header: &str, body: &str) -> bool {
    let Some((timestamp, signature)) = header.split_once(",v1=") else { return false };
    let timestamp = timestamp.trim_start_matches("t=");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == signature
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_logged() {
    let app = spawn_app_with(|settings| {
        settings.webhook_retry_base = Duration::from_millis(100);
        // The receiver listens on loopback, which only the operator can allow.
        settings.allow_private_network_webhooks = true;
    })
    .await;
    let (url, receiver) = webhook_receiver().await;
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let session = app.login("owner@acme.test").await;
    let added = app.post_form(&session, &format!("/admin/sites/{SITE}/webhooks"), &[("url", &url)]).await;
    assert_eq!(added.status(), 303);
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let secret = app.service.webhooks(&site).await.unwrap()[0].secret.clone();

    let created = app.submit_ok(&valid_submission()).await;
    let token = app.moderator_token(SITE).await;
    app.moderate(&token, SITE, &created.id, "approve").await;

    // submitted fails once and is retried; approved goes through: three requests in all.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while receiver.received.lock().unwrap().len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "deliveries did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = receiver.received.lock().unwrap().clone();
    let mut events = Vec::new();
    for (headers, body) in &received {
        let signature = headers["fanfare-signature"].to_str().unwrap();
        assert!(verify_signature(&secret, signature, body), "signature verifies");
        assert!(!verify_signature("whsec_wrong", signature, body));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["testimonial"]["id"], created.id.as_str());
        events.push(json["event"].as_str().unwrap().to_owned());
    }
    events.sort();
    assert_eq!(events, ["testimonial.approved", "testimonial.submitted", "testimonial.submitted"]);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/webhooks")).await;
        if log.matches("<td data-label=\"State\">delivered</td>").count() == 2 {
            assert!(
                log.contains("<td data-label=\"Attempts\">2</td>"),
                "the retried delivery took two attempts: {log}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the delivery log shows both delivered: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
