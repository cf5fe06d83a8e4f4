//! The media store under the service: photos moved out of the database, uploads nobody used
//! swept, a withdrawn testimonial's media deleted, files and records together.

use std::io::Cursor;

use fanfare_protocol::api::Status;
use fanfare_server::storage::{self, MediaKind};

use crate::world::{record, World};

fn png() -> bytes::Bytes {
    let image = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 80, 20]));
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes.into()
}

#[tokio::test]
async fn photos_the_database_held_move_to_the_media_store_when_the_service_opens() {
    let world = World::new().await;
    let sql = storage::open(world.url()).await.unwrap();
    let jpeg = vec![0xff, 0xd8, 0xff, 0xd9, 7, 7, 7];
    sqlx::query(
        "INSERT INTO photos (id, site_id, data, width, height, created_at) VALUES ('old1', $1, $2, 3, 2, 5)",
    )
    .bind(world.site.id)
    .bind(&jpeg)
    .execute(sql.pool())
    .await
    .unwrap();
    let testimonial = record(&world.site, Status::Approved, 5, 6);
    let testimonial = storage::NewTestimonialRecord { photo_id: Some("old1".into()), ..testimonial };
    world.storage.insert_testimonial(testimonial).await.unwrap();

    let service = world.service().await;
    let moved = world.storage.media(world.site.id, "old1").await.unwrap().expect("a media record");
    assert_eq!((moved.kind, moved.width, moved.height, moved.byte_size), (MediaKind::Photo, 3, 2, 7));
    let file = world.media_dir().join(moved.key());
    assert_eq!(std::fs::read(&file).unwrap(), jpeg, "the bytes are in the store");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photos").fetch_one(sql.pool()).await.unwrap();
    assert_eq!(left, 0, "and no longer in the database");
    // Published, it is served from the store.
    let published = service.published_media("old1", MediaKind::Photo).await.unwrap();
    assert_eq!(published.record, moved);
    // A second instance opening the same database has nothing left to move.
    assert_eq!(world.service().await.move_photos_out_of_database().await.unwrap(), 0);
    assert_eq!(std::fs::read(&file).unwrap(), jpeg);
}

#[tokio::test]
async fn an_upload_no_testimonial_used_is_removed_after_a_day_with_its_file() {
    let world = World::new().await;
    let service = world.service().await;
    let unused = service.upload_photo(&world.site, png()).await.unwrap();
    let used = service.upload_photo(&world.site, png()).await.unwrap();
    let testimonial = record(&world.site, Status::Pending, 5, 6);
    world
        .storage
        .insert_testimonial(storage::NewTestimonialRecord { photo_id: Some(used.clone()), ..testimonial })
        .await
        .unwrap();
    let file_of = |id: &str| world.media_dir().join(format!("sites/{}/{id}.jpg", world.site.id));
    assert!(file_of(&unused).exists() && file_of(&used).exists());

    let now = fanfare_server::clock::now_ms();
    assert_eq!(service.prune(now).await.unwrap().media, 0, "a fresh upload waits for its testimonial");
    let a_day_later = now + 24 * 60 * 60 * 1000 + 1000;
    assert_eq!(service.prune(a_day_later).await.unwrap().media, 1);
    assert!(world.storage.media(world.site.id, &unused).await.unwrap().is_none());
    assert!(!file_of(&unused).exists(), "its file went with it");
    assert!(file_of(&used).exists(), "a used photo stays, however old");
}
