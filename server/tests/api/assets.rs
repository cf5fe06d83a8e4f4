use crate::helpers::spawn_app;

#[tokio::test]
async fn embed_js_is_served_with_a_short_cache() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(response.text().await.unwrap(), "/* loader */");
}

#[tokio::test]
async fn hashed_widget_files_are_immutable_and_typed() {
    let app = spawn_app().await;
    let wasm = app.client.get(app.url("/widget/fanfare-0123abcd_bg.wasm")).send().await.unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(wasm.headers()["access-control-allow-origin"], "*");
    assert_eq!(wasm.headers()["x-content-type-options"], "nosniff");

    let glue = app.client.get(app.url("/widget/fanfare-0123abcd.js")).send().await.unwrap();
    assert_eq!(glue.headers()["content-type"], "text/javascript; charset=utf-8");
}

#[tokio::test]
async fn precompressed_copies_are_sent_to_browsers_that_accept_them() {
    let app = spawn_app().await;
    let url = app.url("/widget/fanfare-0123abcd_bg.wasm");
    // The raw client decodes nothing itself, so the bytes show which copy was sent.
    let fetch = |accept: &'static str| {
        let (app, url) = (&app, url.clone());
        async move { app.client.get(url).header("Accept-Encoding", accept).send().await.unwrap() }
    };
    let brotli = fetch("gzip, deflate, br").await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(brotli.headers()["vary"], "accept-encoding");
    assert_eq!(brotli.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gzip = fetch("gzip").await;
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.bytes().await.unwrap().as_ref(), b"gzip bytes");
    let plain = fetch("identity").await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
}

#[tokio::test]
async fn unknown_files_and_paths_are_404() {
    let app = spawn_app().await;
    for path in ["/widget/nope.js", "/widget/..%2Fembed.js", "/nothing-here"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_missing_widget_build_is_explained() {
    let app = spawn_app().await;
    std::fs::remove_dir_all(app.dir.path().join("widget")).unwrap();
    // Assets are read at start: a second server over the same database sees the missing build.
    let settings = fanfare_server::config::ServerSettings {
        widget_dir: app.dir.path().join("widget"),
        ..fanfare_server::config::ServerSettings::new(
            "127.0.0.1:0".parse().unwrap(),
            app.database.secret_key.clone(),
            app.database.media(),
        )
    };
    let server = fanfare_server::startup::Application::build(app.storage.clone(), &settings).await.unwrap();
    let url = format!("http://127.0.0.1:{}/embed.js", server.port());
    tokio::spawn(server.run_until(std::future::pending()));

    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("cargo xtask build"));
}

#[tokio::test]
async fn health_is_reported() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn metrics_are_for_the_machine_itself_only() {
    use fanfare_server::domain::IpCidr;
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.trusted_proxies = vec![IpCidr::parse("127.0.0.1").unwrap()]
    })
    .await;
    app.submit_ok(&crate::helpers::valid_submission()).await;
    app.public_page("").await;
    let local = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(local.status(), 200);
    assert!(local.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = local.text().await.unwrap();
    assert!(text.contains("fanfare_testimonials_submitted_total 1\n"), "{text}");
    assert!(text.contains("fanfare_public_list_cache_misses_total 1\n"), "{text}");
    assert!(text.contains("fanfare_http_responses_total{class=\"2xx\"}"));
    let outside =
        app.client.get(app.url("/metrics")).header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(outside.status(), 404, "a visitor behind the proxy sees nothing");
}

#[tokio::test]
async fn the_stylesheet_fragments_link_keeps_its_name_across_releases() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/widget/fanfare.css")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"fanfare-0123abcd.css\"", "the hashed build it stands for");
    assert_eq!(response.text().await.unwrap(), ".fanfare{}");
    let again =
        app.client.get(app.url("/widget/fanfare.css")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
}
