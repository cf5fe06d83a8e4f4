//! Data in and out: export, import, erase, backups, and what pruning leaves.

use fanfare_server::storage::Backend;
use fanfare_server::testing::backend_from_env;

use crate::helpers::*;

#[test]
fn data_goes_out_and_back_in_and_can_be_erased() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let csv = "name,email,rating,text,consent,status,tags\n\
               Ada,ada@example.com,5,\"Lovely, fresh beans\",true,approved,beans\n\
               \"=cmd|' /C calc'!A0\",eve@example.com,4,Good service,false,pending,\n";
    let input = cli.dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let imported = cli.ok(&["import", "--site", "acme", input.to_str().unwrap()]);
    assert!(imported.contains("imported 2"), "{imported}");

    let exported_csv = cli.ok(&["export", "--site", "acme", "--format", "csv"]);
    assert!(exported_csv.contains("\"'=cmd|"), "formula cells are defused: {exported_csv}");
    let json_path = cli.dir.path().join("acme.json");
    cli.ok(&["export", "--site", "acme", "--output", json_path.to_str().unwrap()]);
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(export["testimonials"].as_array().unwrap().len(), 2);

    // What export wrote, import reads: into a second database, byte-identical on the way out.
    let other = Cli::new();
    other.add_site("acme", "https://acme.test");
    other.ok(&["import", "--site", "acme", json_path.to_str().unwrap()]);
    assert_eq!(other.ok(&["export", "--site", "acme", "--format", "csv"]), exported_csv);
    let again = other.ok(&["import", "--site", "acme", json_path.to_str().unwrap()]);
    assert!(again.contains("imported 0") && again.contains("2 already present"), "{again}");

    let erased = cli.ok(&["erase", "--site", "acme", "--email", "ADA@example.com"]);
    assert!(erased.contains("erased 1"), "{erased}");
    assert!(!cli.ok(&["export", "--site", "acme"]).contains("ada@example.com"));
}

#[test]
fn an_export_imported_into_another_site_arrives_there_as_new_items_once() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    cli.add_site("other", "https://other.test");
    let csv = "name,email,rating,text,consent,status,tags,ref\n\
               Ada,ada@example.com,5,Lovely fresh beans,true,approved,beans,ADA-7Q\n\
               Bob,bob@example.com,3,Slow but fine,false,pending,,\n";
    let input = cli.dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    cli.ok(&["import", "--site", "acme", input.to_str().unwrap()]);
    let export_path = cli.dir.path().join("acme-export.json");
    cli.ok(&["export", "--site", "acme", "--output", export_path.to_str().unwrap()]);
    let export = export_path.to_str().unwrap();
    let acme_before = cli.ok(&["export", "--site", "acme", "--format", "csv"]);

    let moved = cli.ok(&["import", "--site", "other", export]);
    assert!(
        moved.contains("imported 2 testimonials into other, 2 of them as new items with new ids")
            && moved.contains("0 already present"),
        "{moved}"
    );
    let items = |site: &str| -> Vec<serde_json::Value> {
        let export: serde_json::Value = serde_json::from_str(&cli.ok(&["export", "--site", site])).unwrap();
        let mut items = export["testimonials"].as_array().unwrap().clone();
        // Both rows were imported in the same millisecond, so export orders them by id.
        items.sort_by_key(|item| item["name"].as_str().unwrap_or_default().to_owned());
        items
    };
    let (acme, other) = (items("acme"), items("other"));
    assert_eq!(other.len(), 2);
    for (original, copy) in acme.iter().zip(&other) {
        assert_ne!(original["id"], copy["id"], "a new id in the other site");
        for field in ["name", "email", "text", "status", "consent", "tags", "ref", "created_at"] {
            assert_eq!(original[field], copy[field], "{field} comes along");
        }
    }
    assert_eq!(cli.ok(&["export", "--site", "acme", "--format", "csv"]), acme_before, "acme is untouched");

    let again = cli.ok(&["import", "--site", "other", export]);
    assert!(again.contains("imported 0") && again.contains("2 already present"), "{again}");
    let home = cli.ok(&["import", "--site", "acme", export]);
    assert!(home.contains("imported 0") && home.contains("2 already present"), "{home}");
    assert_eq!(items("other").len(), 2, "nothing stored twice");
}

#[tokio::test]
async fn erase_on_the_command_line_leaves_nothing_of_the_address_at_rest() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let storage = fanfare_server::storage::connect(&cli.database()).await.unwrap();
    let site = storage.site_by_slug("acme").await.unwrap().unwrap();
    // Nothing listens on the discard port: the delivery stays queued, payload and all.
    storage
        .add_webhook(site.id, "http://127.0.0.1:9/hook", "whsec", 0, 10)
        .await
        .unwrap()
        .expect("under the cap");
    let server = cli.serve();
    server.ready().await;
    let submitted = reqwest::Client::new()
        .post(format!("{}/api/v1/sites/acme/testimonials", server.url))
        .header("Origin", "https://acme.test")
        .header("Idempotency-Key", "0b6f3c58-2f7e-4d61-a0c4-5e1f7d9a2b3c")
        .json(&serde_json::json!({
            "name": "Ada Lovelace", "email": "ada@example.com", "rating": 5,
            "text": "The beans are wonderful and arrive fresh.", "consent": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 201);
    let before = everything_at_rest(&cli.database()).await;
    assert!(before.contains("webhook_deliveries: ") && before.contains("idempotency_keys: "), "{before}");

    let erased = cli.ok(&["erase", "--site", "acme", "--email", "ada@example.com"]);
    assert!(erased.contains("erased 1"), "{erased}");
    let after = everything_at_rest(&cli.database()).await.to_lowercase();
    for trace in ["ada@example.com", "ada lovelace", "the beans are wonderful"] {
        assert!(!after.contains(trace), "{trace} is left:\n{after}");
    }
    assert!(!after.contains("idempotency_keys: "), "the replayable answer went too:\n{after}");
}

#[tokio::test]
async fn serve_prunes_what_is_past_its_retention() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let storage = fanfare_server::storage::connect(&cli.database()).await.unwrap();
    let site = storage.site_by_slug("acme").await.unwrap().unwrap();
    let user = storage
        .upsert_user("mod@acme.test", None, site.id, fanfare_server::domain::Role::Moderator, 1)
        .await
        .unwrap();
    // Written as of the epoch: past every retention by decades.
    storage.create_session("long-expired", user.id, "csrf", 1, 2).await.unwrap();
    storage.use_nonce("long-used", 1).await.unwrap();
    storage.claim_idempotency_key(site.id, "long-gone", "request", 1, 0, 0).await.unwrap();
    let rows = |text: &str| ["sessions: ", "used_nonces: ", "idempotency_keys: "].map(|t| text.contains(t));
    assert_eq!(rows(&everything_at_rest(&cli.database()).await), [true; 3]);

    let server = cli.serve();
    server.ready().await;
    // `serve` prunes once as it starts, beside answering requests: wait for that round.
    let mut left = [true; 3];
    for _ in 0..200 {
        left = rows(&everything_at_rest(&cli.database()).await);
        if left == [false; 3] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, [false; 3], "expired session, used nonce and old idempotency key are pruned");
}

#[test]
fn a_bad_import_names_the_problem_and_stores_nothing() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let input = cli.dir.path().join("bad.csv");
    std::fs::write(
        &input,
        "name,email,rating,text,consent\nAda,ada@example.com,5,Fine,true\nBob,not-an-email,5,Fine,true\n",
    )
    .unwrap();
    let error = cli.fails(&["import", "--site", "acme", input.to_str().unwrap()]);
    assert!(error.contains("testimonial 2") && error.contains("email"), "{error}");
    let export: serde_json::Value = serde_json::from_str(&cli.ok(&["export", "--site", "acme"])).unwrap();
    assert!(export["testimonials"].as_array().unwrap().is_empty());
}

#[test]
fn backups_are_complete_databases() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let backup = cli.dir.path().join("backup.db");
    if backend_from_env() == Backend::Postgres {
        let refused = cli.fails(&["backup", backup.to_str().unwrap()]);
        assert!(refused.contains("pg_dump"), "PostgreSQL backups point at its own tools: {refused}");
        return;
    }
    cli.ok(&["backup", backup.to_str().unwrap()]);
    let list_backup = || {
        cli.command().args(["--database", &format!("sqlite://{}", backup.display()), "site", "list"]).output()
    };
    // The backup is sealed like its database: without that database's key it is refused, and
    // the key file made for it on the way is removed again.
    let backup_key = cli.dir.path().join("backup.db.key");
    let refused = list_backup().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("different secret key"), "{stderr}");
    assert!(stderr.contains("backup.db.key") && !backup_key.exists(), "{stderr}");
    let database_key = format!("{}.key", cli.database().trim_start_matches("sqlite://"));
    std::fs::copy(database_key, &backup_key).unwrap();
    let listed = list_backup().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("acme"), "{listed:?}");
    let refused = cli.fails(&["backup", backup.to_str().unwrap()]);
    assert!(refused.contains("already exists"), "{refused}");
}
