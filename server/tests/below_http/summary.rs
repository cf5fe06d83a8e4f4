//! The honest summary every public page carries: how many approved and rejected ratings, their
//! average, how many from verified customers; of the whole site or of one tag. The database
//! keeps it as rows change (`rating_tallies`), so it is checked here against a recount of every
//! testimonial after each kind of write.

use fanfare_protocol::api::Status;
use fanfare_server::secrets;
use fanfare_server::storage::{ImportedTestimonial, NewTestimonialRecord, RatingSummary, TestimonialEdit};

use crate::world::{record, World};

#[tokio::test]
async fn the_summary_counts_every_moderated_rating_but_spam_and_withdrawn() {
    let world = World::new().await;
    world.testimonial(&world.site, Status::Approved, 5, 1).await;
    world.testimonial(&world.site, Status::Rejected, 2, 2).await;
    world.testimonial(&world.site, Status::Pending, 1, 3).await;
    world.testimonial(&world.site, Status::Spam, 1, 4).await;
    world.testimonial(&world.site, Status::Withdrawn, 1, 5).await;
    let summary = world.storage.rating_summary(world.site.id, None).await.unwrap();
    assert_eq!(summary.count, 2);
    assert_eq!(summary.average, Some(3.5));
}

#[tokio::test]
async fn a_tags_summary_counts_only_that_tags_moderated_ratings() {
    let world = World::new().await;
    let tagged = world.testimonial(&world.site, Status::Approved, 5, 1).await;
    let also_tagged = world.testimonial(&world.site, Status::Rejected, 2, 2).await;
    world.testimonial(&world.site, Status::Approved, 1, 3).await;
    for id in [&tagged, &also_tagged] {
        world.storage.set_tags(world.site.id, id, &["house-blend".to_owned()], 10).await.unwrap();
    }
    let summary = world.storage.rating_summary(world.site.id, Some("house-blend")).await.unwrap();
    assert_eq!((summary.count, summary.average), (2, Some(3.5)));
    let none = world.storage.rating_summary(world.site.id, Some("decaf")).await.unwrap();
    assert_eq!((none.count, none.average), (0, None));
    let all = world.storage.rating_summary(world.site.id, None).await.unwrap();
    assert_eq!(all.count, 3);
}

/// Every tag the test uses, and `None` for the whole site.
const SUMMARIES: [Option<&str>; 4] = [None, Some("beans"), Some("roast"), Some("decaf")];

/// The summary of `tag` (or of the site) counted from every testimonial the site holds.
async fn recounted(world: &World, site_id: i64, tag: Option<&str>) -> (u64, Option<f64>, u64) {
    let all = world.storage.all_testimonials(site_id).await.unwrap();
    let counted: Vec<_> = all
        .iter()
        .filter(|item| matches!(item.status, Status::Approved | Status::Rejected))
        .filter(|item| tag.is_none_or(|tag| item.tags.iter().any(|t| t == tag)))
        .collect();
    let count = counted.len() as u64;
    let sum: u64 = counted.iter().map(|item| u64::from(item.rating)).sum();
    let verified = counted.iter().filter(|item| item.verified).count() as u64;
    (count, (count > 0).then(|| sum as f64 / count as f64), verified)
}

async fn assert_summaries_agree(world: &World, other_site_id: i64, after: &str) {
    for site_id in [world.site.id, other_site_id] {
        for tag in SUMMARIES {
            let stored = world.storage.rating_summary(site_id, tag).await.unwrap();
            let RatingSummary { count, average, verified } = stored;
            assert_eq!(
                (count, average, verified),
                recounted(world, site_id, tag).await,
                "after {after}: site {site_id}, tag {tag:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_summary_stays_equal_to_a_recount_through_every_kind_of_write() {
    let world = World::new().await;
    let other = world.other_site().await;
    let tagged = |status, rating, tags: &[&str], verified| NewTestimonialRecord {
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        verified,
        email: format!("{}@example.com", secrets::testimonial_id()),
        ..record(&world.site, status, rating, 1)
    };
    // Submissions, several at once (SQLite and PostgreSQL write them as one INSERT).
    let token = secrets::bearer_token("ffm");
    let arrivals = [
        tagged(Status::Approved, 5, &["beans", "roast"], true),
        tagged(Status::Rejected, 2, &["beans"], false),
        tagged(Status::Pending, 4, &["roast"], true),
        NewTestimonialRecord {
            manage_token_hash: secrets::hash_token(&token),
            ..tagged(Status::Approved, 3, &["roast"], false)
        },
        tagged(Status::Spam, 1, &["beans"], false),
        tagged(Status::Withdrawn, 1, &[], false),
        NewTestimonialRecord {
            email: "erase@example.com".into(),
            ..tagged(Status::Approved, 4, &["beans"], true)
        },
        NewTestimonialRecord {
            email: "erase@example.com".into(),
            ..tagged(Status::Rejected, 1, &["decaf"], false)
        },
    ];
    let ids: Vec<String> = arrivals.iter().map(|item| item.id.clone()).collect();
    let stored = arrivals.map(|item| world.storage.insert_testimonial(item));
    for result in futures_util::future::join_all(stored).await {
        result.unwrap();
    }
    world
        .storage
        .insert_testimonial(NewTestimonialRecord {
            tags: vec!["beans".into()],
            ..record(&other, Status::Approved, 1, 1)
        })
        .await
        .unwrap();
    assert_summaries_agree(&world, other.id, "submissions").await;

    // Decisions, into and out of the counted statuses.
    world.storage.moderate(world.site.id, &ids[2], Status::Approved, 2).await.unwrap();
    world.storage.moderate(world.site.id, &ids[0], Status::Spam, 2).await.unwrap();
    world.storage.moderate(world.site.id, &ids[1], Status::Approved, 2).await.unwrap();
    assert_summaries_agree(&world, other.id, "decisions").await;

    // Tags replaced on a counted testimonial and on one that is not.
    world.storage.set_tags(world.site.id, &ids[2], &["beans".into(), "decaf".into()], 3).await.unwrap();
    world.storage.set_tags(world.site.id, &ids[4], &["decaf".into()], 3).await.unwrap();
    assert_summaries_agree(&world, other.id, "new tags").await;

    // A moderator's correction keeps the status with a new rating; the author's sends it back.
    let edit = |rating| TestimonialEdit {
        name: "Ada".into(),
        role: None,
        company: None,
        rating,
        text: "Fresh.".into(),
    };
    world.storage.moderator_edit(world.site.id, &ids[1], edit(5), 4).await.unwrap();
    assert_summaries_agree(&world, other.id, "a moderator's correction").await;
    world.storage.author_edit(&secrets::hash_token(&token), edit(1), 4).await.unwrap();
    assert_summaries_agree(&world, other.id, "an author's correction").await;
    world.storage.moderate(world.site.id, &ids[3], Status::Approved, 5).await.unwrap();
    world.storage.withdraw(&secrets::hash_token(&token), 5).await.unwrap();
    assert_summaries_agree(&world, other.id, "a withdrawal").await;

    // Erasure deletes the rows with their tags; an import adds rows with theirs.
    assert_eq!(world.storage.erase_email(world.site.id, "erase@example.com").await.unwrap(), 2);
    assert_summaries_agree(&world, other.id, "an erasure").await;
    let imported = ImportedTestimonial {
        record: NewTestimonialRecord {
            tags: vec!["roast".into(), "decaf".into()],
            verified: true,
            ..record(&world.site, Status::Rejected, 2, 6)
        },
        reply: None,
        featured: false,
        updated_at: 6,
    };
    world.storage.import_testimonial(imported).await.unwrap();
    assert_summaries_agree(&world, other.id, "an import").await;
}

// Several threads, so the writes really overlap (on PostgreSQL they lock the same rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_at_once_leave_the_summary_equal_to_a_recount_and_none_fails() {
    let world = World::new().await;
    let other = world.other_site().await;
    let mut ids = Vec::new();
    for n in 0..12u8 {
        let item = NewTestimonialRecord {
            tags: vec!["beans".into(), "roast".into()],
            ..record(&world.site, Status::Approved, 1 + n % 5, i64::from(n))
        };
        ids.push(item.id.clone());
        world.storage.insert_testimonial(item).await.unwrap();
    }
    // Tags crossing each other's and decisions on the same site, all at once.
    let tag_sets = [["decaf", "roast"], ["beans", "decaf"], ["roast", "beans"]];
    let writes = ids.iter().enumerate().map(|(n, id)| {
        let storage = world.storage.clone();
        let (site, id) = (world.site.id, id.clone());
        let tags: Vec<String> = tag_sets[n % 3].iter().map(|tag| (*tag).to_owned()).collect();
        tokio::spawn(async move {
            storage.set_tags(site, &id, &tags, 10).await?;
            let status = if n % 2 == 0 { Status::Rejected } else { Status::Pending };
            storage.moderate(site, &id, status, 11).await?;
            storage.set_tags(site, &id, &tags[..1], 12).await
        })
    });
    for write in futures_util::future::join_all(writes).await {
        write.unwrap().unwrap();
    }
    assert_summaries_agree(&world, other.id, "writes at once").await;
}
