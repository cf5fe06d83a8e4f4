//! The hosted collection page over real HTTP, as a browser without JavaScript sends it: the
//! form in English and Arabic, refusals named with the words kept, a photo in the multipart
//! body, the private path, invitation links once and never again, proof of work, the QR code
//! read back, the dashboard's page, and requests that must be refused without a 500.

use std::io::Cursor;

use fanfare_protocol::api::Status;
use fanfare_protocol::invitations::InviteCustomer;
use fanfare_server::domain::Role;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_server::storage::{Invitation, Invited};

use crate::helpers::{spawn_app, TestApp, OTHER_SITE, SITE};

/// A `multipart/form-data` body as a browser builds it from the form.
#[derive(Default)]
struct Multipart {
    body: Vec<u8>,
}

const BOUNDARY: &str = "----fanfare-test-boundary-7MA4YWxkTrZu0gW";

impl Multipart {
    fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
        self
    }

    fn file(mut self, name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.body
    }
}

/// The form as a visitor fills it in, before any change a test makes.
fn filled(key: &str) -> Multipart {
    Multipart::default()
        .text("lang", "en")
        .text("key", key)
        .text("pow", "")
        .text("name", "Ada Lovelace")
        .text("email", "ada@example.com")
        .text("role", "Analyst")
        .text("company", "")
        .text("rating", "5")
        .text("text", "The beans are wonderful and arrive fresh.")
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]))
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

impl TestApp {
    /// POSTs the form from our own origin, as a browser sends it.
    async fn post_collect(&self, site: &str, body: Multipart) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/c/{site}")))
            .header("Origin", &self.address)
            .header("Sec-Fetch-Site", "same-origin")
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body.finish())
            .send()
            .await
            .unwrap()
    }

    async fn collect_page(&self, path_and_query: &str) -> String {
        let response = self.client.get(self.url(path_and_query)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path_and_query}");
        response.text().await.unwrap()
    }

    /// An invitation to `ada@example.com` and the token of its personal link.
    async fn invitation(&self, lang: &str) -> (Invitation, String) {
        let site = self.acme().await;
        let request = InviteCustomer {
            email: Some("ada@example.com".into()),
            name: Some("Ada Lovelace".into()),
            tags: vec!["espresso".into()],
            lang: Some(lang.into()),
            ..InviteCustomer::default()
        };
        let invitation = match self.service.invite(&site, Actor::CommandLine, &request).await.unwrap() {
            Invited::Created(invitation) | Invited::Existing(invitation) => invitation,
        };
        let url = self.service.invitation_url(&site, &invitation);
        let token = url.split("?invite=").nth(1).unwrap().to_owned();
        (invitation, token)
    }
}

/// The value of the first `<input … name="NAME" … value="…">` in the page.
fn input_value(page: &str, name: &str) -> Option<String> {
    let tag_start = page.find(&format!("name=\"{name}\""))?;
    let tag = &page[page[..tag_start].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let value = tag.split(" value=\"").nth(1)?;
    Some(value[..value.find('"')?].to_owned())
}

#[tokio::test]
async fn the_page_shows_the_form_in_english_and_in_arabic_right_to_left() {
    let app = spawn_app().await;

    let response = app.client.get(app.url(&format!("/c/{SITE}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains("acme Inc.") && page.contains("would love to hear how it went"));
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/c/acme/theme.css\">"));
    for field in ["name", "email", "role", "company", "text", "photo", "consent", "contact_me", "website"] {
        assert!(page.contains(&format!("name=\"{field}\"")), "the form has {field}");
    }
    assert!(page.contains("aria-describedby=\"email-hint\"") && page.contains("Never shown publicly."));
    assert_eq!(page.matches("type=\"radio\" name=\"rating\"").count(), 5);
    assert!(page.contains("<fieldset") && page.contains("<legend>Your rating</legend>"));
    assert!(
        page.contains("type=\"file\" accept=\"image/*\""),
        "the photo field offers the camera and the library"
    );
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let consent = &page[page.find("id=\"consent\"").unwrap()..];
    assert!(!consent[..consent.find('>').unwrap()].contains("checked"), "consent starts unticked");
    assert!(page.contains("You may publish this."), "the site's consent text");
    assert!(page.contains("tabindex=\"-1\" autocomplete=\"off\""), "the honeypot is out of reach");
    assert!(page.contains("Ratings of 3 stars or fewer go privately"), "the private path, without script");
    assert!(!page.contains("style="), "no inline styles");
    assert!(!page.contains("<script>"), "no inline scripts");

    let arabic = app.collect_page(&format!("/c/{SITE}?lang=ar")).await;
    assert!(arabic.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(arabic.contains("إرسال الشهادة"), "the send button in Arabic");
    assert!(arabic.contains("name=\"lang\" value=\"ar\""), "the language goes along with the form");

    let german = app
        .client
        .get(app.url(&format!("/c/{SITE}")))
        .header("Accept-Language", "da, de-AT;q=0.9, en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(german.contains("<html lang=\"de\" dir=\"ltr\">"), "the browser's language");

    for (path, content_type) in [
        ("/c/collect.css", "text/css; charset=utf-8"),
        ("/c/collect.js", "text/javascript; charset=utf-8"),
        ("/c/acme/theme.css", "text/css; charset=utf-8"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        let etag = response.headers()["etag"].clone();
        let again = app.client.get(app.url(path)).header("If-None-Match", etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path} is revalidated");
    }
}

#[tokio::test]
async fn a_refused_form_names_every_field_keeps_the_words_and_stores_nothing() {
    let app = spawn_app().await;
    let form = Multipart::default()
        .text("lang", "en")
        .text("key", "aaaaaaaaaaaaaaaaaaaaaaaa")
        .text("name", "")
        .text("email", "not an address")
        .text("role", "Head <b>barista</b>")
        .text("text", "Hi")
        .text("consent", "on")
        .file("photo", "me.png", "image/png", &png(40, 40));

    let response = app.post_collect(SITE, form).await;

    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    for sentence in [
        "Name is required",
        "Email must be an email address like name@example.com",
        "Rating is required",
        "Testimonial must be at least 3 characters",
    ] {
        assert!(page.contains(sentence), "{sentence} in {page}");
    }
    assert!(page.contains("role=\"alert\"") && page.contains("autofocus"), "an error summary, read first");
    for anchor in ["#name", "#email", "#rating-1", "#text"] {
        assert!(page.contains(&format!("href=\"{anchor}\"")), "the summary links to {anchor}");
    }
    assert!(page.contains("aria-describedby=\"email-hint email-error\""));
    assert_eq!(page.matches("aria-invalid=\"true\"").count(), 4, "name, email, the rating's group, text");
    assert_eq!(
        input_value(&page, "role").as_deref(),
        Some("Head &lt;b&gt;barista&lt;/b&gt;"),
        "kept, as text"
    );
    assert!(page.contains(">Hi</textarea>"));
    assert!(page.contains("please choose it again"), "the photo is never kept");
    assert_eq!(
        input_value(&page, "key").as_deref(),
        Some("aaaaaaaaaaaaaaaaaaaaaaaa"),
        "the same copy of the form"
    );
    assert!(app.everything_stored().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_valid_form_with_a_photo_is_stored_pending_and_thanked_with_the_manage_link() {
    let app = spawn_app().await;
    let form = filled("bbbbbbbbbbbbbbbbbbbbbbbb").text("consent", "on").text("website", "").file(
        "photo",
        "me.png",
        "image/png",
        &png(64, 48),
    );

    let response = app.post_collect(SITE, form).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    let page = response.text().await.unwrap();
    assert!(page.contains("Thank you!") && page.contains("will appear once it has been reviewed"));
    assert!(!page.contains("Verified customer"));
    let stored = app.everything_stored().await;
    assert_eq!(stored.len(), 1);
    let testimonial = &stored[0];
    assert_eq!(testimonial.status, Status::Pending);
    assert!(testimonial.consent && !testimonial.verified);
    assert_eq!(testimonial.role.as_deref(), Some("Analyst"));
    assert_eq!(testimonial.company, None);
    assert!(testimonial.photo_id.is_some(), "the photo came along");
    assert_eq!(testimonial.page_url.as_deref(), Some(app.url("/c/acme").as_str()));
    let manage = page.split("class=\"manage\" href=\"").nth(1).unwrap();
    let manage = &manage[..manage.find('"').unwrap()];
    assert!(manage.starts_with(&app.url("/manage/ffm_")), "{manage}");
    let manage_page = app.client.get(manage).send().await.unwrap().text().await.unwrap();
    assert!(manage_page.contains("The beans are wonderful"), "the manage link works");

    // The referral offer, for a happy author, prefilled.
    assert!(page.contains("action=\"/c/acme/refer\""));
    let refer = app
        .client
        .post(app.url("/c/acme/refer"))
        .header("Origin", &app.address)
        .form(&[("lang", "en"), ("name", "Ada Lovelace"), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(refer.status(), 200);
    let ready = refer.text().await.unwrap();
    assert!(ready.contains("Your link is ready") && ready.contains("https://acme.test/?ref="), "{ready}");
    let refused = app
        .client
        .post(app.url("/c/acme/refer"))
        .header("Origin", &app.address)
        .form(&[("lang", "en"), ("name", ""), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Name is required"));
}

#[tokio::test]
async fn the_same_copy_of_the_form_sent_twice_is_one_testimonial() {
    let app = spawn_app().await;
    let send = || app.post_collect(SITE, filled("cccccccccccccccccccccccc").text("consent", "on"));
    let first = send().await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let second = send().await;
    assert_eq!(second.status(), 200, "a reload of the thank-you screen");
    assert_eq!(second.text().await.unwrap(), first, "the same thank-you, the same manage link");
    assert_eq!(app.everything_stored().await.len(), 1);

    // With a photo too: the photo is the same whatever upload id it got the first time.
    let with_photo = || {
        app.post_collect(
            SITE,
            filled("eeeeeeeeeeeeeeeeeeeeeeee").text("consent", "on").file(
                "photo",
                "me.png",
                "image/png",
                &png(32, 32),
            ),
        )
    };
    let first = with_photo().await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let again = with_photo().await;
    assert_eq!(again.status(), 200, "sent again with its photo: the first answer, not \"already sent\"");
    assert_eq!(again.text().await.unwrap(), first);
    assert_eq!(app.everything_stored().await.len(), 2);
}

#[tokio::test]
async fn a_low_rating_goes_privately_with_the_visitors_contact_me() {
    let app = spawn_app().await;
    let form = filled("dddddddddddddddddddddddd").text("consent", "on").text("contact_me", "on");
    let form = Multipart { body: form.body.replace_rating("2") };

    let response = app.post_collect(SITE, form).await;

    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Thank you for telling us."));
    assert!(page.contains("your words went privately to the team"));
    assert!(!page.contains("/refer"), "no referral offer after a low rating");
    let stored = &app.everything_stored().await[0];
    assert_eq!(stored.rating, 2);
    assert!(!stored.consent, "private feedback is never for publication, whatever was ticked");
    assert!(stored.contact_me);
}

/// Changes the rating in an already built body.
trait ReplaceRating {
    fn replace_rating(self, stars: &str) -> Vec<u8>;
}

impl ReplaceRating for Vec<u8> {
    fn replace_rating(self, stars: &str) -> Vec<u8> {
        let text = String::from_utf8(self).unwrap();
        text.replace("name=\"rating\"\r\n\r\n5\r\n", &format!("name=\"rating\"\r\n\r\n{stars}\r\n"))
            .into_bytes()
    }
}

#[tokio::test]
async fn an_invitation_prefills_the_page_in_its_language_and_verifies_once() {
    let app = spawn_app().await;
    let (_invitation, token) = app.invitation("de").await;

    let page = app.collect_page(&format!("/c/{SITE}?invite={token}")).await;
    assert!(page.contains("<html lang=\"de\""), "the invitation's language");
    assert_eq!(input_value(&page, "name").as_deref(), Some("Ada Lovelace"));
    assert_eq!(input_value(&page, "email").as_deref(), Some("ada@example.com"));
    assert_eq!(input_value(&page, "invite").as_deref(), Some(token.as_str()));
    assert!(page.contains("Sie wurden persönlich eingeladen"), "says it will be verified");

    let response = app.post_collect(SITE, filled("eeeeeeeeeeeeeeeeeeeeeeee").text("invite", &token)).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Verified customer"));
    let stored = &app.everything_stored().await[0];
    assert!(stored.verified);
    assert_eq!(stored.tags, ["espresso"]);

    // The link again: an ordinary form, and the page says why.
    let again = app.collect_page(&format!("/c/{SITE}?invite={token}&lang=en")).await;
    assert!(again.contains("This invitation link was already used or has expired"));
    assert_eq!(input_value(&again, "invite"), None);
    assert_eq!(input_value(&again, "name").as_deref(), Some(""), "nothing prefilled");
    let second = app.post_collect(SITE, filled("ffffffffffffffffffffffff").text("invite", &token)).await;
    assert_eq!(second.status(), 200);
    assert!(!second.text().await.unwrap().contains("Verified customer"));

    // A forged token: the same, an ordinary testimonial.
    let forged = format!("{token}0");
    let page = app.collect_page(&format!("/c/{SITE}?invite={forged}")).await;
    assert!(page.contains("already used or has expired"));
    let third = app.post_collect(SITE, filled("gggggggggggggggggggggggg").text("invite", &forged)).await;
    assert_eq!(third.status(), 200);
    let stored = app.everything_stored().await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored.iter().filter(|testimonial| testimonial.verified).count(), 1);
}

#[tokio::test]
async fn a_site_asking_for_proof_of_work_takes_invited_customers_without_javascript() {
    let app = spawn_app().await;
    let site = app.acme().await;
    let input = SettingsInput { proof_of_work: Some("8"), ..SettingsInput::default() };
    app.service.change_site(&site, Actor::CommandLine, input).await.unwrap();

    let page = app.collect_page(&format!("/c/{SITE}")).await;
    assert!(page.contains("<noscript>") && page.contains("please turn on JavaScript"));
    assert!(page.contains("data-pow=\"8\""), "the script solves it");
    let refused = app.post_collect(SITE, filled("hhhhhhhhhhhhhhhhhhhhhhhh")).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("please turn on JavaScript to send this form"));
    assert!(app.everything_stored().await.is_empty());

    let (_invitation, token) = app.invitation("en").await;
    let page = app.collect_page(&format!("/c/{SITE}?invite={token}")).await;
    assert!(!page.contains("<noscript>"), "an invited customer needs no script");
    let invited = app.post_collect(SITE, filled("iiiiiiiiiiiiiiiiiiiiiiii").text("invite", &token)).await;
    assert_eq!(invited.status(), 200);
    assert!(app.everything_stored().await[0].verified);
}

/// The QR code's dark modules, read back from the SVG's path (`Mx,yhNv1h-Nz` runs).
fn modules(svg: &str) -> (usize, Vec<(usize, usize)>) {
    let side = svg.split("viewBox=\"0 0 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    let mut dark = Vec::new();
    for run in path.split('M').filter(|run| !run.is_empty()) {
        let (x, rest) = run.split_once(',').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let length: usize = rest.split('v').next().unwrap().parse().unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        dark.extend((x..x + length).map(|x| (x, y)));
    }
    (side, dark)
}

#[tokio::test]
async fn the_qr_code_is_an_svg_that_reads_as_the_pages_address() {
    let app = spawn_app().await;
    let response = app.client.get(app.url(&format!("/c/{SITE}/qr.svg"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    let svg = response.text().await.unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.trim_end().ends_with("</svg>")
    );

    let (side, dark) = modules(&svg);
    let scale = 4;
    let mut grid = vec![false; side * side];
    for (x, y) in dark {
        grid[y * side + x] = true;
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
        if grid[(y / scale) * side + x / scale] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, app.url("/c/acme"));

    let missing = app.client.get(app.url("/c/nobody/qr.svg")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn unknown_sites_and_bad_requests_get_pages_never_a_500() {
    let app = spawn_app().await;
    for path in ["/c/nobody", "/c/NOT%20A%20SLUG", "/c/nobody/theme.css"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.text().await.unwrap().contains("There is no page at this address"), "{path}");
    }
    for query in ["?invite=%FF%FE&lang=%3Cscript%3E", "?invite=", "?lang=xx&invite=a.b", "?invite=x&invite=y"]
    {
        let response = app.client.get(app.url(&format!("/c/{SITE}{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
    }
    let long = "a".repeat(5000);
    assert_eq!(
        app.client.get(app.url(&format!("/c/{SITE}?invite={long}"))).send().await.unwrap().status(),
        200
    );

    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url(&format!("/c/{SITE}")))
            .header("Origin", &app.address)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(post("application/json", "{}").await.unwrap().status(), 415);
    let broken = post(
        "multipart/form-data; boundary=x",
        "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda",
    );
    assert_eq!(broken.await.unwrap().status(), 400);
    let no_boundary = post("multipart/form-data", "");
    assert_eq!(no_boundary.await.unwrap().status(), 400);
    // A form without a file (urlencoded) is read too, and refused by the rules.
    assert_eq!(post("application/x-www-form-urlencoded", "name=Ada&rating=9").await.unwrap().status(), 422);
    assert_eq!(app.post_collect("nobody", filled("jjjjjjjjjjjjjjjjjjjjjjjj")).await.status(), 404);
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn a_form_sent_from_another_site_is_refused() {
    let app = spawn_app().await;
    let body = filled("kkkkkkkkkkkkkkkkkkkkkkkk").text("consent", "on").finish();
    for (header, value) in [("Origin", "https://evil.test"), ("Sec-Fetch-Site", "cross-site")] {
        let response = app
            .client
            .post(app.url(&format!("/c/{SITE}")))
            .header(header, value)
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{header}: {value}");
        assert!(response.text().await.unwrap().contains("sent from another page"));
    }
    let refer = app
        .client
        .post(app.url("/c/acme/refer"))
        .header("Origin", "https://evil.test")
        .form(&[("name", "Ada"), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(refer.status(), 403);
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn the_dashboard_shows_the_link_and_the_qr_code_to_the_sites_members_only() {
    let app = spawn_app().await;
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    app.dashboard_user("mod@globex.test", OTHER_SITE, Role::Moderator).await;

    let member = app.login("mod@acme.test").await;
    let page = app.get_page(&member.cookie, "/admin/sites/acme/collect").await;
    assert!(page.contains(&format!("value=\"{}\"", app.url("/c/acme"))));
    assert!(page.contains("<img class=\"qr\" src=\"/c/acme/qr.svg\""));
    assert!(page.contains("aria-current=\"page\">Collection page</a>"));

    let stranger = app.login("mod@globex.test").await;
    let response = app
        .client
        .get(app.url("/admin/sites/acme/collect"))
        .header("Cookie", &stranger.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
