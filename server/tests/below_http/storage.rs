//! The storage contract: what every backend must do, checked through the traits alone.

use fanfare_protocol::api::Status;
use fanfare_server::domain::Role;
use fanfare_server::secrets;
use fanfare_server::storage::{
    ConversionSource, Cursor, IdempotencyClaim, IdempotentAnswer, ImportOutcome, ImportedTestimonial,
    ListQuery, Moderated, NewAdvocate, NewConversion, NewTestimonialRecord, SiteChanges, StorageError,
    TestimonialEdit,
};

use crate::world::{new_site, record, World};

fn first_page(limit: u32) -> ListQuery {
    ListQuery { limit, ..ListQuery::default() }
}

#[tokio::test]
async fn a_slug_is_taken_once_and_a_new_consent_text_starts_a_new_version() {
    let world = World::new().await;
    let again = world.storage.create_site(new_site("acme"), 0).await;
    assert!(matches!(again, Err(StorageError::Conflict { field: "slug" })), "{again:?}");

    let same = SiteChanges { consent_text: Some(world.site.consent_text.clone()), ..SiteChanges::default() };
    let unchanged = world.storage.update_site("acme", same).await.unwrap().unwrap();
    assert_eq!(unchanged.consent_version, world.site.consent_version, "the same words are the same version");
    let new = SiteChanges { consent_text: Some("Publish it, please.".into()), ..SiteChanges::default() };
    let changed = world.storage.update_site("acme", new).await.unwrap().unwrap();
    assert_eq!(changed.consent_version, world.site.consent_version + 1);
    assert!(world.storage.update_site("nope", SiteChanges::default()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_new_record_is_stored_as_it_says_it_will_be() {
    let world = World::new().await;
    // Every field that can differ set, tags given out of order and twice.
    let record = NewTestimonialRecord {
        role: Some("Chef".into()),
        company: Some("Acme".into()),
        referral_code: Some("ABCD2345".into()),
        page_url: Some("https://acme.test/shop".into()),
        ip_prefix: Some("203.0.113.0/24".into()),
        follow_up: true,
        contact_me: true,
        verified: true,
        tags: vec!["roast".into(), "beans".into(), "roast".into()],
        ..record(&world.site, Status::Approved, 2, 1234)
    };
    let expected = record.as_stored();
    world.storage.insert_testimonial(record).await.unwrap();
    let stored = world.storage.testimonial(world.site.id, &expected.id).await.unwrap().expect("stored");
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn the_public_list_is_approved_items_newest_first_page_by_page() {
    let world = World::new().await;
    let mut approved = Vec::new();
    for at in 1..=5 {
        approved.push(world.testimonial(&world.site, Status::Approved, 5, at * 1000).await);
    }
    for status in [Status::Pending, Status::Rejected, Status::Spam, Status::Withdrawn] {
        world.testimonial(&world.site, status, 5, 9000).await;
    }
    let other = world.other_site().await;
    world.testimonial(&other, Status::Approved, 5, 9500).await;

    let first = world.storage.list_published(world.site.id, &first_page(3)).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(ids, [&approved[4], &approved[3], &approved[2]].map(String::as_str));
    let next = ListQuery { cursor: first.last().map(Cursor::after), ..first_page(3) };
    let second = world.storage.list_published(world.site.id, &next).await.unwrap();
    let ids: Vec<&str> = second.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(ids, [&approved[1], &approved[0]].map(String::as_str));
}

#[tokio::test]
async fn publishing_needs_consent_and_a_withdrawal_is_final() {
    let world = World::new().await;
    let no_consent = record(&world.site, Status::Pending, 5, 1);
    let no_consent = fanfare_server::storage::NewTestimonialRecord { consent: false, ..no_consent };
    let id = no_consent.id.clone();
    world.storage.insert_testimonial(no_consent).await.unwrap();
    assert_eq!(
        world.storage.moderate(world.site.id, &id, Status::Approved, 2).await.unwrap(),
        Moderated::NoConsent
    );
    assert!(matches!(
        world.storage.moderate(world.site.id, &id, Status::Rejected, 3).await.unwrap(),
        Moderated::Done(_)
    ));

    let token = secrets::bearer_token("ffm");
    let withdrawn = fanfare_server::storage::NewTestimonialRecord {
        manage_token_hash: secrets::hash_token(&token),
        ..record(&world.site, Status::Approved, 5, 4)
    };
    let id = withdrawn.id.clone();
    world.storage.insert_testimonial(withdrawn).await.unwrap();
    let gone = world.storage.withdraw(&secrets::hash_token(&token), 5).await.unwrap().unwrap();
    assert_eq!(gone.status, Status::Withdrawn);
    assert!(world.storage.list_published(world.site.id, &first_page(10)).await.unwrap().is_empty());
    assert_eq!(
        world.storage.moderate(world.site.id, &id, Status::Approved, 6).await.unwrap(),
        Moderated::Withdrawn
    );
    let edit =
        TestimonialEdit { name: "A".into(), role: None, company: None, rating: 4, text: "Changed".into() };
    let after = world.storage.author_edit(&secrets::hash_token(&token), edit, 7).await.unwrap().unwrap();
    assert_eq!(
        (after.status, after.text.as_str()),
        (Status::Withdrawn, "The beans arrive fresh."),
        "left as withdrawn"
    );
}

#[tokio::test]
async fn another_sites_testimonial_cannot_be_touched() {
    let world = World::new().await;
    let other = world.other_site().await;
    let id = world.testimonial(&other, Status::Pending, 5, 1).await;
    assert_eq!(
        world.storage.moderate(world.site.id, &id, Status::Approved, 2).await.unwrap(),
        Moderated::NotFound
    );
    assert!(world.storage.set_reply(world.site.id, &id, Some("hi"), 2).await.unwrap().is_none());
    assert!(world.storage.testimonial(world.site.id, &id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_authors_correction_goes_back_to_moderation_marked_edited() {
    let world = World::new().await;
    let token = secrets::bearer_token("ffm");
    let item = fanfare_server::storage::NewTestimonialRecord {
        manage_token_hash: secrets::hash_token(&token),
        ..record(&world.site, Status::Approved, 5, 1)
    };
    world.storage.insert_testimonial(item).await.unwrap();
    let edit =
        TestimonialEdit { name: "Ada".into(), role: None, company: None, rating: 4, text: "Better".into() };
    let edited = world.storage.author_edit(&secrets::hash_token(&token), edit, 2).await.unwrap().unwrap();
    assert_eq!(
        (edited.status, edited.edited, edited.rating, edited.text.as_str()),
        (Status::Pending, true, 4, "Better")
    );
}

/// Submissions written together (SQLite commits them as one group) still succeed or fail
/// one by one.
#[tokio::test]
async fn one_refused_row_costs_the_others_nothing() {
    let world = World::new().await;
    let twin = record(&world.site, Status::Pending, 5, 1);
    let other = record(&world.site, Status::Pending, 5, 2);
    let (first, second, third) = tokio::join!(
        world.storage.insert_testimonial(twin.clone()),
        world.storage.insert_testimonial(twin.clone()),
        world.storage.insert_testimonial(other),
    );
    let results = [first, second, third];
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 2, "{results:?}");
    assert!(results[2].is_ok());
    assert_eq!(world.storage.all_testimonials(world.site.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_last_owner_is_kept_even_when_owners_remove_each_other_at_once() {
    let world = World::new().await;
    let site = world.site.id;
    for round in 0..5 {
        let a = world
            .storage
            .upsert_user(&format!("a{round}@acme.test"), None, site, Role::Owner, 1)
            .await
            .unwrap();
        let b = world
            .storage
            .upsert_user(&format!("b{round}@acme.test"), None, site, Role::Owner, 1)
            .await
            .unwrap();
        // Any earlier owner goes first, so these two are the only ones.
        for (user, role) in world.storage.members(site).await.unwrap() {
            if role == Role::Owner && user.id != a.id && user.id != b.id {
                world.storage.remove_member(site, user.id).await.unwrap();
            }
        }
        let (first, second) =
            tokio::join!(world.storage.remove_member(site, a.id), world.storage.remove_member(site, b.id));
        let refused =
            [&first, &second].iter().filter(|result| matches!(result, Err(StorageError::LastOwner))).count();
        assert_eq!(refused, 1, "round {round}: {first:?} {second:?}");
        let owners = world
            .storage
            .members(site)
            .await
            .unwrap()
            .into_iter()
            .filter(|(_, role)| *role == Role::Owner)
            .count();
        assert_eq!(owners, 1, "round {round}");
    }
}

#[tokio::test]
async fn the_last_owner_is_kept_when_two_owners_demote_each_other_at_once() {
    let world = World::new().await;
    let site = world.site.id;
    world.storage.upsert_user("a@acme.test", None, site, Role::Owner, 1).await.unwrap();
    world.storage.upsert_user("b@acme.test", None, site, Role::Owner, 1).await.unwrap();
    let (first, second) = tokio::join!(
        world.storage.upsert_user("a@acme.test", None, site, Role::Moderator, 2),
        world.storage.upsert_user("b@acme.test", None, site, Role::Moderator, 2),
    );
    assert_eq!([first.is_ok(), second.is_ok()].iter().filter(|ok| **ok).count(), 1, "{first:?} {second:?}");
    assert!(matches!(first.err().or(second.err()), Some(StorageError::LastOwner)));
    let roles: Vec<Role> =
        world.storage.members(site).await.unwrap().into_iter().map(|(_, role)| role).collect();
    assert!(roles.contains(&Role::Owner), "{roles:?}");
    // A person who is no member is simply not removed; removing a moderator works.
    assert!(!world.storage.remove_member(site, 9999).await.unwrap());
}

#[tokio::test]
async fn notification_email_goes_only_to_members_who_turned_it_on() {
    let world = World::new().await;
    let site = world.site.id;
    let user = world.storage.upsert_user("mod@acme.test", None, site, Role::Moderator, 1).await.unwrap();
    assert!(world.storage.members_to_notify(site).await.unwrap().is_empty(), "a new membership starts off");
    assert_eq!(world.storage.notification_choices(user.id).await.unwrap(), [(world.site.clone(), false)]);

    assert!(world.storage.set_notifications(user.id, site, true).await.unwrap());
    assert_eq!(world.storage.members_to_notify(site).await.unwrap(), [(user.id, "mod@acme.test".to_owned())]);
    // A role change keeps the person's choice.
    world.storage.upsert_user("mod@acme.test", None, site, Role::Owner, 2).await.unwrap();
    assert_eq!(world.storage.members_to_notify(site).await.unwrap(), [(user.id, "mod@acme.test".to_owned())]);
    let other = world.other_site().await;
    assert!(!world.storage.set_notifications(user.id, other.id, true).await.unwrap(), "no role there");
    assert!(world.storage.set_notifications(user.id, site, false).await.unwrap());
    assert!(world.storage.members_to_notify(site).await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_and_sessions_open_only_while_valid() {
    let world = World::new().await;
    let user =
        world.storage.upsert_user("mod@acme.test", None, world.site.id, Role::Moderator, 1).await.unwrap();
    assert_eq!(world.storage.role_on_site(user.id, world.site.id).await.unwrap(), Some(Role::Moderator));
    let other = world.other_site().await;
    assert_eq!(world.storage.role_on_site(user.id, other.id).await.unwrap(), None);

    world.storage.create_token(user.id, "token-hash", 1).await.unwrap();
    assert_eq!(world.storage.user_by_token("token-hash").await.unwrap(), Some(user.clone()));
    let token_id = world.storage.tokens_of_user(user.id).await.unwrap()[0].id;
    assert!(world.storage.revoke_token(user.id, token_id, 2).await.unwrap());
    assert_eq!(world.storage.user_by_token("token-hash").await.unwrap(), None, "revoked tokens open nothing");

    world.storage.create_session("session-hash", user.id, "csrf", 10, 20).await.unwrap();
    assert!(world.storage.session("session-hash", 19).await.unwrap().is_some());
    assert!(world.storage.session("session-hash", 20).await.unwrap().is_none(), "expired");
}

#[tokio::test]
async fn an_idempotency_key_is_claimed_once_and_answers_retries() {
    let world = World::new().await;
    let site = world.site.id;
    let claim = |hash: &'static str| world.storage.claim_idempotency_key(site, "key-1", hash, 100, 0, 0);
    assert_eq!(claim("h1").await.unwrap(), IdempotencyClaim::New);
    assert_eq!(claim("h1").await.unwrap(), IdempotencyClaim::InProgress { request_hash: "h1".into() });
    let answer = IdempotentAnswer { status: 201, sealed_body: "v1.sealed", testimonial_id: Some("t1") };
    world.storage.complete_idempotency_key(site, "key-1", answer).await.unwrap();
    assert_eq!(
        claim("h1").await.unwrap(),
        IdempotencyClaim::Done { request_hash: "h1".into(), status: 201, sealed_body: "v1.sealed".into() }
    );
    world.storage.claim_idempotency_key(site, "key-2", "h2", 100, 0, 0).await.unwrap();
    world.storage.release_idempotency_key(site, "key-2").await.unwrap();
    assert_eq!(
        world.storage.claim_idempotency_key(site, "key-2", "h2", 101, 0, 0).await.unwrap(),
        IdempotencyClaim::New
    );

    // A claim its request never answered (cut off by the deadline) is taken over once it is
    // older than the abandonment cut-off, and not before.
    let retry = |now, abandoned_before| {
        world.storage.claim_idempotency_key(site, "key-2", "h2", now, 0, abandoned_before)
    };
    assert_eq!(retry(102, 100).await.unwrap(), IdempotencyClaim::InProgress { request_hash: "h2".into() });
    assert_eq!(retry(300, 102).await.unwrap(), IdempotencyClaim::New);
    // An answered one is never taken over within its window.
    assert!(matches!(
        world.storage.claim_idempotency_key(site, "key-1", "h1", 400, 0, 399).await.unwrap(),
        IdempotencyClaim::Done { .. }
    ));
}

#[tokio::test]
async fn a_nonce_is_used_once() {
    let world = World::new().await;
    assert!(world.storage.use_nonce("n-1", 1).await.unwrap());
    assert!(!world.storage.use_nonce("n-1", 2).await.unwrap());
}

fn advocate(site_id: i64, code: &str, email: &str) -> NewAdvocate {
    NewAdvocate {
        site_id,
        code: code.into(),
        name: "Ada".into(),
        email: email.into(),
        email_key: fanfare_server::domain::email_key(email),
        ip_prefix: None,
        device: None,
        lang: "en".into(),
        created_at: 1,
    }
}

#[tokio::test]
async fn one_person_one_code_visits_counted_once_conversions_once() {
    let world = World::new().await;
    let (ada, new) =
        world.storage.upsert_advocate(advocate(world.site.id, "AAAA2222", "ada@example.com")).await.unwrap();
    let (again, new_again) = world
        .storage
        .upsert_advocate(advocate(world.site.id, "BBBB3333", "ADA+x@example.com"))
        .await
        .unwrap();
    assert!(new && !new_again, "new once");
    assert_eq!(again.code, "AAAA2222", "the same person keeps their code");
    let taken = world.storage.upsert_advocate(advocate(world.site.id, "AAAA2222", "grace@example.com")).await;
    assert!(matches!(taken, Err(StorageError::Conflict { field: "code" })), "{taken:?}");

    assert!(world.storage.record_visit(ada.id, Some("dev-1"), None, 10, 0).await.unwrap());
    assert!(
        !world.storage.record_visit(ada.id, Some("dev-1"), None, 11, 0).await.unwrap(),
        "same browser, same window"
    );
    assert!(world.storage.record_visit(ada.id, Some("dev-1"), None, 30, 20).await.unwrap(), "a new window");
    assert!(world.storage.visited_from(ada.id, "dev-1", 0).await.unwrap());
    assert!(world.storage.visited_from(ada.id, "dev-1", 30).await.unwrap(), "the later window's visit");
    assert!(!world.storage.visited_from(ada.id, "dev-1", 31).await.unwrap(), "none since");
    assert!(!world.storage.visited_from(ada.id, "dev-2", 0).await.unwrap(), "another browser");
    let (grace, _) = world
        .storage
        .upsert_advocate(advocate(world.site.id, "CCCC4444", "grace@example.com"))
        .await
        .unwrap();
    assert!(!world.storage.visited_from(grace.id, "dev-1", 0).await.unwrap(), "another advocate's code");

    let conversion = NewConversion {
        site_id: world.site.id,
        advocate_id: ada.id,
        external_id: "order-1".into(),
        email: None,
        email_key: None,
        ip_prefix: None,
        device: None,
        flags: vec![],
        source: ConversionSource::Page,
        value: None,
        payment_id: None,
        created_at: 40,
    };
    let (_, new) = world.storage.record_conversion(conversion.clone()).await.unwrap();
    let (_, again) = world.storage.record_conversion(conversion).await.unwrap();
    assert!(new && !again, "idempotent on the order id");
    let stats = world.storage.advocate_stats(world.site.id, 10, 0).await.unwrap();
    assert_eq!((stats[0].visits, stats[0].conversions), (2, 1));
}

#[tokio::test]
async fn erasure_takes_an_addresss_testimonials_and_referrals_and_nothing_else() {
    let world = World::new().await;
    world.testimonial(&world.site, Status::Approved, 5, 1).await;
    let grace = fanfare_server::storage::NewTestimonialRecord {
        email: "grace@example.com".into(),
        ..record(&world.site, Status::Approved, 4, 2)
    };
    world.storage.insert_testimonial(grace).await.unwrap();
    world.storage.upsert_advocate(advocate(world.site.id, "CCCC4444", "ada@example.com")).await.unwrap();

    assert_eq!(world.storage.erase_email(world.site.id, "ada@example.com").await.unwrap(), 1);
    let left = world.storage.all_testimonials(world.site.id).await.unwrap();
    assert_eq!(left.iter().map(|item| item.email.as_str()).collect::<Vec<_>>(), ["grace@example.com"]);
    assert!(world.storage.advocate_by_code(world.site.id, "CCCC4444").await.unwrap().is_none());
}

#[tokio::test]
async fn deliveries_are_queued_only_for_sites_with_webhooks_and_claimed_once() {
    let world = World::new().await;
    assert_eq!(world.storage.enqueue_deliveries(world.site.id, "e", "{}", 1).await.unwrap(), 0);
    world.webhook(world.site.id, "https://hooks.example.com/a").await;
    assert_eq!(world.storage.enqueue_deliveries(world.site.id, "e", "{}", 2).await.unwrap(), 1);
    let due = world.storage.due_deliveries(3, 4, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(world.storage.claim_delivery(&due[0], 1000).await.unwrap());
    assert!(!world.storage.claim_delivery(&due[0], 1000).await.unwrap(), "another instance's claim loses");
    assert!(world.storage.due_deliveries(4, 4, 10).await.unwrap().is_empty(), "leased to the first claim");
    assert_eq!(
        world.storage.due_deliveries(1000, 4, 10).await.unwrap().len(),
        1,
        "due again when the lease ends"
    );
}

#[tokio::test]
async fn an_imported_id_is_stored_once_and_known_to_be_taken_elsewhere() {
    let world = World::new().await;
    let other = world.other_site().await;
    let item = |site: &fanfare_server::storage::Site, id: &str| ImportedTestimonial {
        record: NewTestimonialRecord {
            id: id.into(),
            tags: vec!["beans".into()],
            ..record(site, Status::Approved, 5, 10)
        },
        reply: None,
        featured: false,
        updated_at: 10,
    };
    let import = |site, id| world.storage.import_testimonial(item(site, id));
    assert_eq!(import(&world.site, "exported1").await.unwrap(), ImportOutcome::Stored);
    assert_eq!(import(&world.site, "exported1").await.unwrap(), ImportOutcome::AlreadyHere);
    assert_eq!(import(&other, "exported1").await.unwrap(), ImportOutcome::TakenElsewhere);
    assert!(world.storage.all_testimonials(other.id).await.unwrap().is_empty(), "nothing stored there");
    assert_eq!(import(&other, "renamed1").await.unwrap(), ImportOutcome::Stored);
}

// Several threads, so the adds really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_webhook_cap_holds_when_several_are_added_at_once() {
    let world = World::new().await;
    for n in 0..9 {
        let url = format!("https://hooks.example.com/{n}");
        world.webhook(world.site.id, &url).await;
    }
    let adds = (0..6).map(|n| {
        let storage = world.storage.clone();
        let site = world.site.id;
        tokio::spawn(async move {
            storage.add_webhook(site, &format!("https://hooks.example.com/late-{n}"), "whsec", 2, 10).await
        })
    });
    let mut added = 0;
    for add in adds.collect::<Vec<_>>() {
        if add.await.unwrap().unwrap().is_some() {
            added += 1;
        }
    }
    assert_eq!(added, 1, "one of the simultaneous adds fills the last place");
    assert_eq!(world.storage.webhooks(world.site.id).await.unwrap().len(), 10);
}

#[tokio::test]
async fn due_deliveries_take_a_few_of_each_site_so_one_backlog_hides_no_other_site() {
    let world = World::new().await;
    let other = world.other_site().await;
    world.webhook(world.site.id, "https://hooks.example.com/a").await;
    world.webhook(other.id, "https://hooks.example.com/b").await;
    for at in 2..12 {
        world.storage.enqueue_deliveries(world.site.id, "e", "{}", at).await.unwrap();
    }
    world.storage.enqueue_deliveries(other.id, "e", "{}", 20).await.unwrap();
    let due = world.storage.due_deliveries(30, 4, 100).await.unwrap();
    let of_site = |id| due.iter().filter(|delivery| delivery.site_id == id).count();
    assert_eq!((of_site(world.site.id), of_site(other.id)), (4, 1));
}

#[tokio::test]
async fn a_due_invitation_is_held_by_one_sender_and_only_its_holder_records_it() {
    use fanfare_server::storage::{InvitationStatus, NewInvitation, SendOutcome};

    let world = World::new().await;
    let (storage, site) = (&world.storage, world.site.id);
    let new = NewInvitation {
        id: "inv1".into(),
        email: "ada@example.com".into(),
        email_key: "ada@example.com".into(),
        name: None,
        tags: vec!["espresso".into()],
        order_id: None,
        lang: "en".into(),
        address_hash: "hash-ada".into(),
    };
    // A dry run answers as storing would, and stores nothing.
    let preview = storage.create_invitations(site, vec![new.clone()], 1_000, 0, true).await.unwrap();
    assert_eq!(preview.len(), 1);
    assert!(storage.invitation(site, "inv1").await.unwrap().is_none());
    storage.create_invitations(site, vec![new], 1_000, 0, false).await.unwrap();

    let due = storage.due_invitations(2_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(storage.claim_invitation(&due[0], "sender-a", 2_000, 2_000 + 900_000).await.unwrap());
    // Another sender, before the lease ends: neither claims nor records.
    assert!(storage.due_invitations(3_000, 10).await.unwrap().is_empty());
    assert!(!storage.claim_invitation(&due[0], "sender-b", 3_000, 3_000 + 900_000).await.unwrap());
    let sent = SendOutcome::Sent { reminder: false, next_send_at: Some(10_000) };
    storage.record_invitation_send("inv1", "sender-b", &sent, 3_000).await.unwrap();
    assert_eq!(storage.invitation(site, "inv1").await.unwrap().unwrap().status, InvitationStatus::Queued);
    // The holder records, and its hold ends.
    storage.record_invitation_send("inv1", "sender-a", &sent, 3_000).await.unwrap();
    let stored = storage.invitation(site, "inv1").await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.sent_at, stored.next_send_at),
        (InvitationStatus::Sent, Some(3_000), Some(10_000))
    );
    let reminder_due = storage.due_invitations(10_000, 10).await.unwrap();
    assert_eq!(reminder_due.len(), 1, "released for the reminder");

    // Answered after its email: once, and not with a link past its life.
    assert!(storage.respond_to_invitation(site, "inv1", "t1", 4_000, 3_001).await.unwrap().is_none());
    let answered = storage.respond_to_invitation(site, "inv1", "t1", 4_000, 2_000).await.unwrap();
    assert_eq!(answered.map(|before| before.status), Some(InvitationStatus::Sent));
    assert!(storage.respond_to_invitation(site, "inv1", "t2", 4_100, 2_000).await.unwrap().is_none());
    assert!(storage.due_invitations(20_000, 10).await.unwrap().is_empty(), "no reminder after an answer");
    // Given back (the testimonial could not be stored): sent, its reminder dropped.
    storage.unrespond_invitation("inv1", 5_000).await.unwrap();
    let back = storage.invitation(site, "inv1").await.unwrap().unwrap();
    assert_eq!((back.status, back.next_send_at, back.testimonial_id), (InvitationStatus::Sent, None, None));
}
