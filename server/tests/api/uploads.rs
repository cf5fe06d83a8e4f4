//! Photos over real HTTP: what is accepted, what comes out, who may see it.

use std::io::Cursor;

use fanfare_protocol::api::Status;
use fanfare_server::storage;
use fanfare_server::storage::copy::dump_table;
use serde_json::{json, Value};

use crate::helpers::{
    error_of, spawn_app, valid_submission, TestApp, ORIGIN, OTHER_ORIGIN, OTHER_SITE, SITE,
};

/// A JPEG of `width`×`height` carrying EXIF that says "rotate 90°" and a GPS secret.
fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]));
    let mut plain = Vec::new();
    image.write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg).unwrap();
    // TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1, value 6; then a marker string.
    let mut tiff = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
    tiff.extend_from_slice(b"GPS-SECRET-52.5200N-13.4050E");
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let length = u16::try_from(exif.len() + 2).unwrap().to_be_bytes();
    let mut jpeg = plain[..2].to_vec(); // SOI
    jpeg.extend_from_slice(&[0xFF, 0xE1, length[0], length[1]]);
    jpeg.extend_from_slice(&exif);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(width, height)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

impl TestApp {
    async fn upload_to(&self, site: &str, bytes: Vec<u8>, content_type: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/sites/{site}/uploads")))
            .header("Origin", if site == OTHER_SITE { OTHER_ORIGIN } else { ORIGIN })
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    async fn stored_photos(&self) -> usize {
        let storage = storage::open(&self.database.url).await.unwrap();
        dump_table(&storage, "photos").await.unwrap().len()
    }
}

#[tokio::test]
async fn photos_are_turned_upright_and_stripped_then_published_with_their_testimonial() {
    let app = spawn_app().await;
    let response = app.upload_to(SITE, jpeg_with_exif(120, 60), "image/jpeg").await;
    assert_eq!(response.status(), 201);
    let photo = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let mut body = valid_submission();
    body["photo"] = json!(photo);
    let created = app.submit_ok(&body).await;
    let url = app.url(&format!("/api/v1/photos/{photo}"));
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404, "not public before approval");

    let token = app.moderator_token(SITE).await;
    app.moderate(&token, SITE, &created.id, "approve").await;
    let page = app.public_page("").await;
    assert_eq!(page.items[0].photo_url.as_deref(), Some(url.as_str()));
    let served = app.client.get(&url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(served.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    let bytes = served.bytes().await.unwrap();
    assert!(!bytes.windows(10).any(|window| window == b"GPS-SECRET"), "metadata is gone");
    assert!(!bytes.windows(4).any(|window| window == b"Exif"), "no EXIF block at all");
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (60, 120), "orientation applied");
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Approved);
}

#[tokio::test]
async fn a_published_photo_is_cached_for_minutes_and_gone_once_withdrawn_or_erased() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut published = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let response = app.upload_to(SITE, jpeg_with_exif(40, 30), "image/jpeg").await;
        let photo = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let mut body = valid_submission();
        body["photo"] = json!(photo);
        body["email"] = json!(email);
        let created = app.submit_ok(&body).await;
        assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);
        published.push((app.url(&format!("/api/v1/photos/{photo}")), created));
    }
    let [(withdrawn_url, withdrawn), (erased_url, _)] = &published[..] else { unreachable!() };

    let served = app.client.get(withdrawn_url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let cache = served.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(!cache.contains("immutable"), "{cache}");
    assert!(cache.contains("must-revalidate"), "{cache}");
    let max_age: u64 = cache
        .split(',')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|age| age.parse().ok())
        .expect("a max-age");
    assert!(max_age <= 300, "caches ask again within five minutes: {cache}");
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    let revalidate = |url: &str| app.client.get(url).header("If-None-Match", &etag).send();
    assert_eq!(revalidate(withdrawn_url).await.unwrap().status(), 304, "unchanged: no bytes again");

    let response = app
        .client
        .post(withdrawn.manage_url.clone() + "/withdraw")
        .header("Origin", &app.address)
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(app.client.get(withdrawn_url).send().await.unwrap().status(), 404);
    assert_eq!(
        revalidate(withdrawn_url).await.unwrap().status(),
        404,
        "a cache asking again hears it is gone"
    );

    assert_eq!(app.client.get(erased_url).send().await.unwrap().status(), 200);
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    app.service.erase(&site, fanfare_server::service::Actor::CommandLine, "bob@example.com").await.unwrap();
    assert_eq!(app.client.get(erased_url).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn only_real_jpeg_png_and_webp_get_in_and_failures_leave_nothing() {
    let app = spawn_app().await;
    // The type is read from the content, whatever the header claims.
    let svg = app
        .upload_to(
            SITE,
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            "image/png",
        )
        .await;
    assert_eq!(svg.status(), 415);
    let gif = app.upload_to(SITE, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "image/gif").await;
    assert_eq!(gif.status(), 415);
    let mut truncated = png(64, 64);
    truncated.truncate(truncated.len() / 2);
    let damaged = app.upload_to(SITE, truncated, "image/png").await;
    assert_eq!(damaged.status(), 422);
    assert!(error_of(damaged).await.1.get("photo").is_some());
    let huge = app.upload_to(SITE, png(8001, 1), "image/png").await;
    assert_eq!(huge.status(), 422, "dimensions are checked before decoding");
    let too_big = app.upload_to(SITE, vec![0u8; 5 * 1024 * 1024 + 1], "image/png").await;
    assert_eq!(too_big.status(), 413);
    assert_eq!(app.stored_photos().await, 0, "no orphan left behind");
    assert_eq!(
        app.upload_to(SITE, png(10, 10), "application/octet-stream").await.status(),
        201,
        "a real PNG whatever the header"
    );
}

/// A baseline JPEG big enough that cutting it leaves most of its scan behind.
fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg).unwrap();
    bytes
}

#[tokio::test]
async fn cut_off_images_of_every_type_are_422_naming_the_photo() {
    let app = spawn_app().await;
    // Decoders fill the missing rows of a cut JPEG with grey and carry on; a cut file must not
    // become a published photo that is half grey.
    let whole = noisy_jpeg(256, 256);
    let mut cut_jpeg = whole.clone();
    cut_jpeg.truncate(whole.len() * 2 / 3);
    // With the EXIF thumbnail trick: a complete little JPEG inside APP1 must not make the cut
    // main image look finished.
    let mut with_thumbnail = whole[..2].to_vec();
    let thumbnail = noisy_jpeg(8, 8);
    let length = u16::try_from(thumbnail.len() + 8).unwrap().to_be_bytes();
    with_thumbnail.extend_from_slice(&[0xFF, 0xE1, length[0], length[1]]);
    with_thumbnail.extend_from_slice(b"Exif\0\0");
    with_thumbnail.extend_from_slice(&thumbnail);
    with_thumbnail.extend_from_slice(&cut_jpeg[2..]);
    let mut cut_png = png(256, 256);
    cut_png.truncate(cut_png.len() - 20);
    let mut cut_webp = Vec::new();
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
        .write_to(&mut Cursor::new(&mut cut_webp), image::ImageFormat::WebP)
        .unwrap();
    cut_webp.truncate(cut_webp.len() - 8);
    for (what, bytes, content_type) in [
        ("a cut JPEG", cut_jpeg, "image/jpeg"),
        ("a cut WebP", cut_webp, "image/webp"),
        ("a cut JPEG carrying a whole thumbnail", with_thumbnail, "image/jpeg"),
        ("a PNG without its end", cut_png, "image/png"),
    ] {
        let response = app.upload_to(SITE, bytes, content_type).await;
        assert_eq!(response.status(), 422, "{what}");
        let (_, fields) = error_of(response).await;
        assert!(fields["photo"].as_str().unwrap().contains("damaged or incomplete"), "{what}: {fields}");
    }
    assert_eq!(app.stored_photos().await, 0);
    assert_eq!(app.upload_to(SITE, whole, "image/jpeg").await.status(), 201, "the whole file is fine");
}

#[tokio::test]
async fn a_photo_belongs_to_one_testimonial_of_its_own_site() {
    let app = spawn_app().await;
    let upload = |site: &'static str| {
        let app = &app;
        async move {
            app.upload_to(site, png(20, 20), "image/png").await.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let elsewhere = upload(OTHER_SITE).await;
    let mut body = valid_submission();
    body["photo"] = json!(elsewhere);
    let refused = app.submit(&body).await;
    assert_eq!(refused.status(), 422);
    assert!(error_of(refused).await.1.get("photo").is_some());

    let mine = upload(SITE).await;
    body["photo"] = json!(mine);
    app.submit_ok(&body).await;
    body["email"] = json!("someone.else@example.com");
    assert_eq!(app.submit(&body).await.status(), 422, "a photo is used once");
    assert_eq!(app.everything_stored().await.len(), 1);

    // Erasure takes the photo with the testimonial: its record and its file in the media store.
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let file = app.database.media_dir.join(format!("sites/{}/{mine}.jpg", site.id));
    assert!(file.exists(), "{} is where the photo is kept", file.display());
    app.service.erase(&site, fanfare_server::service::Actor::CommandLine, "ada@example.com").await.unwrap();
    assert!(app.storage.media(site.id, &mine).await.unwrap().is_none());
    assert!(!file.exists(), "the photo's file is gone");
}
