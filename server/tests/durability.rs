//! A 2xx means stored. The real binary under 32 concurrent writers is killed with SIGKILL
//! mid-load, several times; after each restart every acknowledged submission is there and the
//! database is intact. And SIGTERM lets requests in flight finish.

// A panic is how a test reports; helpers unwrap like test bodies do.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{free_port, ok, serve};
use fanfare_server::storage::{self, Backend, DataStore, SiteStore};
use fanfare_server::testing::{backend_from_env, TestDatabase};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WRITERS: usize = 32;
const CYCLES: usize = 3;
const ORIGIN: &str = "https://acme.test";

fn add_site(database: &TestDatabase) {
    ok(database, &["site", "add", "acme", "--name", "Acme", "--origin", ORIGIN]);
}

#[tokio::test]
async fn acknowledged_submissions_survive_sigkill_mid_load() {
    let database = TestDatabase::create().await.unwrap();
    add_site(&database);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let port = free_port();
    for cycle in 0..CYCLES {
        let mut server = serve(&database, port, &[("FANFARE_RATE_LIMITS", "off")]).await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/sites/acme/testimonials", server.url);
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (client, url, acknowledged) = (client.clone(), url.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    for n in 0.. {
                        let body = json!({
                            "name": format!("Writer {writer}"), "email": format!("w{writer}-{cycle}-{n}@example.com"),
                            "rating": 5, "text": format!("Cycle {cycle}, submission {n}."), "consent": true,
                        });
                        match client.post(&url).header("Origin", ORIGIN).json(&body).send().await {
                            Ok(response) if response.status() == 201 => {
                                let created: serde_json::Value = response.json().await.unwrap_or_default();
                                if let Some(id) = created["id"].as_str() {
                                    acknowledged.lock().unwrap().push(id.to_owned());
                                }
                            }
                            // Once the process is gone, connections fail: that is the point.
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
        server.child.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
    }

    let acknowledged: HashSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(acknowledged.len() > WRITERS * CYCLES, "the load was real: {} acknowledged", acknowledged.len());
    let storage = storage::open(&database.url).await.unwrap();
    let site = storage.site_by_slug("acme").await.unwrap().unwrap();
    let stored: HashSet<String> = storage
        .all_testimonials(site.id)
        .await
        .unwrap()
        .into_iter()
        .map(|testimonial| testimonial.id)
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged submissions lost: {lost:?}", lost.len());
    if backend_from_env() == Backend::Sqlite {
        let check: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(storage.pool()).await.unwrap();
        assert_eq!(check, "ok");
    }
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish() {
    let database = TestDatabase::create().await.unwrap();
    add_site(&database);
    let mut server = serve(&database, free_port(), &[("FANFARE_RATE_LIMITS", "off")]).await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let body = json!({"name": "Ada", "email": "ada@example.com", "rating": 5, "text": "Sent slowly.", "consent": true})
        .to_string();
    let (first, rest) = body.split_at(10);

    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/sites/acme/testimonials HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "the request begun before SIGTERM was answered: {answer}");

    let status = tokio::task::spawn_blocking(move || {
        let status = server.child.wait();
        (status, server)
    })
    .await
    .unwrap()
    .0
    .unwrap();
    assert!(status.success(), "the server exited cleanly after draining: {status:?}");
    let refused = tokio::net::TcpStream::connect(&address).await;
    assert!(refused.is_err(), "and stopped listening");
}
