//! The dashboard's downloads stream the export as it is read, a page at a time: no length up
//! front, the same bytes `fanfare export` writes, and a failure part-way ends the body early
//! (the headers are gone by then) and is logged.

use fanfare_protocol::api::Status;
use fanfare_server::domain::Role;
use fanfare_server::service::export::PAGE_SIZE;
use fanfare_server::storage::{Backend, NewTestimonialRecord};
use fanfare_server::testing::{backend_from_env, new_testimonial};

use crate::helpers::*;

const OWNER: &str = "owner@acme.test";

/// Stores `count` testimonials of `acme` at once, one a second (what an export's times keep).
async fn many(app: &TestApp, count: usize) {
    let site = app.acme().await;
    let stored = (0..count).map(|n| {
        let at = 1_700_000_000_000 + n as i64 * 1000;
        app.storage.insert_testimonial(NewTestimonialRecord {
            name: format!("Customer {n}"),
            email: format!("c{n}@example.com"),
            company: Some("Acme, Inc.".into()),
            text: format!("Fresh beans, \"number\" {n}\nand a second line."),
            tags: vec!["beans".into()],
            ..new_testimonial(&site, Status::Approved, 5, at)
        })
    });
    for result in futures_util::future::join_all(stored).await {
        result.unwrap();
    }
}

/// `fanfare export ARGS…` on the app's database, as an operator runs it; its standard output.
fn command_line_export(app: &TestApp, args: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fanfare"));
    command
        .env("FANFARE_LOG", "warn")
        .env_remove("FANFARE_SECRET_KEY_FILE")
        .env_remove("FANFARE_DATABASE_URL");
    for (name, value) in [app.database.secret_key_env(), app.database.media_env()] {
        command.env(name, value);
    }
    let output =
        command.args(["--database", &app.database.url, "export", "--site", SITE]).args(args).output();
    let output = output.expect("fanfare runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

async fn download(app: &TestApp, cookie: &str, file: &str) -> reqwest::Response {
    let path = format!("/admin/sites/{SITE}/{file}");
    let response = app.client.get(app.url(&path)).header("Cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response
}

#[tokio::test]
async fn downloads_stream_the_same_bytes_as_the_command_line() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let count = 2 * PAGE_SIZE as usize + 100;
    many(&app, count).await;

    let csv = download(&app, &session.cookie, "export.csv").await;
    // Streamed: sent in chunks as the pages are read, with no length known up front.
    assert_eq!(csv.headers().get("transfer-encoding").map(|v| v.to_str().unwrap()), Some("chunked"));
    assert!(csv.headers().get("content-length").is_none());
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert_eq!(csv, command_line_export(&app, &["--format", "csv"]));
    assert!(csv.contains(&format!("\"Customer {}\"", count - 1)), "the last page came too");

    let json = download(&app, &session.cookie, "export.json").await;
    assert_eq!(json.headers().get("transfer-encoding").map(|v| v.to_str().unwrap()), Some("chunked"));
    let json = json.text().await.unwrap();
    // Equal but for the moment each was made.
    let timeless = |text: &str| -> String {
        text.lines().filter(|line| !line.starts_with("  \"exported_at\": ")).collect::<Vec<_>>().join("\n")
    };
    let command_line = command_line_export(&app, &[]);
    assert_eq!(timeless(&json), timeless(&command_line));
    assert!(json.ends_with("  ]\n}\n"), "the whole document");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["testimonials"].as_array().unwrap().len(), count);
}

#[tokio::test]
async fn a_download_failing_part_way_ends_early_and_is_logged() {
    if backend_from_env() == Backend::Postgres {
        // The broken row below is one only SQLite's loose column types will store.
        return;
    }
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    many(&app, PAGE_SIZE as usize + 10).await;
    // A row that cannot be read, sorted after every good one (SQLite orders text after
    // numbers): the first page goes out, the second fails.
    let site = app.acme().await;
    let pool = sqlx::SqlitePool::connect(&app.database.url).await.unwrap();
    sqlx::query(
        "INSERT INTO testimonials (id, site_id, status, name, email, rating, body, consent, \
         manage_token_hash, created_at, updated_at) VALUES ('broken1', ?, 'approved', 'B', 'b@example.com', \
         5, 'x', 1, 'hash-broken1', 'not a time', 0)",
    )
    .bind(site.id)
    .execute(&pool)
    .await
    .unwrap();

    let mut response = download(&app, &session.cookie, "export.csv").await;
    let mut received = Vec::new();
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => break "complete",
            Err(_) => break "cut off",
        }
    };
    assert_eq!(ended, "cut off", "a failed export never looks complete");
    let received = String::from_utf8(received).unwrap();
    assert!(received.starts_with("\"id\",\"status\""), "the first page went out: {}", received.len());
    assert!(!received.contains("broken1"));
    let log = captured_log();
    assert!(log.contains("an export download was cut off") && log.contains("site=acme"), "{log}");
}
