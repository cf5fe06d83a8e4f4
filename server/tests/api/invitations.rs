//! Invitations end to end over real HTTP and a real SMTP conversation on loopback: who may
//! invite, the email and its headers, the single-use link that makes a customer verified, the
//! one reminder (time driven by the test, never by sleeping), unsubscribing, retries, the cap.

use fanfare_protocol::invitations::{InvitationCreated, InvitationPage, InviteCustomer};
use fanfare_server::clock::now_ms;
use fanfare_server::domain::Role;
use fanfare_server::service::invitations::InviteLink;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_server::storage::{InvitationStatus, Invited};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::helpers::{
    error_of, refused_field, spawn_app_with, valid_submission, TestApp, ORIGIN, OTHER_SITE, SITE,
};
use crate::notifications::{decode_quoted_printable, mail_to_sink, next_message, smtp_refusing, smtp_sink};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A server whose invitation sender runs only when the test says, at the time it says.
async fn app_with_mail() -> (TestApp, mpsc::UnboundedReceiver<String>) {
    let (port, inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, port);
        settings.send_invitations = false;
    })
    .await;
    (app, inbox)
}

impl TestApp {
    async fn invite_with(&self, credential: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/sites/{SITE}/invitations")))
            .bearer_auth(credential)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn invitations(&self, credential: &str, query: &str) -> InvitationPage {
        let response = self
            .client
            .get(self.url(&format!("/api/v1/sites/{SITE}/invitations{query}")))
            .bearer_auth(credential)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Invites through the service, as the dashboard and the command line do.
    async fn invite(
        &self,
        email: &str,
        name: Option<&str>,
        tags: &[&str],
    ) -> fanfare_server::storage::Invitation {
        let site = self.site(SITE).await;
        let request = InviteCustomer {
            email: Some(email.into()),
            name: name.map(str::to_owned),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            ..InviteCustomer::default()
        };
        match self.service.invite(&site, Actor::CommandLine, &request).await.unwrap() {
            Invited::Created(invitation) | Invited::Existing(invitation) => invitation,
        }
    }

    /// The token in an invitation's personal link.
    async fn invite_token(&self, invitation: &fanfare_server::storage::Invitation) -> String {
        let url = self.service.invitation_url(&self.site(SITE).await, invitation);
        url.split("?invite=").nth(1).unwrap().to_owned()
    }
}

/// A header's value (the first one, unfolded), read from the message's header block: the
/// bodies are quoted-printable, the headers are not.
fn header<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

/// The next message as it came (for its headers) and with its bodies' quoted-printable undone.
async fn receive(inbox: &mut mpsc::UnboundedReceiver<String>) -> (String, String) {
    let raw = tokio::time::timeout(std::time::Duration::from_secs(30), inbox.recv()).await.unwrap().unwrap();
    let decoded = decode_quoted_printable(&raw);
    (raw, decoded)
}

#[tokio::test]
async fn an_order_system_invites_with_a_site_key_and_the_email_arrives_with_its_links() {
    let (app, mut inbox) = app_with_mail().await;
    let key = app.site_key(SITE).await;
    assert!(key.starts_with("ffs_"), "{key}");
    let body = json!({ "email": "ada@example.com", "name": "Ada Lovelace", "tags": ["espresso"], "order_id": "A-1001" });
    let response = app.invite_with(&key, &body).await;
    assert_eq!(response.status(), 201);
    let created: InvitationCreated = response.json().await.unwrap();
    assert_eq!(created.status.as_str(), "queued");

    // The same person again, spelled differently, within 30 days: the invitation stands.
    let again = app.invite_with(&key, &json!({ "email": "Ada@Example.com" })).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<InvitationCreated>().await.unwrap().id, created.id);

    let report = app.service.send_due_invitations(now_ms()).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    let (raw, message) = receive(&mut inbox).await;
    assert_eq!(header(&raw, "To"), Some("ada@example.com"), "{raw}");
    assert!(header(&raw, "From").is_some_and(|from| from.contains("acme Inc.")), "{raw}");
    assert_eq!(header(&raw, "Subject"), Some("How was it? acme Inc. would love to hear from you"));
    let unsubscribe = header(&raw, "List-Unsubscribe").expect("List-Unsubscribe");
    let unsubscribe_url = unsubscribe.trim_start_matches('<').trim_end_matches('>');
    assert!(unsubscribe_url.starts_with(&format!("{}/c/{SITE}/unsubscribe/", app.address)), "{unsubscribe}");
    assert_eq!(header(&raw, "List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    assert!(message.contains("multipart/alternative"), "{message}");
    assert!(message.contains("text/plain") && message.contains("text/html"), "{message}");
    assert!(message.contains("Hello Ada Lovelace,"), "{message}");
    let link = message
        .lines()
        .find(|line| line.starts_with(&format!("{}/c/{SITE}?invite=", app.address)))
        .expect("the personal link on a line of its own")
        .trim();
    // Straight to the page: no redirector, no pixel.
    assert!(!message.contains("<img"), "{message}");
    let token = link.split("?invite=").nth(1).unwrap();
    let site = app.site(SITE).await;
    assert_eq!(
        app.service.invitation_link(&site, token).await.unwrap(),
        InviteLink::Usable {
            name: Some("Ada Lovelace".into()),
            email: "ada@example.com".into(),
            lang: "en".into()
        }
    );

    let owner = app.owner_token().await;
    let page = app.invitations(&owner, "?status=sent").await;
    assert_eq!(page.items.len(), 1);
    let item = &page.items[0];
    assert_eq!((item.id.as_str(), item.order_id.as_deref()), (created.id.as_str(), Some("A-1001")));
    assert!(item.sent_at.is_some() && item.reminded_at.is_none());
    assert!(app.invitations(&owner, "?status=queued").await.items.is_empty());
}

impl TestApp {
    async fn owner_token(&self) -> String {
        self.add_user("owner@acme.test", SITE, Role::Owner, None).await;
        self.service.create_token_for("owner@acme.test").await.unwrap()
    }
}

#[tokio::test]
async fn only_owners_and_the_sites_own_keys_invite_and_a_key_does_nothing_else() {
    let (app, _inbox) = app_with_mail().await;
    let body = json!({ "email": "ada@example.com" });
    let moderator = app.moderator_token(SITE).await;
    let response = app.invite_with(&moderator, &body).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_of(response).await.0, "forbidden");
    // A moderator still reads the list.
    assert!(app.invitations(&moderator, "").await.items.is_empty());

    let other_sites_key = app.site_key(OTHER_SITE).await;
    assert_eq!(app.invite_with(&other_sites_key, &body).await.status(), 401);
    assert_eq!(app.invite_with("ffs_not-a-key", &body).await.status(), 401);
    let no_credentials = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/invitations")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_credentials.status(), 401);

    let key = app.site_key(SITE).await;
    // A key cannot moderate or read anything.
    let queue = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 401);
    let list = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/invitations")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 401);

    let owner = app.owner_token().await;
    assert_eq!(app.invite_with(&owner, &body).await.status(), 201);
    let refused =
        app.invite_with(&key, &json!({ "email": "nope", "tags": ["no spaces!"], "lang": "tlh" })).await;
    assert_eq!(refused.status(), 422);
    let (code, fields) = error_of(refused).await;
    assert_eq!(code, "validation_failed");
    for field in ["email", "tags", "lang"] {
        assert!(fields[field].is_string(), "{field} named: {fields}");
    }
    let unknown = app.invite_with(&key, &json!({ "email": "bo@example.com", "phone": "1" })).await;
    assert_eq!(unknown.status(), 422);

    // A revoked key is refused from then on.
    let site = app.site(SITE).await;
    let listed = app.service.site_keys(&site).await.unwrap();
    let used = listed.iter().find(|listed| listed.last_used_at.is_some()).expect("the key's use is recorded");
    app.service.revoke_site_key(&site, Actor::CommandLine, used.id).await.unwrap();
    assert_eq!(app.invite_with(&key, &json!({ "email": "cy@example.com" })).await.status(), 401);
}

#[tokio::test]
async fn the_link_makes_one_verified_testimonial_with_the_invitations_tags() {
    let (app, _inbox) = app_with_mail().await;
    let invitation = app.invite("ada@example.com", Some("Ada Lovelace"), &["espresso"]).await;
    let token = app.invite_token(&invitation).await;

    let mut submission = valid_submission();
    submission["invite"] = json!(token);
    let first = app.submit_ok(&submission).await;
    assert!(first.verified, "the invited customer is verified");
    let stored = app.stored(SITE, &first.id).await;
    assert!(stored.verified);
    assert_eq!(stored.tags, ["espresso"]);

    let moderator = app.moderator_token(SITE).await;
    assert_eq!(app.moderate(&moderator, SITE, &first.id, "approve").await.status(), 200);
    let public = app.public_page("?tag=espresso").await;
    assert_eq!(public.items.len(), 1);
    assert!(public.items[0].verified);
    let wall = app
        .client
        .get(app.url(&format!("/embed/{SITE}/wall.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wall.contains("Verified customer"), "the wall says so: {wall}");

    // The same link again: an ordinary submission, and the page is told why.
    let second = app.submit_ok(&submission).await;
    assert!(!second.verified);
    assert!(!app.stored(SITE, &second.id).await.verified);
    let site = app.site(SITE).await;
    assert_eq!(app.service.invitation_link(&site, &token).await.unwrap(), InviteLink::Used);
    let forged = format!("{}0", token);
    assert_eq!(app.service.invitation_link(&site, &forged).await.unwrap(), InviteLink::Unusable);
    // Another site's page does not take this site's link.
    let other = app.site(OTHER_SITE).await;
    assert_eq!(app.service.invitation_link(&other, &token).await.unwrap(), InviteLink::Unusable);

    let owner = app.owner_token().await;
    let answered = app.invitations(&owner, "?status=responded").await;
    assert_eq!(answered.items.len(), 1);
    assert_eq!(answered.items[0].testimonial_id.as_deref(), Some(first.id.as_str()));
    assert!(answered.items[0].responded_at.is_some());
}

#[tokio::test]
async fn one_reminder_goes_out_after_the_delay_and_none_after_an_answer() {
    let (app, mut inbox) = app_with_mail().await;
    let answers = app.invite("ada@example.com", None, &[]).await;
    let waits = app.invite("bo@example.com", Some("Bo"), &[]).await;
    let start = now_ms();
    assert_eq!(app.service.send_due_invitations(start).await.unwrap().sent, 2);
    for _ in 0..2 {
        next_message(&mut inbox).await;
    }
    // Six days on: nothing is due yet.
    assert_eq!(app.service.send_due_invitations(start + 6 * DAY_MS).await.unwrap(), Default::default());

    let mut submission = valid_submission();
    submission["invite"] = json!(app.invite_token(&answers).await);
    assert!(app.submit_ok(&submission).await.verified);

    let report = app.service.send_due_invitations(start + 7 * DAY_MS + 1000).await.unwrap();
    assert_eq!((report.sent, report.reminded), (0, 1), "only the one who did not answer");
    let (reminder, _) = receive(&mut inbox).await;
    assert_eq!(header(&reminder, "To"), Some("bo@example.com"), "{reminder}");
    assert_eq!(header(&reminder, "Subject"), Some("A reminder from acme Inc.: how was it?"));
    // One reminder, ever.
    assert_eq!(app.service.send_due_invitations(start + 30 * DAY_MS).await.unwrap(), Default::default());
    assert!(inbox.try_recv().is_err(), "no further email");

    let site = app.site(SITE).await;
    let answered = app.storage.invitation(site.id, &answers.id).await.unwrap().unwrap();
    assert_eq!(answered.status, InvitationStatus::Responded);
    let reminded = app.storage.invitation(site.id, &waits.id).await.unwrap().unwrap();
    assert_eq!(reminded.status, InvitationStatus::Reminded);
    assert!(reminded.reminded_at.is_some());
}

#[tokio::test]
async fn the_one_click_unsubscribe_stops_the_reminder_and_every_later_email() {
    let (app, mut inbox) = app_with_mail().await;
    app.invite("ada@example.com", Some("Ada"), &[]).await;
    let start = now_ms();
    app.service.send_due_invitations(start).await.unwrap();
    let message = next_message(&mut inbox).await;
    let unsubscribe = header(&message, "List-Unsubscribe")
        .unwrap()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();

    // Opening it (a mail scanner does) only asks.
    let page = app.client.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Stop all emails from acme Inc. to ada@example.com?"), "{page}");
    let site = app.site(SITE).await;
    let invitations = app.storage.invitations(site.id, None, None, 10).await.unwrap();
    assert_eq!(invitations[0].status, InvitationStatus::Sent);

    // The mail program's one-click POST: no Origin, no cookie, RFC 8058's body.
    let one_click = app
        .client
        .post(&unsubscribe)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert!(one_click.text().await.unwrap().contains("acme Inc. will not email ada@example.com again"));
    let invitations = app.storage.invitations(site.id, None, None, 10).await.unwrap();
    assert_eq!(invitations[0].status, InvitationStatus::Unsubscribed);
    // Twice is the same answer, and changes nothing.
    assert_eq!(app.client.post(&unsubscribe).send().await.unwrap().status(), 200);

    assert_eq!(app.service.send_due_invitations(start + 8 * DAY_MS).await.unwrap(), Default::default());
    assert!(inbox.try_recv().is_err(), "no reminder after unsubscribing");

    // Even once the address is erased (its invitations with it), the site never emails it again.
    app.service.erase(&site, Actor::CommandLine, "ada@example.com").await.unwrap();
    let later = app.invite("ada@example.com", Some("Ada"), &[]).await;
    assert_eq!(later.status, InvitationStatus::Unsubscribed);
    // Never emailed: the Overview does not count it as sent.
    let overview = app.service.overview(&site, now_ms()).await.unwrap();
    assert_eq!((overview.invitations.sent, overview.invitations.answered), (0, 0));
    // Kept to show the attempt, without the address the person asked to be left alone at.
    let stored = app.storage.invitation(site.id, &later.id).await.unwrap().unwrap();
    assert_eq!((stored.email.as_str(), stored.name.as_deref()), ("", None));
    assert!(!app
        .storage
        .invitations(site.id, None, None, 10)
        .await
        .unwrap()
        .iter()
        .any(|i| i.email.contains("ada")));
    assert_eq!(app.service.send_due_invitations(now_ms()).await.unwrap(), Default::default());
    assert!(inbox.try_recv().is_err());

    let last = if unsubscribe.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &unsubscribe[..unsubscribe.len() - 1]);
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn smtp_failures_are_retried_then_shown_and_a_refused_address_is_not_retried() {
    let port = smtp_refusing("451 4.3.0 mailbox busy, try later").await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, port);
        settings.send_invitations = false;
    })
    .await;
    let invitation = app.invite("ada@example.com", None, &[]).await;
    let site = app.site(SITE).await;
    let mut now = now_ms();
    for attempt in 1..=5 {
        let report = app.service.send_due_invitations(now).await.unwrap();
        assert_eq!(report.failed, 1, "attempt {attempt}");
        let stored = app.storage.invitation(site.id, &invitation.id).await.unwrap().unwrap();
        assert_eq!(stored.attempts, attempt);
        assert!(
            stored.last_error.as_deref().is_some_and(|error| error.contains("mailbox busy")),
            "{stored:?}"
        );
        now = stored.next_send_at.unwrap_or(now) + 1;
    }
    let given_up = app.storage.invitation(site.id, &invitation.id).await.unwrap().unwrap();
    assert_eq!((given_up.status, given_up.next_send_at), (InvitationStatus::Failed, None));
    let owner = app.owner_token().await;
    let failed = app.invitations(&owner, "?status=failed").await;
    assert_eq!(failed.items[0].attempts, 5);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("fanfare_invitation_email_failures_total 5\n"), "{metrics}");
    assert!(metrics.contains("fanfare_invitation_emails_sent_total 0\n"), "{metrics}");

    // Once the mail server is fixed, an owner sends it again.
    app.service.resend_invitation(&site, Actor::CommandLine, &invitation.id).await.unwrap();
    let requeued = app.storage.invitation(site.id, &invitation.id).await.unwrap().unwrap();
    assert_eq!((requeued.status, requeued.attempts), (InvitationStatus::Queued, 0));

    let mut all = app.service.resend_failed_invitations(&site, Actor::CommandLine).await.unwrap();
    assert_eq!(all, 0, "the one failed invitation was already queued again");
    all = app.storage.invitations(site.id, Some(InvitationStatus::Queued), None, 10).await.unwrap().len()
        as u64;
    assert_eq!(all, 1);

    let refusing_for_good = smtp_refusing("550 5.1.1 no such user").await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, refusing_for_good);
        settings.send_invitations = false;
    })
    .await;
    let invitation = app.invite("nobody@example.com", None, &[]).await;
    assert_eq!(app.service.send_due_invitations(now_ms()).await.unwrap().failed, 1);
    let site = app.site(SITE).await;
    let stored = app.storage.invitation(site.id, &invitation.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (InvitationStatus::Failed, 1), "{stored:?}");
}

#[tokio::test]
async fn the_daily_cap_holds_the_rest_until_the_next_day() {
    let (app, mut inbox) = app_with_mail().await;
    let site = app.site(SITE).await;
    let input = SettingsInput { invitation_daily_cap: Some("2"), ..SettingsInput::default() };
    app.service.change_site(&site, Actor::CommandLine, input).await.unwrap();
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        app.invite(email, None, &[]).await;
    }
    let start = now_ms();
    let report = app.service.send_due_invitations(start).await.unwrap();
    assert_eq!((report.sent, report.deferred), (2, 1));
    assert_eq!(app.service.send_due_invitations(start + 2 * 60 * 60 * 1000).await.unwrap().sent, 0);
    let next_day = app.service.send_due_invitations(start + DAY_MS + 60 * 60 * 1000).await.unwrap();
    assert_eq!(next_day.sent, 1);
    for _ in 0..3 {
        next_message(&mut inbox).await;
    }
}

#[tokio::test]
async fn a_checkout_records_conversions_with_a_site_key_beyond_a_visitors_limits() {
    let (app, _inbox) = app_with_mail().await;
    let referral: Value = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/referrals")))
        .header("Origin", ORIGIN)
        .json(&json!({ "name": "Grace", "email": "grace@example.com" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = referral["code"].as_str().unwrap().to_owned();
    let key = app.site_key(SITE).await;
    // More orders from one address than a visitor may post (120 events in 10 minutes): the
    // order system's own address.
    for order in 0..130 {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/sites/{SITE}/conversions")))
            .bearer_auth(&key)
            .json(&json!({ "code": code, "id": format!("order-{order}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "order {order}");
    }
    let bad_key = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/conversions")))
        .bearer_auth("ffs_wrong")
        .json(&json!({ "code": code, "id": "order-x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 401);
}

#[tokio::test]
async fn the_dashboard_previews_a_csv_and_sends_nothing_when_a_line_is_wrong() {
    let (app, _inbox) = app_with_mail().await;
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let session = app.login("owner@acme.test").await;
    let path = format!("/admin/sites/{SITE}/invitations");
    let page = app.get_page(&session.cookie, &path).await;
    assert!(page.contains("Invite from a CSV file") && page.contains("Site keys"), "{page}");

    let wrong = "email,name,tags\nada@example.com,Ada,espresso\nnot-an-address,Bo,\n";
    let response = app.post_form(&session, &format!("{path}/preview"), &[("csv", wrong)]).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("line 3: email"), "{body}");
    let site = app.site(SITE).await;
    assert!(app.storage.invitations(site.id, None, None, 10).await.unwrap().is_empty());

    let right = "email,name,tags\nada@example.com,Ada,espresso\nbo@example.com,Bo,\n";
    let preview = app.post_form(&session, &format!("{path}/preview"), &[("csv", right)]).await;
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.unwrap();
    assert!(preview.contains("Will be invited (2)") && preview.contains("Send 2 invitation(s)"), "{preview}");
    assert!(
        app.storage.invitations(site.id, None, None, 10).await.unwrap().is_empty(),
        "a preview stores nothing"
    );

    let sent = app.post_form(&session, &format!("{path}/upload"), &[("csv", right)]).await;
    assert_eq!(sent.status(), 303);
    let stored = app.storage.invitations(site.id, None, None, 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    let ada = stored.iter().find(|invitation| invitation.email == "ada@example.com").unwrap();
    assert_eq!(ada.tags, ["espresso"]);
    let listed = app.get_page(&session.cookie, &path).await;
    assert!(listed.contains("bo@example.com") && listed.contains("Queued"), "{listed}");

    // A moderator sees the list but none of the owner's forms.
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    let moderator = app.login("mod@acme.test").await;
    let page = app.get_page(&moderator.cookie, &path).await;
    assert!(page.contains("ada@example.com") && !page.contains("Site keys"), "{page}");
    let refused = app.post_form(&moderator, &format!("{path}/send"), &[("email", "cy@example.com")]).await;
    assert_eq!(refused.status(), 404);
}

#[tokio::test]
async fn a_refused_site_key_name_is_shown_again_under_its_field_and_no_key_is_made() {
    let (app, _inbox) = app_with_mail().await;
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let session = app.login("owner@acme.test").await;
    let label = "the order system of the webshop, the warehouse and the till too";
    assert!(label.chars().count() > 60);
    let bad = app.post_form(&session, &format!("/admin/sites/{SITE}/keys"), &[("label", label)]).await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(page.contains("<h1>Invitations</h1>") && page.contains("Site keys"), "the page itself: {page}");
    let field = refused_field(&page, "key-label");
    assert!(field.tag.contains(&format!(r#"value="{label}""#)), "as typed: {}", field.tag);
    assert!(field.message.starts_with("must be 1–60 characters on one line"), "{}", field.message);
    assert!(!page.contains("Copy it now"), "no key shown: {page}");
    assert!(!page.contains("invite-email-error"), "the other forms are not refused: {page}");
    assert!(app.service.site_keys(&app.site(SITE).await).await.unwrap().is_empty(), "no key made");
}

#[tokio::test]
async fn a_mail_server_that_refuses_us_pauses_the_round_instead_of_failing_every_invitation() {
    // A relay's policy refusal (5.7.x) and a failed sign-in are about us, not the address.
    for refusal in ["550 5.7.1 relaying denied", "535 5.7.8 authentication failed"] {
        let port = smtp_refusing(refusal).await;
        let app = spawn_app_with(|settings| {
            mail_to_sink(settings, port);
            settings.send_invitations = false;
        })
        .await;
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            app.invite(email, None, &[]).await;
        }
        let report = app.service.send_due_invitations(now_ms()).await.unwrap();
        assert!(report.paused, "{refusal}: {report:?}");
        assert_eq!(report.failed, 1, "{refusal}: one try, then the round stops");
        let site = app.site(SITE).await;
        let stored = app.storage.invitations(site.id, None, None, 10).await.unwrap();
        assert!(stored.iter().all(|invitation| invitation.status == InvitationStatus::Queued), "{stored:?}");
        assert_eq!(stored.iter().map(|invitation| invitation.attempts).sum::<u32>(), 1, "{refusal}");
    }
}

#[tokio::test]
async fn reminders_turned_off_after_the_email_went_out_are_not_sent() {
    let (app, mut inbox) = app_with_mail().await;
    app.invite("ada@example.com", None, &[]).await;
    let start = now_ms();
    assert_eq!(app.service.send_due_invitations(start).await.unwrap().sent, 1);
    next_message(&mut inbox).await;
    let site = app.site(SITE).await;
    let off = SettingsInput { invitation_reminder_days: Some("0"), ..SettingsInput::default() };
    app.service.change_site(&site, Actor::CommandLine, off).await.unwrap();
    let report = app.service.send_due_invitations(start + 8 * DAY_MS).await.unwrap();
    assert_eq!((report.reminded, report.cancelled), (0, 1));
    assert_eq!(app.service.send_due_invitations(start + 30 * DAY_MS).await.unwrap(), Default::default());
    assert!(inbox.try_recv().is_err());
}
