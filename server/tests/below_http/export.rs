//! Exports read a site a page at a time: every testimonial once, in (created_at, id) order,
//! across page boundaries and ties, and what comes out goes back in.

use std::sync::Arc;

use fanfare_protocol::api::Status;
use fanfare_server::progress::{Progress, Silent};
use fanfare_server::service::data_rights::ExportFormat;
use fanfare_server::service::export::PAGE_SIZE;
use fanfare_server::storage::{Cursor, Testimonial};
use futures_util::{StreamExt, TryStreamExt};

use crate::world::{record, World};

/// Stores `count` testimonials of the site at once (the group commit takes them together),
/// three to a second (what an export's times keep) so page boundaries fall inside ties;
/// returns their ids in export order.
async fn many(world: &World, count: usize) -> Vec<String> {
    let second = |n: usize| 1_000_000 + (n / 3) as i64 * 1000;
    let records: Vec<_> = (0..count).map(|n| record(&world.site, Status::Approved, 5, second(n))).collect();
    let mut order: Vec<(i64, String)> = records.iter().map(|r| (r.created_at, r.id.clone())).collect();
    let stored =
        futures_util::future::join_all(records.into_iter().map(|r| world.storage.insert_testimonial(r)));
    for result in stored.await {
        result.unwrap();
    }
    order.sort();
    order.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn pages_hold_every_testimonial_of_the_site_once_in_order() {
    let world = World::new().await;
    let expected = many(&world, 11).await;
    let other = world.other_site().await;
    world.testimonial(&other, Status::Approved, 5, 1_001_000).await;

    let mut seen: Vec<Testimonial> = Vec::new();
    loop {
        let after = seen.last().map(Cursor::after);
        let page = world.storage.export_page(world.site.id, after.as_ref(), 4).await.unwrap();
        assert!(page.len() <= 4);
        let done = page.is_empty();
        seen.extend(page);
        if done {
            break;
        }
    }
    let ids: Vec<String> = seen.into_iter().map(|t| t.id).collect();
    assert_eq!(ids, expected, "every row once, none of the other site's, in (created_at, id) order");
}

/// Counts what an operation reports, to check the export reports every row.
#[derive(Default)]
struct Counted(std::sync::Mutex<(u64, u64)>);

impl Progress for Counted {
    fn start(&self, _what: &str, total: u64) {
        *self.0.lock().unwrap() = (total, 0);
    }

    fn advance(&self, n: u64) {
        self.0.lock().unwrap().1 += n;
    }
}

#[tokio::test]
async fn an_export_of_several_pages_is_whole_in_order_and_imports_back() {
    let world = World::new().await;
    let count = 2 * PAGE_SIZE as usize + 234;
    let expected = many(&world, count).await;
    let service = world.service().await;

    let progress = Arc::new(Counted::default());
    let pieces: Vec<_> = service
        .export(&world.site, ExportFormat::Json, progress.clone())
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pieces.len(), 3, "one piece a page: the whole site was never one piece");
    let json: Vec<u8> = pieces.concat();
    let export: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let ids: Vec<&str> =
        export["testimonials"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    assert_eq!(*progress.0.lock().unwrap(), (count as u64, count as u64));

    let csv = |service: fanfare_server::service::Service, site| async move {
        let csv: Vec<u8> = service
            .export(&site, ExportFormat::Csv, Arc::new(Silent))
            .map_ok(|piece| piece.to_vec())
            .try_concat()
            .await
            .unwrap();
        String::from_utf8(csv).unwrap()
    };
    let before = csv(service.clone(), world.site.clone()).await;
    assert_eq!(before.lines().count(), count + 1, "a header and every row");

    // Into a second database: the same rows, byte for byte on the way out again.
    let elsewhere = World::new().await;
    let there = elsewhere.service().await;
    let content = String::from_utf8(json).unwrap();
    let report = there.import(&elsewhere.site, &content, None, &Silent).await.unwrap();
    assert_eq!((report.imported, report.skipped), (count, 0));
    let after = csv(there, elsewhere.site.clone()).await;
    let differs = before.lines().zip(after.lines()).find(|(one, other)| one != other);
    assert_eq!(differs, None, "the same rows in the same order");
    assert_eq!(after.len(), before.len());
}
