//! The referral leaderboard: advocates ranked by conversions that count, then visits, with
//! their flagged conversions. The database keeps the counts as rows change
//! (`advocate_tallies`), so each step below checks them after a different kind of write.

use fanfare_server::storage::{AdvocateStats, ConversionSource, NewAdvocate, NewConversion};

use crate::world::World;

fn advocate(site_id: i64, code: &str, email: &str, created_at: i64) -> NewAdvocate {
    NewAdvocate {
        site_id,
        code: code.into(),
        name: code.into(),
        email: email.into(),
        email_key: fanfare_server::domain::email_key(email),
        ip_prefix: None,
        device: None,
        lang: "en".into(),
        created_at,
    }
}

fn conversion(site_id: i64, advocate_id: i64, order: &str, friend: &str, flags: &[&str]) -> NewConversion {
    NewConversion {
        site_id,
        advocate_id,
        external_id: order.into(),
        email: Some(friend.into()),
        email_key: Some(fanfare_server::domain::email_key(friend)),
        ip_prefix: None,
        device: None,
        flags: flags.iter().map(|flag| (*flag).to_owned()).collect(),
        source: ConversionSource::Page,
        value: None,
        payment_id: None,
        created_at: 50,
    }
}

/// Each advocate's code with (visits, conversions, flagged), in leaderboard order.
fn ranked(stats: &[AdvocateStats]) -> Vec<(&str, u64, u64, u64)> {
    stats.iter().map(|s| (s.advocate.code.as_str(), s.visits, s.conversions, s.flagged)).collect()
}

#[tokio::test]
async fn the_leaderboard_ranks_by_counts_kept_through_every_kind_of_write() {
    let world = World::new().await;
    let (site, storage) = (world.site.id, &world.storage);
    let (ada, _) = storage.upsert_advocate(advocate(site, "ADA22222", "ada@example.com", 1)).await.unwrap();
    let (grace, _) =
        storage.upsert_advocate(advocate(site, "GRACE333", "grace@example.com", 2)).await.unwrap();
    storage.upsert_advocate(advocate(site, "LIN44444", "lin@example.com", 3)).await.unwrap();
    let other = world.other_site().await;
    let (elsewhere, _) =
        storage.upsert_advocate(advocate(other.id, "OTHER555", "ada@example.com", 1)).await.unwrap();
    for (n, device) in ["a", "b", "c"].into_iter().enumerate() {
        assert!(storage.record_visit(ada.id, Some(device), None, 10 + n as i64, 0).await.unwrap());
    }
    assert!(!storage.record_visit(ada.id, Some("a"), None, 20, 0).await.unwrap(), "counted once");
    assert!(storage.record_visit(grace.id, Some("a"), None, 20, 0).await.unwrap());
    assert!(storage.record_visit(elsewhere.id, Some("a"), None, 20, 0).await.unwrap());
    let leaderboard = storage.advocate_stats(site, 10, 0).await.unwrap();
    assert_eq!(ranked(&leaderboard), [("ADA22222", 3, 0, 0), ("GRACE333", 1, 0, 0), ("LIN44444", 0, 0, 0)]);

    // Conversions: plain, flagged, and flagged then decided either way.
    let convert = |advocate_id, order, friend, flags| {
        storage.record_conversion(conversion(site, advocate_id, order, friend, flags))
    };
    convert(grace.id, "order-1", "kim@example.com", &[]).await.unwrap();
    convert(grace.id, "order-2", "max@example.com", &["burst"]).await.unwrap();
    let (doubtful, _) = convert(ada.id, "order-3", "max@example.com", &["same-device"]).await.unwrap();
    let (fine, _) = convert(ada.id, "order-4", "sam@example.com", &["burst"]).await.unwrap();
    let leaderboard = storage.advocate_stats(site, 10, 0).await.unwrap();
    assert_eq!(ranked(&leaderboard), [("ADA22222", 3, 2, 2), ("GRACE333", 1, 2, 1), ("LIN44444", 0, 0, 0)]);
    assert!(storage.review_conversion(site, doubtful.id, false).await.unwrap());
    assert!(storage.review_conversion(site, fine.id, true).await.unwrap());
    let leaderboard = storage.advocate_stats(site, 10, 0).await.unwrap();
    assert_eq!(ranked(&leaderboard), [("GRACE333", 1, 2, 1), ("ADA22222", 3, 1, 0), ("LIN44444", 0, 0, 0)]);
    // Paged in the same order.
    let second = storage.advocate_stats(site, 1, 1).await.unwrap();
    assert_eq!(ranked(&second), [("ADA22222", 3, 1, 0)]);

    // Erasure: a referred friend's conversions go from their advocates' counts, and an erased
    // advocate leaves the board; the other site's advocate of the same address stays.
    assert_eq!(storage.erase_email(site, "max@example.com").await.unwrap(), 0);
    let leaderboard = storage.advocate_stats(site, 10, 0).await.unwrap();
    assert_eq!(ranked(&leaderboard), [("ADA22222", 3, 1, 0), ("GRACE333", 1, 1, 0), ("LIN44444", 0, 0, 0)]);
    storage.erase_email(site, "ada@example.com").await.unwrap();
    let leaderboard = storage.advocate_stats(site, 10, 0).await.unwrap();
    assert_eq!(ranked(&leaderboard), [("GRACE333", 1, 1, 0), ("LIN44444", 0, 0, 0)]);
    let elsewhere = storage.advocate_stats(other.id, 10, 0).await.unwrap();
    assert_eq!(ranked(&elsewhere), [("OTHER555", 1, 0, 0)]);
}
