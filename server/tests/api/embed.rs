//! The server-rendered read-only modes, `GET /embed/{site}/{mode}.html`: what a host page
//! includes in its own HTML and what the loader places into a mount.

use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use serde_json::{json, Value};

use crate::helpers::{error_of, spawn_app, valid_submission, TestApp, ORIGIN, OTHER_ORIGIN, SITE};

impl TestApp {
    /// Submits and approves a testimonial by `name` with `rating` stars; returns its id.
    async fn published(&self, token: &str, name: &str, rating: u8) -> String {
        let mut body = valid_submission();
        body["name"] = json!(name);
        body["rating"] = json!(rating);
        body["email"] = json!(format!("{}@example.com", name.len()));
        let created = self.submit_ok(&body).await;
        assert_eq!(self.moderate(token, SITE, &created.id, "approve").await.status(), 200);
        created.id
    }

    async fn fragment(&self, path_and_query: &str) -> reqwest::Response {
        self.client.get(self.url(path_and_query)).send().await.expect("request sent")
    }

    async fn fragment_html(&self, path_and_query: &str) -> String {
        let response = self.fragment(path_and_query).await;
        assert_eq!(response.status(), 200, "{path_and_query}");
        response.text().await.expect("a body")
    }

    /// Turns the site's structured data `on` or `off`, as the dashboard and the CLI do.
    async fn structured_data(&self, on_or_off: &str) {
        let site = self.service.find_site(SITE).await.unwrap();
        let input = SettingsInput { structured_data: Some(on_or_off), ..SettingsInput::default() };
        self.service.change_site(&site, Actor::CommandLine, input).await.expect("changed");
    }
}

const LD_OPEN: &str = r#"<script type="application/ld+json">"#;

/// The fragment's JSON-LD, parsed; `None` when it has none.
fn json_ld(html: &str) -> Option<Value> {
    assert!(html.matches(LD_OPEN).count() <= 1, "{html}");
    let (_, rest) = html.split_once(LD_OPEN)?;
    let (script, after) = rest.split_once("</script>").expect("a closed script element");
    assert!(after.ends_with(">") && !after.contains("<script"), "the script ends the element: {after}");
    Some(serde_json::from_str(script).unwrap_or_else(|error| panic!("{error}: {script}")))
}

#[tokio::test]
async fn a_wall_fragment_is_a_declarative_shadow_root_holding_the_published_testimonials() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    app.published(&token, "Grace Hopper", 5).await;
    let mut pending = valid_submission();
    pending["name"] = json!("Still Pending");
    app.submit_ok(&pending).await;

    let response = app.fragment(&format!("/embed/{SITE}/wall.html")).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(header("cache-control"), "public, max-age=0, s-maxage=60", "a CDN may hold it for a minute");
    let etag = header("etag");
    assert!(!etag.is_empty());
    let html = response.text().await.unwrap();
    assert!(
        html.starts_with(r#"<fanfare-wall data-fanfare="wall"><template shadowrootmode="open">"#),
        "{html}"
    );
    assert!(html.ends_with("</template></fanfare-wall>"), "{html}");
    assert!(
        html.contains(&format!(r#"<link rel="stylesheet" href="{}/widget/fanfare.css">"#, app.address)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"<link rel="stylesheet" href="{}/embed/{SITE}/theme.css">"#, app.address)),
        "{html}"
    );
    assert!(html.contains(r#"<div class="fanfare" data-theme="auto" lang="en" dir="ltr">"#), "{html}");
    assert!(html.contains("Selected testimonials"), "the wall says it is a selection");
    assert!(html.contains("Grace Hopper") && !html.contains("Still Pending"), "{html}");
    assert!(html.contains("5.0 out of 5 from 1 rating"), "the honest summary: {html}");
    assert!(html.contains(r#"aria-label="5 out of 5 stars""#), "{html}");
    assert!(!html.contains("data-more"), "one page only: no \"show more\"");

    // Unchanged: 304 without a body. A moderation decision changes it at once on this instance.
    let again = app.client.get(app.url(&format!("/embed/{SITE}/wall.html"))).header("if-none-match", &etag);
    assert_eq!(again.send().await.unwrap().status(), 304);
    app.published(&token, "Katherine Johnson", 4).await;
    let changed = app.fragment(&format!("/embed/{SITE}/wall.html")).await;
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    let html = changed.text().await.unwrap();
    assert!(html.contains("Katherine Johnson") && html.contains("4.5 out of 5 from 2 ratings"), "{html}");
}

#[tokio::test]
async fn show_more_names_the_next_page_which_continues_the_wall() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    for name in ["First Writer", "Second Writer", "Third Writer"] {
        app.published(&token, name, 5).await;
    }
    let first = app.fragment_html(&format!("/embed/{SITE}/wall.html?limit=2&lang=de&tags=&theme=dark")).await;
    let more = first
        .split(r#"data-more=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a \"show more\" button naming the next page")
        .replace("&amp;", "&");
    assert!(first.contains(">Mehr anzeigen</button>"), "{first}");
    assert!(
        more.starts_with(&format!("{}/embed/{SITE}/wall.html?lang=de&theme=dark&limit=2", app.address)),
        "{more}"
    );
    let next = app.client.get(&more).send().await.unwrap().text().await.unwrap();
    // Newest first: the third is on the first page, the first writer on the second.
    assert!(
        first.contains("Third Writer") && first.contains("Second Writer") && !first.contains("First Writer")
    );
    assert!(next.contains("First Writer") && !next.contains("Second Writer"), "{next}");
    assert!(next.contains(r#"data-theme="dark" lang="de""#) && !next.contains("data-more"), "{next}");
}

#[tokio::test]
async fn the_carousel_and_the_badge_are_rendered_with_their_controls_and_link() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    app.published(&token, "Ada Writer", 5).await;
    app.published(&token, "Bea Writer", 4).await;

    let carousel = app.fragment_html(&format!("/embed/{SITE}/carousel.html")).await;
    assert!(carousel.starts_with(r#"<fanfare-carousel data-fanfare="carousel">"#), "{carousel}");
    assert!(carousel.contains(r#"aria-roledescription="carousel""#));
    for position in ["1 of 2", "2 of 2"] {
        assert!(carousel.contains(&format!(r#"data-position="{position}""#)), "{carousel}");
    }
    assert!(carousel.contains(r#"<div class="fanfare-controls" part="controls">"#), "{carousel}");
    assert!(carousel.contains(r#"data-play="Play" data-pause="Pause">Pause</button>"#), "{carousel}");

    let badge = app
        .fragment_html(&format!(
            "/embed/{SITE}/badge.html?href=https%3A%2F%2Facme.test%2Fkind-words.html&lang=fr"
        ))
        .await;
    assert!(
        badge.contains(r#"<a class="fanfare-badge" part="badge" href="https://acme.test/kind-words.html">"#),
        "{badge}"
    );
    assert!(badge.contains(r#"role="img" aria-label="4,5 sur 5 pour 2 avis""#), "{badge}");
    assert!(!badge.contains("Ada Writer"), "the badge shows the summary only");
}

#[tokio::test]
async fn languages_set_the_texts_numbers_dates_and_direction() {
    let app = spawn_app().await;
    // The site's own English wording, set before anything caches the site.
    let changes = fanfare_server::storage::SiteChanges {
        texts: Some([("en:wall.title".to_owned(), "Kind words".to_owned())].into()),
        ..Default::default()
    };
    app.storage.update_site(SITE, changes).await.unwrap();
    let token = app.moderator_token(SITE).await;
    app.published(&token, "Ada Writer", 5).await;
    app.published(&token, "Bea Writer", 4).await;

    let german = app.fragment_html(&format!("/embed/{SITE}/wall.html?lang=de_DE")).await;
    assert!(german.contains(r#"lang="de-DE" dir="ltr""#), "{german}");
    assert!(german.contains("Ausgewählte Erfahrungsberichte"), "{german}");
    assert!(german.contains("4,5 von 5"), "a decimal comma: {german}");
    let arabic = app.fragment_html(&format!("/embed/{SITE}/wall.html?lang=ar")).await;
    assert!(arabic.contains(r#"lang="ar" dir="rtl""#), "{arabic}");
    // The site's own wording wins over ours, as in the widget, in its language only.
    let english = app.fragment_html(&format!("/embed/{SITE}/wall.html?lang=en&limit=3")).await;
    assert!(english.contains(">Kind words</h2>"), "{english}");
}

#[tokio::test]
async fn what_visitors_wrote_is_text_in_the_fragment_never_markup() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut body = valid_submission();
    body["name"] = json!("<img src=x onerror=alert(1)>");
    body["text"] = json!("Great</template></fanfare-wall><script>alert(2)</script> beans");
    let created = app.submit_ok(&body).await;
    app.moderate(&token, SITE, &created.id, "approve").await;

    for mode in ["wall", "carousel"] {
        let html = app.fragment_html(&format!("/embed/{SITE}/{mode}.html")).await;
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
        assert!(!html.contains("<img src=x") && !html.contains("<script>"), "{html}");
        assert_eq!(html.matches("</template>").count(), 1, "{html}");
    }
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_each_and_other_modes_are_not_fragments() {
    let app = spawn_app().await;
    let response = app
        .fragment(&format!(
            "/embed/{SITE}/badge.html?theme=neon&lang=%3Cb%3E&limit=many&href=javascript:alert(1)"
        ))
        .await;
    assert_eq!(response.status(), 422);
    let (code, fields) = error_of(response).await;
    assert_eq!(code, "validation_failed");
    for field in ["theme", "lang", "limit", "href"] {
        assert!(fields[field].is_string(), "{field}: {fields}");
    }
    for path in [
        format!("/embed/{SITE}/collect.html"),
        format!("/embed/{SITE}/refer.html"),
        format!("/embed/{SITE}/wall"),
        "/embed/nobody/wall.html".into(),
    ] {
        let response = app.fragment(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(error_of(response).await.0, "not_found", "{path}");
    }
}

#[tokio::test]
async fn pages_of_the_sites_origins_may_read_a_fragment_and_others_may_not() {
    let app = spawn_app().await;
    let read_from = |origin: &'static str| {
        app.client.get(app.url(&format!("/embed/{SITE}/wall.html"))).header("origin", origin).send()
    };
    let ours = read_from(ORIGIN).await.unwrap();
    assert_eq!(ours.headers()["access-control-allow-origin"], ORIGIN);
    let theirs = read_from(OTHER_ORIGIN).await.unwrap();
    assert_eq!(theirs.status(), 200, "a read, like the JSON list");
    assert!(
        theirs.headers().get("access-control-allow-origin").is_none(),
        "but no script of theirs may read it"
    );
}

#[tokio::test]
async fn the_theme_stylesheet_carries_the_sites_accent() {
    let app = spawn_app().await;
    let changes =
        fanfare_server::storage::SiteChanges { accent: Some("#224466".into()), ..Default::default() };
    app.storage.update_site(SITE, changes).await.unwrap();
    let response = app.fragment(&format!("/embed/{SITE}/theme.css")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), ":host{--fanfare-site-accent:#224466}\n");
}

#[tokio::test]
async fn fragments_are_compressed_for_browsers_that_accept_it() {
    use std::io::Read;
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    app.published(&token, "Compressed Writer", 5).await;
    let plain = app.fragment_html(&format!("/embed/{SITE}/wall.html")).await;
    let fetch = |encoding: &'static str| {
        app.client
            .get(app.url(&format!("/embed/{SITE}/wall.html")))
            .header("accept-encoding", encoding)
            .send()
    };

    let gzip = fetch("gzip, deflate").await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert!(gzip.headers().get_all("vary").iter().any(|vary| vary == "accept-encoding"));
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&gzip.bytes().await.unwrap()[..]).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain);

    let brotli = fetch("gzip, deflate, br, zstd").await.unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");
    let packed = brotli.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(&mut &packed[..], &mut unpacked).unwrap();
    assert_eq!(String::from_utf8(unpacked).unwrap(), plain);
    assert!(packed.len() * 2 < plain.len(), "{} bytes of brotli for {} of HTML", packed.len(), plain.len());
}

#[tokio::test]
async fn structured_data_is_off_by_default_and_then_describes_exactly_what_each_fragment_shows() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    app.published(&token, "Ada Writer", 5).await;
    app.published(&token, "Bea Writer", 4).await;
    for mode in ["wall", "carousel", "badge"] {
        let html = app.fragment_html(&format!("/embed/{SITE}/{mode}.html")).await;
        assert!(!html.contains("ld+json"), "off by default: {html}");
    }

    app.structured_data("on").await;
    // The wall shows one of the two: the summary counts both, the reviews are the one shown.
    let wall = app.fragment_html(&format!("/embed/{SITE}/wall.html?limit=1")).await;
    assert!(wall.contains("4.5 out of 5 from 2 ratings") && wall.contains("Bea Writer"), "{wall}");
    let json = json_ld(&wall).expect("JSON-LD on the wall");
    assert_eq!((&json["@context"], &json["@type"]), (&json!("https://schema.org"), &json!("Product")));
    assert_eq!(json["name"], "acme Inc.", "the site's name when no product is named");
    assert_eq!(
        json["aggregateRating"],
        json!({"@type": "AggregateRating", "ratingValue": 4.5, "ratingCount": 2, "bestRating": 5, "worstRating": 1})
    );
    let reviews = json["review"].as_array().expect("reviews");
    assert_eq!(reviews.len(), 1, "only the item the wall shows: {json}");
    let shown_date = wall.split(r#"<time class="fanfare-muted" datetime=""#).nth(1).unwrap()[..10].to_owned();
    assert_eq!(
        reviews[0],
        json!({
            "@type": "Review",
            "author": {"@type": "Person", "name": "Bea Writer"},
            "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5, "worstRating": 1},
            "reviewBody": valid_submission()["text"],
            "datePublished": shown_date,
        })
    );
    assert!(wall.ends_with("</script></fanfare-wall>"), "in the light DOM, outside the shadow root: {wall}");

    let carousel =
        app.fragment_html(&format!("/embed/{SITE}/carousel.html?product=House%20Blend%20%26%20Co.")).await;
    let json = json_ld(&carousel).expect("JSON-LD on the carousel");
    assert_eq!(json["name"], "House Blend & Co.", "the product asked for");
    let names: Vec<&Value> =
        json["review"].as_array().unwrap().iter().map(|r| &r["author"]["name"]).collect();
    assert_eq!(names, [&json!("Bea Writer"), &json!("Ada Writer")], "every slide, in order");

    let badge = app.fragment_html(&format!("/embed/{SITE}/badge.html?product=Espresso")).await;
    let json = json_ld(&badge).expect("JSON-LD on the badge");
    assert_eq!((&json["name"], &json["aggregateRating"]["ratingCount"]), (&json!("Espresso"), &json!(2)));
    assert!(json.get("review").is_none(), "the badge shows no testimonial: {json}");

    app.structured_data("off").await;
    let wall = app.fragment_html(&format!("/embed/{SITE}/wall.html?limit=1")).await;
    assert!(!wall.contains("ld+json"), "off again at once: {wall}");
}

#[tokio::test]
async fn no_testimonial_can_close_the_json_ld_script() {
    let app = spawn_app().await;
    app.structured_data("on").await;
    let token = app.moderator_token(SITE).await;
    let name = "<img src=x onerror=alert(1)>";
    let text = "Great </script><script>alert(1)</script> beans & <!-- more -->";
    let mut body = valid_submission();
    body["name"] = json!(name);
    body["text"] = json!(text);
    let created = app.submit_ok(&body).await;
    assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);

    for mode in ["wall", "carousel"] {
        let html = app.fragment_html(&format!("/embed/{SITE}/{mode}.html?product=%3C%2Fscript%3E")).await;
        assert_eq!(html.matches("</script>").count(), 1, "only the JSON-LD's own end: {html}");
        assert!(!html.contains("<script>") && !html.contains("<img src=x"), "{html}");
        let json = json_ld(&html).expect("JSON-LD");
        assert_eq!(json["review"][0]["author"]["name"], name);
        assert_eq!(json["review"][0]["reviewBody"], text);
        assert_eq!(json["name"], "</script>");
    }
}

#[tokio::test]
async fn a_bad_product_is_refused_naming_it() {
    let app = spawn_app().await;
    for product in ["x".repeat(101), "Beans%0Aand%0Amore".to_owned()] {
        for mode in ["wall", "badge"] {
            let response = app.fragment(&format!("/embed/{SITE}/{mode}.html?product={product}")).await;
            assert_eq!(response.status(), 422, "{product}");
            let (code, fields) = error_of(response).await;
            assert_eq!(code, "validation_failed");
            assert!(fields["product"].as_str().unwrap().contains("100 characters"), "{fields}");
        }
    }
    let fine = format!("/embed/{SITE}/wall.html?product={}", "é".repeat(100));
    assert_eq!(app.fragment(&fine).await.status(), 200);
}

#[tokio::test]
async fn a_product_pages_wall_sums_up_that_products_ratings_in_the_text_and_the_markup() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    for (name, stars, tagged) in [("Ada Blend", 5, true), ("Bea Blend", 4, true), ("Cy Decaf", 1, false)] {
        let id = app.published(&token, name, stars).await;
        if tagged {
            app.storage.set_tags(site.id, &id, &["house-blend".to_owned()], 1).await.unwrap();
        }
    }
    app.structured_data("on").await;
    let html =
        app.fragment_html(&format!("/embed/{SITE}/wall.html?tags=house-blend&product=House%20Blend")).await;
    assert!(html.contains("4.5 out of 5 from 2 ratings") && !html.contains("Cy Decaf"), "{html}");
    let ld = json_ld(&html).expect("structured data");
    assert_eq!(ld["name"], "House Blend");
    assert_eq!(
        (ld["aggregateRating"]["ratingValue"].as_f64(), ld["aggregateRating"]["ratingCount"].as_u64()),
        (Some(4.5), Some(2))
    );
    assert_eq!(ld["review"].as_array().map(Vec::len), Some(2));
    // The whole shop, without the tag: every moderated rating.
    let shop = app.fragment_html(&format!("/embed/{SITE}/wall.html")).await;
    assert!(shop.contains("3.3 out of 5 from 3 ratings"), "{shop}");
}
