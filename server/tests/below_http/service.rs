//! The service's operations, without HTTP: each owns its side effects, so whoever calls it (the
//! widget's API, the dashboard, an email link, the command line) gets the same cache, audit
//! and rules.

use fanfare_protocol::api::Status;
use fanfare_protocol::SubmitTestimonial;
use fanfare_server::domain::Role;
use fanfare_server::service::moderation::Action;
use fanfare_server::service::reach::Seen;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::submissions::Submitted;
use fanfare_server::service::{Actor, Service, ServiceError};
use fanfare_server::storage::{ListQuery, Site};

use crate::world::World;

fn submission(extra: serde_json::Value) -> SubmitTestimonial {
    let mut body = serde_json::json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "rating": 5,
        "text": "The beans are wonderful and arrive fresh.",
        "consent": true,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    serde_json::from_value(body).expect("a well-formed submission")
}

async fn submit(service: &Service, site: &Site, extra: serde_json::Value) -> Result<String, ServiceError> {
    match service.submit(site, None, submission(extra), None).await? {
        Submitted::Created(created) => Ok(created.id),
        Submitted::Replayed { .. } => panic!("no idempotency key was sent"),
    }
}

/// The ids on the site's first public page, as a visitor would get them now.
async fn published(service: &Service, site: &Site) -> Vec<String> {
    let page = service
        .public_page(site, &ListQuery { limit: 20, ..ListQuery::default() }, Seen::List)
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

async fn audit_actions(world: &World) -> Vec<(String, String)> {
    let entries = world.storage.audit_log(world.site.id, 50).await.unwrap();
    entries.into_iter().rev().map(|entry| (entry.actor, entry.action)).collect()
}

#[tokio::test]
async fn a_decision_shows_on_the_next_public_read_and_is_audited() {
    let world = World::new().await;
    let service = world.service().await;
    let moderator =
        world.storage.upsert_user("mod@acme.test", None, world.site.id, Role::Moderator, 0).await.unwrap();
    let id = submit(&service, &world.site, serde_json::json!({})).await.unwrap();
    assert!(published(&service, &world.site).await.is_empty(), "pending items are not public");

    let approve = Action::Decide(Status::Approved);
    service.moderate(&world.site, Actor::Member(&moderator), &id, approve).await.unwrap();
    assert_eq!(published(&service, &world.site).await, [id], "the cached page was dropped");
    assert_eq!(audit_actions(&world).await, [("mod@acme.test".to_owned(), "approve".to_owned())]);
}

#[tokio::test]
async fn without_consent_nothing_is_published_not_even_by_auto_approval() {
    let world = World::new().await;
    let service = world.service().await;
    let auto = SettingsInput { auto_approve_min_rating: Some(Some("4")), ..SettingsInput::default() };
    let site = service.change_site(&world.site, Actor::CommandLine, auto).await.unwrap();

    let with = submit(&service, &site, serde_json::json!({})).await.unwrap();
    assert_eq!(published(&service, &site).await, [with], "consenting 5 stars are published at once");
    let without =
        submit(&service, &site, serde_json::json!({"consent": false, "email": "b@example.com"})).await;
    let without = without.unwrap();
    let stored = world.storage.testimonial(site.id, &without).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.consent_text), (Status::Pending, None));

    let approve =
        service.moderate(&site, Actor::CommandLine, &without, Action::Decide(Status::Approved)).await;
    assert!(matches!(approve, Err(ServiceError::Conflict { code: "consent_missing", .. })), "{approve:?}");
}

#[tokio::test]
async fn the_honeypot_answers_like_a_success_and_stores_nothing() {
    let world = World::new().await;
    let service = world.service().await;
    submit(&service, &world.site, serde_json::json!({"website": "http://spam.example"})).await.unwrap();
    assert!(world.storage.all_testimonials(world.site.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_author_who_withdraws_is_unpublished_at_once_and_audited_as_the_author() {
    let world = World::new().await;
    let service = world.service().await;
    let created =
        match service.submit(&world.site, None, submission(serde_json::json!({})), None).await.unwrap() {
            Submitted::Created(created) => created,
            Submitted::Replayed { .. } => unreachable!("no key sent"),
        };
    service
        .moderate(&world.site, Actor::CommandLine, &created.id, Action::Decide(Status::Approved))
        .await
        .unwrap();
    assert_eq!(published(&service, &world.site).await, std::slice::from_ref(&created.id));

    let token = created.manage_url.rsplit('/').next().unwrap();
    service.withdraw_by_author(token, None).await.unwrap();
    assert!(published(&service, &world.site).await.is_empty());
    let actions = audit_actions(&world).await;
    assert_eq!(actions.last(), Some(&("author".to_owned(), "author withdrew".to_owned())));
}

#[tokio::test]
async fn erasure_unpublishes_and_the_audit_log_does_not_keep_the_address() {
    let world = World::new().await;
    let service = world.service().await;
    let id = submit(&service, &world.site, serde_json::json!({})).await.unwrap();
    service.moderate(&world.site, Actor::CommandLine, &id, Action::Decide(Status::Approved)).await.unwrap();
    assert_eq!(published(&service, &world.site).await.len(), 1);

    assert_eq!(service.erase(&world.site, Actor::CommandLine, "Ada@Example.com").await.unwrap(), 1);
    assert!(published(&service, &world.site).await.is_empty());
    let entries = world.storage.audit_log(world.site.id, 10).await.unwrap();
    assert_eq!(entries[0].action, "erase");
    assert!(entries.iter().all(|entry| !entry.detail.as_deref().unwrap_or("").contains("ada@")));
}

#[tokio::test]
async fn settings_refused_by_the_parser_change_nothing() {
    let world = World::new().await;
    let too_long = "x".repeat(1001);
    let input =
        SettingsInput { consent_text: Some(&too_long), accent: Some("#112233"), ..SettingsInput::default() };
    let service = world.service().await;
    let refused = service.change_site(&world.site, Actor::CommandLine, input).await;
    let Err(ServiceError::Invalid(fields)) = refused else {
        panic!("refused, naming the field: {refused:?}")
    };
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["consent_text"]);
    let stored = world.storage.site_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(stored, world.site, "nothing was written");
    assert!(world.storage.audit_log(world.site.id, 10).await.unwrap().is_empty(), "and nothing audited");
}

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one() {
    let world = World::new().await;
    let service = world.service().await;
    for round in 0..5 {
        let site =
            world.storage.create_site(crate::world::new_site(&format!("race{round}")), 0).await.unwrap();
        let a =
            service.add_member(&site, Actor::CommandLine, "a@race.test", Role::Owner, None).await.unwrap();
        let b =
            service.add_member(&site, Actor::CommandLine, "b@race.test", Role::Owner, None).await.unwrap();
        let (first, second) = tokio::join!(
            service.remove_member(&site, Actor::Member(&a), b.id),
            service.remove_member(&site, Actor::Member(&b), a.id),
        );
        let refused = [&first, &second]
            .iter()
            .filter(|result| matches!(result, Err(ServiceError::Conflict { code: "last_owner", .. })))
            .count();
        assert_eq!(refused, 1, "round {round}: {first:?} {second:?}");
        let members = service.members(&site).await.unwrap();
        assert_eq!(members.iter().filter(|(_, role)| *role == Role::Owner).count(), 1, "round {round}");
    }
}

#[tokio::test]
async fn a_site_keeps_an_owner() {
    let world = World::new().await;
    let service = world.service().await;
    let owner = service
        .add_member(&world.site, Actor::CommandLine, "own@acme.test", Role::Owner, None)
        .await
        .unwrap();
    let demote =
        service.add_member(&world.site, Actor::Member(&owner), "own@acme.test", Role::Moderator, None).await;
    assert!(matches!(demote, Err(ServiceError::Conflict { code: "last_owner", .. })), "{demote:?}");
    let remove = service.remove_member(&world.site, Actor::Member(&owner), owner.id).await;
    assert!(matches!(remove, Err(ServiceError::Conflict { code: "last_owner", .. })), "{remove:?}");

    let moderator = service
        .add_member(&world.site, Actor::Member(&owner), "mod@acme.test", Role::Moderator, None)
        .await
        .unwrap();
    service.remove_member(&world.site, Actor::Member(&owner), moderator.id).await.unwrap();
    let actions = audit_actions(&world).await;
    let by_owner: Vec<&str> = actions
        .iter()
        .filter(|(actor, _)| actor == "own@acme.test")
        .map(|(_, action)| action.as_str())
        .collect();
    assert_eq!(by_owner, ["make moderator", "remove person"]);
}

#[tokio::test]
async fn pruning_removes_only_what_is_past_each_tables_retention() {
    use fanfare_server::service::retention::retention_at;
    use fanfare_server::storage::{DeliveryAttempt, DeliveryState, IdempotencyClaim, NewInvitation, Pruned};

    let world = World::new().await;
    let (storage, site) = (&world.storage, world.site.id);
    let now: i64 = 100 * 24 * 60 * 60 * 1000;
    let cut = retention_at(now);

    let user = storage.upsert_user("mod@acme.test", None, site, Role::Moderator, 1).await.unwrap();
    storage.create_session("expired", user.id, "csrf", 1, cut.sessions_expired_before - 1).await.unwrap();
    storage.create_session("live", user.id, "csrf", 1, cut.sessions_expired_before + 1).await.unwrap();
    assert!(storage.use_nonce("old-nonce", cut.nonces_used_before - 1).await.unwrap());
    assert!(storage.use_nonce("recent-nonce", cut.nonces_used_before).await.unwrap());
    for (hash, at) in
        [("old-key", cut.idempotency_keys_before - 1), ("fresh-key", cut.idempotency_keys_before)]
    {
        storage.claim_idempotency_key(site, hash, "request", at, 0, 0).await.unwrap();
    }
    world.webhook(site, "https://hooks.acme.test/in").await;
    let old = cut.finished_deliveries_before - 1;
    let recent = cut.finished_deliveries_before;
    // (queued at, outcome): Some(true) delivered, Some(false) given up, None still pending.
    let deliveries = [(old, Some(true)), (old, Some(false)), (old, None), (recent, Some(true))];
    for (index, (at, _)) in deliveries.iter().enumerate() {
        storage
            .enqueue_deliveries(site, "testimonial.submitted", &format!("{{\"n\":{index}}}"), *at)
            .await
            .unwrap();
    }
    let mut claimed = storage.due_deliveries(now, 10, 10).await.unwrap();
    claimed.sort_by_key(|delivery| delivery.id);
    assert_eq!(claimed.len(), deliveries.len());
    for (delivery, (_, outcome)) in claimed.iter().zip(deliveries) {
        let Some(delivered) = outcome else { continue };
        let attempt = DeliveryAttempt { status: Some(200), error: None, retry_at: None, delivered, now };
        storage.record_delivery_attempt(delivery.id, attempt).await.unwrap();
    }

    // Invitations: (created at, finished): only an old one with nothing left to send goes.
    let stale = cut.invitations_before - 1;
    let invitations = [(stale, true), (stale, false), (cut.invitations_before, true)];
    for (index, (at, finished)) in invitations.iter().enumerate() {
        let email = format!("customer{index}@example.com");
        let new = NewInvitation {
            id: format!("inv{index}"),
            email: email.clone(),
            email_key: email.clone(),
            name: None,
            tags: Vec::new(),
            order_id: None,
            lang: "en".into(),
            address_hash: format!("hash{index}"),
        };
        storage.create_invitations(site, vec![new], *at, *at, false).await.unwrap();
        if *finished {
            // Unsubscribed: nothing more to send.
            storage.suppress(site, &format!("hash{index}"), &email, *at).await.unwrap();
        }
    }

    let pruned = world.service().await.prune(now).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            sessions: 1,
            nonces: 1,
            idempotency_keys: 1,
            deliveries: 2,
            invitations: 1,
            stripe_events: 0,
            media: 0
        }
    );
    for (id, kept) in [("inv0", false), ("inv1", true), ("inv2", true)] {
        assert_eq!(storage.invitation(site, id).await.unwrap().is_some(), kept, "{id}");
    }

    assert!(storage.session("live", now).await.unwrap().is_some(), "a live session stays");
    assert!(
        !storage.use_nonce("recent-nonce", now).await.unwrap(),
        "a nonce a valid link may carry stays used"
    );
    assert!(storage.use_nonce("old-nonce", now).await.unwrap(), "an old one was forgotten");
    assert_eq!(
        storage.claim_idempotency_key(site, "fresh-key", "request", now, 0, 0).await.unwrap(),
        IdempotencyClaim::InProgress { request_hash: "request".into() },
        "a key inside its replay window stays"
    );
    let mut left: Vec<(DeliveryState, i64)> =
        storage.deliveries(site, 10).await.unwrap().iter().map(|d| (d.state, d.created_at)).collect();
    left.sort_by_key(|(_, at)| *at);
    assert_eq!(left, vec![(DeliveryState::Pending, old), (DeliveryState::Delivered, recent)]);
    let again = world.service().await.prune(now).await.unwrap();
    assert_eq!(again, Pruned::default(), "nothing more to prune");
}

// Several threads, so the adds really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_adding_webhooks_at_once_never_pass_the_cap() {
    let world = World::new().await;
    let service = world.service().await;
    // Public literal addresses: classified, never contacted (saving a webhook never connects).
    for n in 0..9 {
        let url = format!("https://93.184.216.34/hook-{n}");
        service.add_webhook(&world.site, Actor::CommandLine, &url).await.expect("under the cap");
    }
    let adds: Vec<_> = (0..6)
        .map(|n| {
            let (service, site) = (service.clone(), world.site.clone());
            tokio::spawn(async move {
                let url = format!("https://93.184.216.34/late-{n}");
                service.add_webhook(&site, Actor::CommandLine, &url).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for add in adds {
        outcomes.push(add.await.unwrap());
    }
    let added = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(added, 1, "exactly one fills the last place: {outcomes:?}");
    for refused in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
        assert!(
            matches!(refused, ServiceError::Invalid(fields) if fields.contains_key("url")),
            "{refused:?}"
        );
    }
    assert_eq!(world.storage.webhooks(world.site.id).await.unwrap().len(), 10);
}

#[tokio::test]
async fn a_visit_from_before_the_referral_window_does_not_vouch_for_a_conversion() {
    use fanfare_protocol::referrals::{CreateReferral, RecordConversion};
    let world = World::new().await;
    let service = world.service().await;
    let request = CreateReferral {
        name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        ..CreateReferral::default()
    };
    let code = service.refer(&world.site, None, "en", request).await.unwrap().code;
    let advocate = world.storage.advocate_by_code(world.site.id, &code).await.unwrap().unwrap();
    let day_ms = 24 * 60 * 60 * 1000;
    let now = fanfare_server::clock::now_ms();
    let window = i64::from(world.site.referral_window_days) * day_ms;
    // This browser followed the link once, long before the window that counts today.
    let long_ago = now - window - day_ms;
    world
        .storage
        .record_visit(advocate.id, Some("old-browser"), None, long_ago, long_ago - window)
        .await
        .unwrap();
    world
        .storage
        .record_visit(advocate.id, Some("new-browser"), None, now - day_ms, now - window)
        .await
        .unwrap();

    let convert = |device: &'static str, id: &'static str| RecordConversion {
        code: Some(code.clone()),
        id: Some(id.into()),
        device: Some(device.into()),
        ..RecordConversion::default()
    };
    let old = service.convert_from_page(&world.site, None, convert("old-browser", "order-1")).await.unwrap();
    assert!(old.flags.iter().any(|flag| flag == "no_visit"), "{:?}", old.flags);
    let new = service.convert_from_page(&world.site, None, convert("new-browser", "order-2")).await.unwrap();
    assert!(!new.flags.iter().any(|flag| flag == "no_visit"), "{:?}", new.flags);
}

#[tokio::test]
async fn the_demos_history_marker_is_no_secret_and_stays_readable_across_starts() {
    let world = World::new().await;
    // A finished demo seed writes it; the next start (the service opening again) must read it
    // back as written, or every restart would call a whole demo database incomplete.
    let marker = fanfare_server::storage::DEMO_SEEDED;
    assert_eq!(world.storage.server_key(marker, "2").await.unwrap(), "2");
    let _started = world.service().await;
    let _restarted = world.service().await;
    assert_eq!(world.storage.server_key(marker, "partial").await.unwrap(), "2");
}

/// Whether a site has webhooks travels with the site this instance keeps in memory, so adding
/// or removing one must reach that copy at once, or events would go unqueued (or queued for
/// nobody) until it ages out.
#[tokio::test]
async fn a_webhook_added_or_removed_counts_from_the_very_next_submission() {
    let world = World::new().await;
    let service = world.service().await;
    let slug = world.site.slug.clone();
    let cached = service.cached_site(&slug).await.unwrap();
    submit(&service, &cached, serde_json::json!({})).await.unwrap();
    assert!(world.storage.deliveries(world.site.id, 10).await.unwrap().is_empty());

    // A public literal address: classified, never contacted (nothing here delivers).
    let added = service.add_webhook(&cached, Actor::CommandLine, "https://93.184.216.34/hook").await.unwrap();
    let cached = service.cached_site(&slug).await.unwrap();
    submit(&service, &cached, serde_json::json!({"email": "grace@example.com"})).await.unwrap();
    assert_eq!(world.storage.deliveries(world.site.id, 10).await.unwrap().len(), 1, "queued at once");

    service.remove_webhook(&cached, Actor::CommandLine, added.webhook.id).await.unwrap();
    let cached = service.cached_site(&slug).await.unwrap();
    assert!(!cached.has_webhooks, "forgotten at once");
}
