//! The media store under the service: photos moved out of the database, uploads nobody used
//! swept, a withdrawn testimonial's media deleted, files and records together.

use std::io::Cursor;

use fanfare_protocol::api::Status;
use fanfare_server::storage::media::MediaLocation;
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

#[tokio::test]
async fn a_media_store_serves_one_database_and_a_wrong_one_is_refused_before_anything_is_touched() {
    let world = World::new().await;
    let service = world.service().await;
    service.upload_photo(&world.site, png()).await.unwrap();

    // The same database over an empty store (a command run without the server's --media-url):
    // refused, so an erasure cannot "succeed" where the photos are not.
    let elsewhere = tempfile::tempdir().unwrap();
    let refused = world.service_on(MediaLocation::Directory(elsewhere.path().into())).await.err().unwrap();
    assert!(refused.to_string().contains("are not in the media store"), "{refused:#}");
    // Another database over this one's store: refused too.
    let other = World::new().await;
    let refused = other.service_on(MediaLocation::Directory(world.media_dir().into())).await.err().unwrap();
    assert!(refused.to_string().contains("holds another database's photos and videos"), "{refused:#}");
    // Its own store, again: fine.
    world.service().await;
}

#[tokio::test]
async fn a_video_belongs_to_one_testimonial_even_when_two_submissions_race() {
    let world = World::new().await;
    let first = storage::NewTestimonialRecord {
        video_id: Some("v1".into()),
        ..record(&world.site, Status::Pending, 5, 6)
    };
    let second = storage::NewTestimonialRecord {
        video_id: Some("v1".into()),
        ..record(&world.site, Status::Pending, 5, 7)
    };
    world.storage.insert_testimonial(first).await.unwrap();
    let refused = world.storage.insert_testimonial(second).await.unwrap_err();
    assert!(matches!(refused, storage::StorageError::Conflict { field: "video" }), "{refused:?}");
}

#[tokio::test]
async fn a_photo_a_withdrawn_testimonial_kept_is_swept_like_an_unused_upload() {
    let world = World::new().await;
    let service = world.service().await;
    let photo = service.upload_photo(&world.site, png()).await.unwrap();
    // Withdrawn before withdrawal deleted media: the testimonial still names its photo.
    let testimonial = record(&world.site, Status::Withdrawn, 5, 6);
    world
        .storage
        .insert_testimonial(storage::NewTestimonialRecord { photo_id: Some(photo.clone()), ..testimonial })
        .await
        .unwrap();
    let a_day_later = fanfare_server::clock::now_ms() + 24 * 60 * 60 * 1000 + 1000;
    assert_eq!(service.prune(a_day_later).await.unwrap().media, 1);
    assert!(world.storage.media(world.site.id, &photo).await.unwrap().is_none());
}
