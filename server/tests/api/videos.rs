//! Video testimonials over HTTP, on both media stores: a directory, and S3 (a real
//! S3-compatible server, `s3s-fs`, started here on loopback). Recordings of Chromium's fake
//! camera and containers built in code (`video_samples`) for every refusal.

use std::net::SocketAddr;

use fanfare_protocol::api::{TestimonialPage, UploadProgress, VideoUploaded};
use fanfare_server::service::videos::uploads::PART_BYTES;
use fanfare_server::storage::media::MediaLocation;
use fanfare_server::video_samples::{self, WebmSpec};
use serde_json::{json, Value};

use crate::helpers::{
    error_of, spawn_app_with, valid_submission, TestApp, ORIGIN, OTHER_ORIGIN, OTHER_SITE, SITE,
};

/// Where a test app keeps its media.
#[derive(Debug, Clone, Copy)]
enum Store {
    Directory,
    S3,
}

const STORES: [Store; 2] = [Store::Directory, Store::S3];

/// An S3-compatible server on loopback over a temporary directory; one bucket, `fanfare`.
struct S3Server {
    addr: SocketAddr,
    _root: tempfile::TempDir,
}

const ACCESS_KEY: &str = "fanfare-test";
const SECRET_KEY: &str = "fanfare-test-secret";

impl S3Server {
    async fn start() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("fanfare")).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root.path()).unwrap());
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        Self { addr, _root: root }
    }

    fn location(&self) -> MediaLocation {
        let setting = |key: &str, value: &str| (key.to_owned(), value.to_owned());
        MediaLocation::S3 {
            url: "s3://fanfare/media".into(),
            settings: vec![
                setting("aws_endpoint", &format!("http://{}", self.addr)),
                setting("aws_allow_http", "true"),
                setting("aws_access_key_id", ACCESS_KEY),
                setting("aws_secret_access_key", SECRET_KEY),
                setting("aws_region", "us-east-1"),
            ],
        }
    }
}

/// A test app keeping its media in `store` (the S3 server lives as long as the app).
async fn app_on(store: Store) -> (TestApp, Option<S3Server>) {
    match store {
        Store::Directory => (spawn_app_with(|_| {}).await, None),
        Store::S3 => {
            let s3 = S3Server::start().await;
            let location = s3.location();
            (spawn_app_with(move |settings| settings.media = location).await, Some(s3))
        }
    }
}

impl TestApp {
    fn site_path(&self, site: &str, path: &str) -> String {
        self.url(&format!("/api/v1/sites/{site}{path}"))
    }

    async fn begin_video(&self, size: usize) -> reqwest::Response {
        self.client
            .post(self.site_path(SITE, "/uploads/resumable"))
            .header("Origin", ORIGIN)
            .json(&json!({ "size": size }))
            .send()
            .await
            .unwrap()
    }

    async fn put(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> reqwest::Response {
        self.client
            .put(self.site_path(SITE, path))
            .header("Origin", ORIGIN)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    async fn post_empty(&self, path: &str) -> reqwest::Response {
        self.client.post(self.site_path(SITE, path)).header("Origin", ORIGIN).send().await.unwrap()
    }

    /// Sends `bytes` the way the recorder does: in parts, then completes.
    async fn upload_in_parts(&self, bytes: &[u8]) -> reqwest::Response {
        let begun = self.begin_video(bytes.len()).await;
        assert_eq!(begun.status(), 201);
        let begun: UploadProgress = begun.json().await.unwrap();
        assert_eq!(begun.part_bytes, PART_BYTES);
        for (index, part) in bytes.chunks(PART_BYTES as usize).enumerate() {
            let path = format!("/uploads/{}/parts/{index}", begun.id);
            assert_eq!(self.put(&path, part.to_vec(), "application/octet-stream").await.status(), 204);
        }
        self.post_empty(&format!("/uploads/{}/complete", begun.id)).await
    }

    async fn upload_whole(&self, bytes: Vec<u8>, content_type: &str) -> reqwest::Response {
        self.client
            .post(self.site_path(SITE, "/uploads"))
            .header("Origin", ORIGIN)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// Every object the media store holds, and every media record.
    async fn media_kept(&self) -> (Vec<String>, usize) {
        let objects = self.service.media_store().keys_under("sites").await.unwrap();
        let site = self.storage.site_by_slug(SITE).await.unwrap().unwrap();
        (objects, self.storage.site_media(site.id).await.unwrap().len())
    }

    async fn get(&self, path: &str, range: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path)).header("Origin", ORIGIN);
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        request.send().await.unwrap()
    }
}

fn png() -> Vec<u8> {
    let image = image::RgbImage::from_pixel(64, 48, image::Rgb([30, 120, 200]));
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

#[tokio::test]
async fn a_recorded_video_goes_up_in_parts_is_published_with_poster_and_captions_and_plays_by_ranges() {
    for store in STORES {
        for (fixture, content_type) in [("fake-camera.webm", "video/webm"), ("fake-camera.mp4", "video/mp4")]
        {
            let (app, _s3) = app_on(store).await;
            let recording = video_samples::fixture(fixture);
            let begun: UploadProgress = app.begin_video(recording.len()).await.json().await.unwrap();
            let part = format!("/uploads/{}/parts/0", begun.id);
            assert_eq!(app.put(&part, recording.clone(), "application/octet-stream").await.status(), 204);
            let progress: UploadProgress = app
                .get(&format!("/api/v1/sites/{SITE}/uploads/{}/parts", begun.id), None)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(progress.received, [0], "{store:?} {fixture}");
            let poster = app.put(&format!("/uploads/{}/poster", begun.id), png(), "image/png").await;
            assert_eq!(poster.status(), 204, "{store:?} {fixture}");
            let done = app.post_empty(&format!("/uploads/{}/complete", begun.id)).await;
            assert_eq!(done.status(), 201, "{store:?} {fixture}");
            let video: VideoUploaded = done.json().await.unwrap();
            assert!((1000..=4000).contains(&video.duration_ms), "{store:?} {fixture}: {video:?}");
            assert!(video.width > 0 && video.height > 0);

            let mut body = valid_submission();
            body["video"] = json!(video.id);
            body["captions"] = json!("0:00 The beans\n0:01 are wonderful.");
            let created = app.submit_ok(&body).await;
            let video_path = format!("/api/v1/videos/{}", video.id);
            assert_eq!(app.get(&video_path, None).await.status(), 404, "private until approved");
            let token = app.moderator_token(SITE).await;
            assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);

            let page: TestimonialPage =
                app.get(&format!("/api/v1/sites/{SITE}/testimonials"), None).await.json().await.unwrap();
            let item = &page.items[0];
            let base = &app.address;
            assert_eq!(item.video_url.as_deref(), Some(format!("{base}{video_path}").as_str()));
            assert_eq!(item.poster_url.as_deref(), Some(format!("{base}{video_path}/poster.jpg").as_str()));
            assert_eq!(
                item.captions_url.as_deref(),
                Some(format!("{base}{video_path}/captions.vtt").as_str())
            );

            let whole = app.get(&video_path, None).await;
            assert_eq!(whole.status(), 200);
            let headers = whole.headers().clone();
            assert_eq!(headers["content-type"], content_type);
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["content-security-policy"], "default-src 'none'; sandbox");
            assert_eq!(headers["accept-ranges"], "bytes");
            assert_eq!(whole.bytes().await.unwrap(), recording, "{store:?}: served as recorded");
            // Safari asks for two bytes first, then plays by ranges.
            let probe = app.get(&video_path, Some("bytes=0-1")).await;
            assert_eq!(probe.status(), 206);
            assert_eq!(probe.headers()["content-range"], format!("bytes 0-1/{}", recording.len()));
            assert_eq!(probe.bytes().await.unwrap(), recording[..2]);
            let tail = app.get(&video_path, Some("bytes=100-")).await;
            assert_eq!(tail.status(), 206);
            assert_eq!(tail.bytes().await.unwrap(), recording[100..]);
            let past = app.get(&video_path, Some(&format!("bytes={}-", recording.len()))).await;
            assert_eq!(past.status(), 416);
            assert_eq!(past.headers()["content-range"], format!("bytes */{}", recording.len()));

            let poster = app.get(&format!("{video_path}/poster.jpg"), None).await;
            assert_eq!(
                (poster.status().as_u16(), poster.headers()["content-type"].to_str().unwrap()),
                (200, "image/jpeg")
            );
            let captions = app.get(&format!("{video_path}/captions.vtt"), None).await;
            assert_eq!(captions.headers()["content-type"], "text/vtt; charset=utf-8");
            let vtt = captions.text().await.unwrap();
            assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nThe beans\n"), "{vtt}");

            // Withdrawn by its author: unpublished, and the video, its poster and its record gone.
            let withdrawn = app
                .client
                .post(format!("{}/withdraw", created.manage_url))
                .form(&[("x", "")])
                .send()
                .await
                .unwrap();
            assert!(
                withdrawn.status().is_success() || withdrawn.status().is_redirection(),
                "{}",
                withdrawn.status()
            );
            assert_eq!(app.get(&video_path, None).await.status(), 404);
            assert_eq!(
                app.media_kept().await,
                (Vec::new(), 0),
                "{store:?} {fixture}: nothing of the video is kept"
            );
        }
    }
}

#[tokio::test]
async fn a_long_upload_resumes_from_the_parts_the_server_holds() {
    let (app, _s3) = app_on(Store::S3).await;
    // About 1.5 MiB: several parts.
    let spec = WebmSpec { frame_times_ms: (0..26_000).map(|i| i * 4).collect(), ..WebmSpec::default() };
    let video = video_samples::webm(&spec);
    let parts: Vec<&[u8]> = video.chunks(PART_BYTES as usize).collect();
    let last = parts.len() - 1;
    assert!(last >= 2, "{} parts", parts.len());
    let begun: UploadProgress = app.begin_video(video.len()).await.json().await.unwrap();
    let part = |index: usize| format!("/uploads/{}/parts/{index}", begun.id);
    // The connection dropped after the other parts: the first must be sent again.
    for (index, bytes) in parts.iter().enumerate().skip(1) {
        assert_eq!(app.put(&part(index), bytes.to_vec(), "application/octet-stream").await.status(), 204);
    }
    let early = app.post_empty(&format!("/uploads/{}/complete", begun.id)).await;
    assert_eq!(early.status(), 422);
    let (_, fields) = error_of(early).await;
    assert!(fields["video"].as_str().unwrap().contains("parts 0 are missing"), "{fields}");
    let parts_path = format!("/api/v1/sites/{SITE}/uploads/{}/parts", begun.id);
    let progress: UploadProgress = app.get(&parts_path, None).await.json().await.unwrap();
    assert_eq!(progress.received, (1..=last as u32).collect::<Vec<_>>());
    // A part of the wrong length, or past the end, is refused by name.
    let short = app.put(&part(0), parts[0][..10].to_vec(), "application/octet-stream").await;
    assert_eq!(short.status(), 422);
    assert!(error_of(short).await.1["part"]
        .as_str()
        .unwrap()
        .contains(&format!("must be {PART_BYTES} bytes")));
    assert_eq!(app.put(&part(last + 1), vec![1], "application/octet-stream").await.status(), 422);

    assert_eq!(app.put(&part(0), parts[0].to_vec(), "application/octet-stream").await.status(), 204);
    let done = app.post_empty(&format!("/uploads/{}/complete", begun.id)).await;
    assert_eq!(done.status(), 201);
    let done: VideoUploaded = done.json().await.unwrap();
    assert!(done.duration_ms > 100_000, "{done:?}");
    let (objects, records) = app.media_kept().await;
    assert_eq!(records, 1);
    assert_eq!(objects.len(), 1, "the parts are gone once put together: {objects:?}");
    // The answer lost on the way: the retry gets the same video, and the list says all arrived.
    let again = app.post_empty(&format!("/uploads/{}/complete", begun.id)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<VideoUploaded>().await.unwrap(), done);
    let progress: UploadProgress = app.get(&parts_path, None).await.json().await.unwrap();
    assert_eq!(progress.received, (0..=last as u32).collect::<Vec<_>>());
    // Finished: no more parts.
    assert_eq!(app.put(&part(0), parts[0].to_vec(), "application/octet-stream").await.status(), 409);
}

#[tokio::test]
async fn every_bad_video_is_refused_with_the_field_named_and_nothing_is_kept() {
    let mut truncated_webm = video_samples::fixture("fake-camera.webm");
    truncated_webm.truncate(truncated_webm.len() * 2 / 3 + 5);
    let mut truncated_mp4 = video_samples::fixture("fake-camera.mp4");
    truncated_mp4.truncate(truncated_mp4.len() * 2 / 3 + 5);
    let bad: Vec<(&str, Vec<u8>, u16)> = vec![
        ("a text file named .webm", video_samples::text_named_webm(), 415),
        ("3 hours of WebM", video_samples::three_hours_webm(), 422),
        ("3 hours of MP4", video_samples::three_hours_mp4(), 422),
        ("0 seconds of WebM", video_samples::zero_seconds_webm(), 422),
        ("0 seconds of MP4", video_samples::zero_seconds_mp4(), 422),
        ("8K WebM", video_samples::eight_k_webm(), 422),
        ("8K MP4", video_samples::eight_k_mp4(), 422),
        ("a truncated WebM", truncated_webm, 422),
        ("a truncated MP4", truncated_mp4, 422),
        ("WebM with sound only", video_samples::audio_only_webm(), 422),
        ("MP4 with sound only", video_samples::audio_only_mp4(), 422),
    ];
    for store in STORES {
        let (app, _s3) = app_on(store).await;
        for (what, bytes, status) in &bad {
            for response in
                [app.upload_whole(bytes.clone(), "video/webm").await, app.upload_in_parts(bytes).await]
            {
                assert_eq!(response.status().as_u16(), *status, "{store:?}: {what}");
                let (_, fields) = error_of(response).await;
                if *status == 422 {
                    let message = fields["video"].as_str().unwrap_or_else(|| panic!("{what}: {fields}"));
                    assert!(!message.is_empty());
                }
            }
        }
        let too_big = app.begin_video(60 * 1024 * 1024).await;
        assert_eq!(too_big.status(), 422);
        assert!(error_of(too_big).await.1["video"].as_str().is_some());
        assert_eq!(app.media_kept().await, (Vec::new(), 0), "{store:?}: nothing of a refused video is kept");
        assert_eq!(app.everything_stored().await.len(), 0);
    }
}

#[tokio::test]
async fn a_video_belongs_to_one_testimonial_of_its_own_site_and_captions_fit_it() {
    let app = spawn_app_with(|_| {}).await;
    let elsewhere = app
        .client
        .post(app.site_path(OTHER_SITE, "/uploads"))
        .header("Origin", OTHER_ORIGIN)
        .header("Content-Type", "video/webm")
        .body(video_samples::valid_webm())
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 201);
    let elsewhere: Value = elsewhere.json().await.unwrap();
    let mut body = valid_submission();
    body["video"] = elsewhere["id"].clone();
    let refused = app.submit(&body).await;
    assert_eq!(refused.status(), 422);
    assert!(error_of(refused).await.1["video"].as_str().is_some());

    let mine: VideoUploaded =
        app.upload_whole(video_samples::valid_webm(), "video/webm").await.json().await.unwrap();
    let mut body = valid_submission();
    body["captions"] = json!("0:00 Hello");
    let refused = app.submit(&body).await;
    assert_eq!(error_of(refused).await.1["captions"], "captions need a video");
    body["video"] = json!(mine.id);
    body["captions"] = json!("0:00 Hello\n0:09 Too late");
    let refused = app.submit(&body).await;
    assert_eq!(refused.status(), 422);
    let (_, fields) = error_of(refused).await;
    assert!(
        fields["captions"].as_str().unwrap().starts_with("line 2: 0:09 is past the end of the video"),
        "{fields}"
    );
    body["captions"] = json!("0:00 Hello\n0:01 there");
    app.submit_ok(&body).await;
    body["email"] = json!("someone.else@example.com");
    assert_eq!(app.submit(&body).await.status(), 422, "a video is used once");
    assert_eq!(app.everything_stored().await.len(), 1);
}

#[tokio::test]
async fn parts_of_an_upload_never_finished_are_swept_after_a_day() {
    let (app, _s3) = app_on(Store::S3).await;
    let begun: UploadProgress = app.begin_video(10).await.json().await.unwrap();
    let part = format!("/uploads/{}/parts/0", begun.id);
    assert_eq!(app.put(&part, vec![7; 10], "application/octet-stream").await.status(), 204);
    assert_eq!(app.media_kept().await.0.len(), 1);
    let a_day_later = fanfare_server::clock::now_ms() + 24 * 60 * 60 * 1000 + 1000;
    assert_eq!(app.service.prune(a_day_later).await.unwrap().media, 1);
    assert_eq!(app.media_kept().await, (Vec::new(), 0));
}

#[tokio::test]
async fn moderators_watch_the_video_in_the_queue_and_time_its_captions_then_the_wall_loads_it_only_on_play() {
    let app = spawn_app_with(|_| {}).await;
    let recording = video_samples::fixture("fake-camera.webm");
    let video: VideoUploaded = app.upload_whole(recording.clone(), "video/webm").await.json().await.unwrap();
    let mut body = valid_submission();
    body["video"] = json!(video.id);
    let created = app.submit_ok(&body).await;
    app.dashboard_user("mod@acme.test", SITE, fanfare_server::domain::Role::Moderator).await;
    let session = app.login("mod@acme.test").await;

    let queue = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}")).await;
    let source = format!("/admin/sites/{SITE}/videos/{}", video.id);
    assert!(
        queue.contains(&format!("<video class=\"video\" controls preload=\"metadata\" src=\"{source}\"")),
        "{queue}"
    );
    let played = app
        .client
        .get(app.url(&source))
        .header("Cookie", &session.cookie)
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(played.status(), 206);
    assert_eq!(played.headers()["cache-control"], "private, no-store");
    assert_eq!(played.bytes().await.unwrap(), recording[..10]);
    assert_eq!(
        app.client.get(app.url(&source)).send().await.unwrap().status().as_u16() / 100,
        3,
        "members only"
    );

    // Captions timed by a moderator: checked against the video's two seconds.
    let action = format!("/admin/sites/{SITE}/testimonials/{}/captions", created.id);
    let late = app.post_form(&session, &action, &[("captions", "0:00 Hi\n0:05 late")]).await;
    assert_eq!(late.status(), 422);
    let page = late.text().await.unwrap();
    assert!(page.contains("line 2: 0:05 is past the end of the video"), "{page}");
    let saved = app.post_form(&session, &action, &[("captions", "0:00 The beans\n0:01 are good")]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        app.stored(SITE, &created.id).await.captions.as_deref(),
        Some("0:00 The beans\n0:01 are good")
    );

    let token = app.moderator_token(SITE).await;
    assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);
    let wall = app.get(&format!("/embed/{SITE}/wall.html"), None).await.text().await.unwrap();
    let base = &app.address;
    let id = &video.id;
    let expected = format!(
        "<video class=\"fanfare-video\" part=\"video\" controls preload=\"none\" playsinline crossorigin=\"anonymous\" \
         src=\"{base}/api/v1/videos/{id}\" poster=\"{base}/api/v1/videos/{id}/poster.jpg\""
    );
    assert!(wall.contains(&expected), "only the poster loads with the wall: {wall}");
    assert!(
        wall.contains(&format!("<track kind=\"captions\" src=\"{base}/api/v1/videos/{id}/captions.vtt\"")),
        "{wall}"
    );
    assert!(wall.contains("Transcript"), "the text is the video's transcript");
    // Cleared, the transcript is shown as text only.
    let cleared = app.post_form(&session, &action, &[("captions", "")]).await;
    assert_eq!(cleared.status(), 303);
    let wall = app.get(&format!("/embed/{SITE}/wall.html"), None).await.text().await.unwrap();
    assert!(!wall.contains("<track"), "{wall}");
    assert_eq!(app.get(&format!("/api/v1/videos/{id}/captions.vtt"), None).await.status(), 404);
}

#[tokio::test]
async fn another_sites_upload_cannot_be_reached_through_this_site() {
    let app = spawn_app_with(|_| {}).await;
    let theirs = app
        .client
        .post(app.site_path(OTHER_SITE, "/uploads/resumable"))
        .header("Origin", OTHER_ORIGIN)
        .json(&json!({ "size": 10 }))
        .send()
        .await
        .unwrap();
    let theirs: UploadProgress = theirs.json().await.unwrap();
    let id = &theirs.id;
    let part = app.put(&format!("/uploads/{id}/parts/0"), vec![1; 10], "application/octet-stream").await;
    assert_eq!(part.status(), 404);
    assert_eq!(app.put(&format!("/uploads/{id}/poster"), png(), "image/png").await.status(), 404);
    assert_eq!(app.post_empty(&format!("/uploads/{id}/complete")).await.status(), 404);
    assert_eq!(app.get(&format!("/api/v1/sites/{SITE}/uploads/{id}/parts"), None).await.status(), 404);
    assert_eq!(app.media_kept().await, (Vec::new(), 0));
}
