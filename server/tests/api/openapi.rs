//! `/api/openapi.json`: a valid OpenAPI document that lists every API route the server serves
//! and every route of the contract.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, SITE};

/// The routes PRODUCT.md promises, as "METHOD path".
const CONTRACT: &[&str] = &[
    "GET /api/v1/sites/{site}/widget",
    "GET /api/v1/sites/{site}/testimonials",
    "POST /api/v1/sites/{site}/testimonials",
    "POST /api/v1/sites/{site}/uploads",
    "POST /api/v1/sites/{site}/uploads/resumable",
    "PUT /api/v1/sites/{site}/uploads/{id}/parts/{index}",
    "GET /api/v1/sites/{site}/uploads/{id}/parts",
    "POST /api/v1/sites/{site}/uploads/{id}/complete",
    "PUT /api/v1/sites/{site}/uploads/{id}/poster",
    "GET /api/v1/videos/{id}",
    "GET /api/v1/videos/{id}/poster.jpg",
    "GET /api/v1/videos/{id}/captions.vtt",
    "POST /api/v1/sites/{site}/referrals",
    "POST /api/v1/sites/{site}/referrals/{code}/visits",
    "POST /api/v1/sites/{site}/conversions",
    "GET /api/v1/sites/{site}/moderation/testimonials",
    "POST /api/v1/sites/{site}/moderation/testimonials/{id}/approve",
    "POST /api/v1/sites/{site}/moderation/testimonials/{id}/reject",
    "POST /api/v1/sites/{site}/moderation/testimonials/{id}/spam",
    "GET /api/v1/sites/{site}/moderation/referrals",
    "GET /embed/{site}/{mode}.html",
    "GET /embed/{site}/theme.css",
    "GET /healthz",
    "GET /metrics",
    "GET /api/openapi.json",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server crate sits in the workspace").to_owned()
}

fn operations(document: &Value) -> BTreeSet<String> {
    let paths = document["paths"].as_object().expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| format!("{} {path}", method.to_uppercase()))
        })
        .collect()
}

async fn served_document() -> (crate::helpers::TestApp, Value) {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let document = response.json().await.unwrap();
    (app, document)
}

#[tokio::test]
async fn the_document_is_valid_openapi_by_the_specifications_own_schema() {
    let (app, document) = served_document().await;
    assert_eq!(document["openapi"], "3.1.0");
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let root = workspace_root();
    let validator = root.join("tools/validate-openapi.mjs");
    assert!(
        root.join("tools/node_modules/@apidevtools/swagger-parser").exists(),
        "the validator is not installed: run `cargo xtask build` (or `npm ci` in tools/)"
    );
    let output = Command::new("node")
        .arg(&validator)
        .arg(&file)
        .output()
        .expect("node runs (apt-get install -y nodejs npm)");
    assert!(
        output.status.success(),
        "the OpenAPI document is invalid:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn every_route_of_the_contract_is_in_the_document() {
    let (_app, document) = served_document().await;
    let listed = operations(&document);
    let missing: Vec<_> = CONTRACT.iter().filter(|route| !listed.contains(**route)).collect();
    assert!(missing.is_empty(), "missing from the document: {missing:?}\nlisted: {listed:#?}");
    // Each operation says what it answers, and errors have the one error shape.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} documents no answer");
            for (status, response) in responses {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ApiError", "{method} {path} {status}");
                }
            }
        }
    }
}

/// Fills a documented path's parameters with values the test server knows.
fn concrete(path: &str) -> String {
    path.replace("{site}", SITE)
        .replace("{id}", "nothing-here")
        .replace("{code}", "ABCDEFGH")
        .replace("{mode}", "wall")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_every_api_route_is_documented() {
    let (app, document) = served_document().await;
    // The server's answer to a path it does not have, so the probe below can tell it apart.
    let unknown = app.client.get(app.url("/api/v1/sites/acme/no-such-thing")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let not_a_route = unknown.json::<Value>().await.unwrap()["message"].clone();

    for operation in operations(&document) {
        let (method, path) = operation.split_once(' ').unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method, app.url(&concrete(path))).send().await.unwrap();
        let status = response.status();
        assert_ne!(status, 405, "{operation} is documented but the server refuses the method");
        if status == 404 {
            let body: Value = response.json().await.unwrap_or_default();
            assert_ne!(body["message"], not_a_route, "{operation} is documented but not served");
        }
    }

    // Routes are registered with their documentation; one added to a plain router would be
    // served undocumented. Every literal API path in the web layer must be in the document.
    let documented: BTreeSet<&str> =
        document["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let mut undocumented = Vec::new();
    let mut seen = 0;
    for file in rust_files(&workspace_root().join("server/src/web")) {
        let source = std::fs::read_to_string(&file).unwrap();
        for literal in source.split(".route(\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            seen += 1;
            let is_api = literal.starts_with("/api")
                || literal.starts_with("/embed/")
                || ["/healthz", "/metrics"].contains(&literal);
            // The router matches whole segments: the fragments' `{mode}.html` is served as `{file}`.
            let as_documented = literal.replace("{file}", "{mode}.html");
            if is_api && !documented.contains(as_documented.as_str()) {
                undocumented.push(format!("{literal} in {}", file.display()));
            }
        }
    }
    assert!(seen > 10, "the scan found the web layer's routes");
    assert!(undocumented.is_empty(), "served but not in the OpenAPI document: {undocumented:#?}");
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn the_session_scheme_names_the_cookie_this_server_reads() {
    let (_plain, document) = served_document().await;
    let scheme = &document["components"]["securitySchemes"]["session"];
    assert_eq!((&scheme["in"], &scheme["name"]), (&Value::from("cookie"), &Value::from("fanfare_session")));

    let https =
        spawn_app_with(|settings| settings.public_url = Some("https://reviews.acme.test".into())).await;
    let document: Value =
        https.client.get(https.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(document["components"]["securitySchemes"]["session"]["name"], "__Host-fanfare_session");
}
