//! Photos and videos travel with exports: a folder beside the JSON, read back by import.

use std::sync::Arc;

use fanfare_protocol::SubmitTestimonial;
use fanfare_server::progress::Silent;
use fanfare_server::service::data_rights::ExportFormat;
use fanfare_server::service::submissions::Submitted;
use fanfare_server::storage::MediaKind;
use fanfare_server::video_samples;
use futures_util::TryStreamExt;

use crate::helpers::*;

fn png() -> bytes::Bytes {
    let image = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 80, 20]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes.into()
}

#[tokio::test]
async fn an_export_carries_photos_and_videos_beside_it_and_import_brings_them_back() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let service = cli.service().await;
    let site = service.find_site("acme").await.unwrap();
    let recording = video_samples::fixture("fake-camera.webm");
    let slot = service.video_slot().await.unwrap();
    let video = service.upload_video(&site, slot, recording.clone().into()).await.unwrap();
    service.set_video_poster(&site, &video.id, png()).await.unwrap();
    let photo = service.upload_photo(&site, png()).await.unwrap();
    let submission = SubmitTestimonial {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        rating: Some(5),
        text: Some("The beans are wonderful.".into()),
        consent: Some(true),
        photo: Some(photo),
        video: Some(video.id.clone()),
        captions: Some("0:00 The beans\n0:01 are wonderful.".into()),
        ..SubmitTestimonial::default()
    };
    assert!(matches!(service.submit(&site, None, submission, None).await.unwrap(), Submitted::Created(_)));

    let json = cli.dir.path().join("acme.json");
    let said = cli.ok(&["export", "--site", "acme", "--output", json.to_str().unwrap()]);
    assert!(said.contains("3 photo and video files"), "{said}");
    let export: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let item = &export["testimonials"][0];
    let video_file = item["video"]["file"].as_str().unwrap();
    assert_eq!(video_file, format!("acme.media/{}.webm", video.id));
    assert_eq!(std::fs::read(cli.dir.path().join(video_file)).unwrap(), recording);
    assert!(item["video"]["poster"].as_str().unwrap().ends_with(".poster.jpg"));
    assert!(item["photo"]["file"].as_str().unwrap().ends_with(".jpg"));
    assert_eq!(item["captions"], "0:00 The beans\n0:01 are wonderful.");

    // Into another database (and its own media store): the files come back in.
    let other = Cli::new();
    other.add_site("acme", "https://acme.test");
    let said = other.ok(&["import", "--site", "acme", json.to_str().unwrap()]);
    assert!(said.contains("imported 1"), "{said}");
    let service = other.service().await;
    let site = service.find_site("acme").await.unwrap();
    let stored: Vec<u8> = service
        .export(&site, ExportFormat::Json, Arc::new(Silent))
        .map_ok(|piece| piece.to_vec())
        .try_concat()
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored["testimonials"][0]["captions"], "0:00 The beans\n0:01 are wonderful.");
    let storage = fanfare_server::storage::connect(&other.database()).await.unwrap();
    let testimonial = storage.all_testimonials(site.id).await.unwrap().remove(0);
    let video = service
        .media_for_moderators(&site, testimonial.video_id.as_deref().unwrap(), MediaKind::Video)
        .await
        .unwrap();
    assert!(video.poster, "the poster came too");
    let bytes = service.media_store().get(&video.key()).await.unwrap().unwrap();
    assert_eq!(bytes, recording);
    service
        .media_for_moderators(&site, testimonial.photo_id.as_deref().unwrap(), MediaKind::Photo)
        .await
        .unwrap();

    // A file that is not what it claims: refused by name, nothing stored.
    std::fs::write(cli.dir.path().join(video_file), b"not a video").unwrap();
    let third = Cli::new();
    third.add_site("acme", "https://acme.test");
    let refused = third.fails(&["import", "--site", "acme", json.to_str().unwrap()]);
    assert!(refused.contains(video_file), "{refused}");
    assert!(!third.ok(&["export", "--site", "acme"]).contains("ada@example.com"));
}
