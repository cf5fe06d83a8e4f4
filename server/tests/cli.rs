//! The `fanfare` binary as an operator uses it: fresh databases, a server running beside the CLI.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

use fanfare_protocol::referrals::ReferralAttribution;
use fanfare_server::storage::{self, Backend, Site};
use fanfare_server::testing::{backend_from_env, TestDatabase};

struct Cli {
    dir: tempfile::TempDir,
    /// SQLite or PostgreSQL, as `FANFARE_TEST_BACKEND` says.
    database: TestDatabase,
}

impl Cli {
    fn new() -> Self {
        // Tests here are sync or async; a thread of its own may block on the setup either way.
        let database = std::thread::spawn(|| {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(TestDatabase::create()).expect("a fresh database")
        })
        .join()
        .expect("the database setup finished");
        Self { dir: tempfile::tempdir().expect("a temporary directory"), database }
    }

    fn database(&self) -> String {
        self.database.url.clone()
    }

    /// The site as stored now, read beside the CLI.
    fn site(&self, slug: &str) -> Site {
        let (url, slug) = (self.database(), slug.to_owned());
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let storage = storage::connect(&url).await.expect("the database opens");
                storage.site_by_slug(&slug).await.expect("the site is read").expect("the site exists")
            })
        })
        .join()
        .expect("the site was read")
    }

    /// [`everything_at_rest`] in this database, from sync tests too.
    fn at_rest(&self) -> String {
        let url = self.database();
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(everything_at_rest(&url))
        })
        .join()
        .expect("the tables were read")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fanfare"));
        command
            .current_dir(self.dir.path())
            .env_remove("FANFARE_DATABASE_URL")
            .env_remove("FANFARE_ALLOW_PRIVATE_NETWORK_WEBHOOKS")
            .env_remove("FANFARE_SECRET_KEY")
            .env_remove("FANFARE_SECRET_KEY_FILE")
            .env("FANFARE_LOG", "warn");
        // SQLite finds its key beside the database (the test database wrote it there, as the
        // first start would); PostgreSQL has no such place and is given the key.
        if backend_from_env() == Backend::Postgres {
            let (name, value) = self.database.secret_key_env();
            command.env(name, value);
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().arg("--database").arg(self.database()).args(args).output().expect("fanfare runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "fanfare {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(!output.status.success(), "fanfare {args:?} should fail");
        String::from_utf8(output.stderr).expect("utf-8 output")
    }

    /// `fanfare site add SLUG --name … --origin ORIGIN`, which must succeed.
    fn add_site(&self, slug: &str, origin: &str) {
        self.ok(&["site", "add", slug, "--name", &format!("{slug} shop"), "--origin", origin]);
    }

    /// `fanfare user add … --password-stdin` with `password` typed on standard input.
    fn add_user_with_password(&self, email: &str, site: &str, password: &str) -> Output {
        let mut child = self
            .command()
            .args(["user", "add", email, "--site", site, "--password-stdin", "--database", &self.database()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fanfare runs");
        child
            .stdin
            .take()
            .expect("a stdin pipe")
            .write_all(format!("{password}\n").as_bytes())
            .expect("typing");
        child.wait_with_output().expect("fanfare finishes")
    }

    fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// `fanfare serve` on a free loopback port, with `extra` flags.
    fn serve_with(&self, extra: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let child = self
            .command()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database", &self.database()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        Server { child, url: format!("http://127.0.0.1:{port}") }
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn ready(&self) {
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", self.url)).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server at {} never became ready", self.url);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sites_are_added_listed_and_changed_on_a_fresh_database() {
    let cli = Cli::new();
    let added = cli.ok(&[
        "site",
        "add",
        "acme",
        "--name",
        "Acme",
        "--origin",
        "https://acme.test/",
        "--origin",
        "http://localhost:3000",
    ]);
    assert!(added.contains("acme"), "{added}");

    let listed = cli.ok(&["site", "list"]);
    assert_eq!(listed.trim(), "acme\tAcme\thttp://localhost:3000 https://acme.test");

    cli.ok(&[
        "site",
        "set",
        "acme",
        "--name",
        "Acme Corp",
        "--origin",
        "https://shop.acme.test",
        "--accent",
        "#112233",
    ]);
    assert_eq!(cli.ok(&["site", "list"]).trim(), "acme\tAcme Corp\thttps://shop.acme.test");
}

#[test]
fn bad_site_input_is_refused_naming_the_value_and_keeps_what_exists() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");

    assert!(cli
        .fails(&["site", "add", "acme", "--name", "Again", "--origin", "https://x.test"])
        .contains("already exists"));
    assert!(cli
        .fails(&["site", "add", "Bad Slug", "--name", "X", "--origin", "https://x.test"])
        .contains("slug"));
    assert!(cli
        .fails(&["site", "add", "beta", "--name", "X", "--origin", "https://x.test/path"])
        .contains("origin"));
    assert!(cli.fails(&["site", "set", "acme", "--accent", "red"]).contains("accent"));
    assert!(cli.fails(&["site", "set", "acme", "--low-rating-threshold", "9"]).contains("threshold"));
    assert!(
        cli.fails(&["site", "set", "acme", "--origin", ""]).contains("--origin"),
        "a blank origin is no origin"
    );
    // The dashboard's rule for consent wording, also on the command line (it used to store "").
    for consent in ["", "   ", &"x".repeat(1001)] {
        assert!(cli.fails(&["site", "set", "acme", "--consent-text", consent]).contains("--consent-text"));
    }

    assert_eq!(cli.ok(&["site", "list"]).trim(), "acme\tacme shop\thttps://acme.test");
}

#[test]
fn site_set_chooses_the_referral_attribution_and_names_a_wrong_one() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let rule = || cli.site("acme").referral_attribution;
    assert_eq!(rule(), ReferralAttribution::First, "first touch by default");

    let refused = cli.fails(&["site", "set", "acme", "--referral-attribution", "middle"]);
    assert!(refused.contains("--referral-attribution must be first"), "{refused}");
    assert_eq!(rule(), ReferralAttribution::First, "nothing changed");

    cli.ok(&["site", "set", "acme", "--referral-attribution", "last"]);
    assert_eq!(rule(), ReferralAttribution::Last);
    cli.ok(&["site", "set", "acme", "--referral-attribution", "first"]);
    assert_eq!(rule(), ReferralAttribution::First);
}

#[test]
fn the_database_flag_may_follow_the_subcommand() {
    let cli = Cli::new();
    let output = cli
        .command()
        .args([
            "site",
            "add",
            "acme",
            "--name",
            "Acme",
            "--origin",
            "https://acme.test",
            "--database",
            &cli.database(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(cli.ok(&["site", "list"]).contains("acme"), "the site went into the database the flag named");
}

#[test]
fn settings_come_from_flags_then_env_then_file() {
    let cli = Cli::new();
    let from_file = cli.dir.path().join("from-file.db");
    std::fs::write(
        cli.dir.path().join("fanfare.toml"),
        format!("database = \"sqlite://{}\"\n", from_file.display()),
    )
    .unwrap();
    let site_add = ["site", "add", "acme", "--name", "Acme", "--origin", "https://acme.test"];

    assert!(cli.command().args(site_add).status().unwrap().success());
    assert!(from_file.exists(), "fanfare.toml supplies the database when nothing else does");

    let from_env = cli.dir.path().join("from-env.db");
    let status = cli
        .command()
        .env("FANFARE_DATABASE_URL", format!("sqlite://{}", from_env.display()))
        .args(site_add)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(from_env.exists(), "the environment beats the file");

    std::fs::write(cli.dir.path().join("fanfare.toml"), "databse = 'typo'\n").unwrap();
    let output = cli.command().args(["site", "list"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("databse"), "unknown settings keys are named");
}

#[tokio::test]
async fn the_cli_works_beside_a_running_server_and_changes_apply_without_restart() {
    let cli = Cli::new();
    let server = cli.serve();
    server.ready().await;

    cli.ok(&["site", "add", "late", "--name", "Added Later", "--origin", "https://late.test"]);
    let config = reqwest::get(format!("{}/api/v1/sites/late/widget", server.url)).await.unwrap();
    assert_eq!(config.status(), 200, "a site added by the CLI is served at once");

    let added = cli.add_user_with_password("mod@late.test", "late", "a long enough passphrase");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let printed = cli.ok(&["token", "create", "--user", "mod@late.test"]);
    let token = printed.lines().last().unwrap().trim();
    assert!(token.starts_with("fft_"), "the token is alone on the last line: {printed:?}");
    for entry in std::fs::read_dir(cli.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "only the token's hash is stored"
        );
    }

    let client = reqwest::Client::new();
    let queue = client
        .get(format!("{}/api/v1/sites/late/moderation/testimonials", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200, "a token created by the CLI works in the running server");
}

#[test]
fn short_passwords_and_unknown_users_are_refused() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let output = cli.add_user_with_password("a@acme.test", "acme", "short");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 10 characters"));

    assert!(cli.fails(&["token", "create", "--user", "ghost@acme.test"]).contains("no user"));
    assert!(cli.fails(&["user", "add", "a@acme.test", "--site", "nope"]).contains("no site"));
}

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

/// Every value of every table, one line per row, as the database holds them.
async fn everything_at_rest(database: &str) -> String {
    fanfare_server::testing::everything_at_rest(database).await.expect("every table reads")
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
    storage.claim_idempotency_key(site.id, "long-gone", "request", 1, 0).await.unwrap();
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

#[test]
fn webhooks_are_added_listed_and_removed_and_private_receivers_need_the_operators_flag() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    cli.add_site("globex", "https://globex.test");

    // Checked, never contacted: `localhost` is resolved, nothing listens on port 9.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f.0.0.1/",
        "http://localhost:9/hook",
    ] {
        let refused = cli.fails(&["webhook", "add", "--site", "acme", url]);
        assert!(refused.contains("url") && refused.contains("public internet"), "{url}: {refused}");
    }
    assert_eq!(cli.ok(&["webhook", "list"]), "", "nothing stored");

    // Flags, then the environment, then fanfare.toml: the file allows, the environment says no.
    std::fs::write(cli.dir.path().join("fanfare.toml"), "allow_private_network_webhooks = true\n").unwrap();
    let env_says_off = cli
        .command()
        .env("FANFARE_ALLOW_PRIVATE_NETWORK_WEBHOOKS", "off")
        .args(["--database", &cli.database(), "webhook", "add", "--site", "acme", "http://127.0.0.1:9/hook"])
        .output()
        .unwrap();
    assert!(!env_says_off.status.success(), "the environment's off wins over the file's true");
    let flag_says_off = cli.run(&[
        "webhook",
        "add",
        "--site",
        "acme",
        "http://127.0.0.1:9/hook",
        "--allow-private-network-webhooks=off",
    ]);
    assert!(!flag_says_off.status.success(), "the flag's off wins over the file's true");
    std::fs::remove_file(cli.dir.path().join("fanfare.toml")).unwrap();
    assert_eq!(cli.ok(&["webhook", "list"]), "", "nothing stored");

    let added = cli.ok(&[
        "webhook",
        "add",
        "--site",
        "acme",
        "http://127.0.0.1:9/hook",
        "--allow-private-network-webhooks",
    ]);
    let secret = added.lines().last().expect("the secret, alone on the last line");
    assert!(secret.starts_with("whsec_") && !secret.contains(' '), "{added}");
    let at_rest = cli.at_rest();
    assert!(at_rest.contains("webhooks: ") && !at_rest.contains(secret), "stored sealed:\n{at_rest}");
    let by_env = cli
        .command()
        .env("FANFARE_ALLOW_PRIVATE_NETWORK_WEBHOOKS", "on")
        .args(["--database", &cli.database(), "webhook", "add", "--site", "globex", "http://10.0.0.1/hook"])
        .output()
        .unwrap();
    assert!(by_env.status.success(), "{}", String::from_utf8_lossy(&by_env.stderr));

    let listed = cli.ok(&["webhook", "list"]);
    let rows: Vec<Vec<&str>> = listed.lines().map(|line| line.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    assert_eq!(rows[0][1..], ["acme", "http://127.0.0.1:9/hook"]);
    assert_eq!(rows[1][1..], ["globex", "http://10.0.0.1/hook"]);
    assert!(!listed.contains(secret), "the secret is shown once");
    assert_eq!(cli.ok(&["webhook", "list", "--site", "globex"]).lines().count(), 1);

    let acme_hook = rows[0][0];
    assert!(
        cli.fails(&["webhook", "remove", "--site", "globex", acme_hook]).contains("no webhook"),
        "another site's webhook is not found"
    );
    assert!(cli.ok(&["webhook", "remove", "--site", "acme", acme_hook]).contains("removed"));
    assert_eq!(cli.ok(&["webhook", "list", "--site", "acme"]), "");
    assert_eq!(cli.ok(&["webhook", "list"]).lines().count(), 1, "globex keeps its webhook");
}

#[tokio::test]
async fn serve_delivers_to_private_networks_only_with_the_operators_flag() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let received = std::sync::Arc::new(std::sync::Mutex::new(0u32));
    let seen = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                *seen.lock().unwrap() += 1;
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    cli.ok(&["webhook", "add", "--site", "acme", &url, "--allow-private-network-webhooks"]);
    let storage = fanfare_server::storage::connect(&cli.database()).await.unwrap();
    let site = storage.site_by_slug("acme").await.unwrap().unwrap();
    let submit = |server: &str| {
        reqwest::Client::new()
            .post(format!("{server}/api/v1/sites/acme/testimonials"))
            .header("Origin", "https://acme.test")
            .json(&serde_json::json!({
                "name": "Ada", "email": "ada@example.com", "rating": 5,
                "text": "The beans are wonderful and arrive fresh.", "consent": true,
            }))
            .send()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);

    {
        let server = cli.serve();
        server.ready().await;
        assert_eq!(submit(&server.url).await.unwrap().status(), 201);
        loop {
            let log = storage.deliveries(site.id, 10).await.unwrap();
            if log.first().is_some_and(|delivery| delivery.attempts == 1) {
                assert_eq!(log[0].last_error.as_deref(), Some("refused: loopback address"));
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the refusal is logged: {log:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(*received.lock().unwrap(), 0, "a server without the flag never connects");
    }

    let server = cli.serve_with(&["--allow-private-network-webhooks"]);
    server.ready().await;
    assert_eq!(submit(&server.url).await.unwrap().status(), 201);
    while *received.lock().unwrap() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the delivery arrives");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn a_sqlite_database_gets_its_secret_key_file_at_first_start_and_never_shows_it() {
    let cli = Cli::new();
    let database = cli.dir.path().join("first.db");
    let key_file = cli.dir.path().join("first.db.key");
    let url = format!("sqlite://{}", database.display());
    let run = |args: &[&str]| {
        let output = cli
            .command()
            .env("FANFARE_LOG", "debug")
            .env_remove("FANFARE_SECRET_KEY")
            .arg("--database")
            .arg(&url)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    };
    let first = run(&["site", "add", "acme", "--name", "Acme", "--origin", "https://acme.test"]);
    let key = std::fs::read_to_string(&key_file).expect("the key file beside the database");
    assert_eq!(key.trim_end().len(), 64, "32 bytes as hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }
    let second = run(&[
        "webhook",
        "add",
        "--site",
        "acme",
        "http://10.0.0.1/hook",
        "--allow-private-network-webhooks",
    ]);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "made once, then read");
    for output in [first, second] {
        assert!(!output.contains(key.trim_end()), "the key is never printed or logged: {output}");
    }
    let missing = cli.dir.path().join("typo.key");
    let refused = cli.fails(&["--secret-key-file", missing.to_str().unwrap(), "site", "list"]);
    assert!(refused.contains("typo.key"), "a named key file is never made up: {refused}");
}

#[tokio::test]
async fn a_command_or_server_with_another_key_refuses_and_changes_nothing() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    cli.ok(&["webhook", "add", "--site", "acme", "http://10.0.0.1/hook", "--allow-private-network-webhooks"]);
    let before = everything_at_rest(&cli.database()).await;
    let other = "ab".repeat(32);
    for args in [
        &["site", "add", "globex", "--name", "Globex", "--origin", "https://globex.test"][..],
        &["webhook", "list"],
        &["serve", "--addr", "127.0.0.1:0"],
    ] {
        let output = cli
            .command()
            .env("FANFARE_SECRET_KEY", &other)
            .arg("--database")
            .arg(cli.database())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} must refuse another key");
        assert!(stderr.contains("sealed with a different secret key"), "{args:?}: {stderr}");
        assert!(stderr.contains("nothing was changed") && !stderr.contains(&other), "{stderr}");
    }
    assert_eq!(everything_at_rest(&cli.database()).await, before, "nothing was changed");
    assert_eq!(cli.ok(&["webhook", "list"]).lines().count(), 1, "the right key still works");
}

#[test]
fn postgres_without_a_secret_key_refuses_naming_the_setting_to_add() {
    let cli = Cli::new();
    // Refused before connecting: nothing listens here, and nothing is touched.
    for args in [
        &["site", "list"][..],
        &["serve"],
        &["webhook", "add", "--site", "acme", "https://hooks.example.com/"],
    ] {
        let output = cli
            .command()
            .env_remove("FANFARE_SECRET_KEY")
            .args(["--database", "postgres://fanfare@127.0.0.1:1/fanfare"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains("no secret key given"), "{args:?}: {stderr}");
        assert!(stderr.contains("secret_key_file = \"/etc/fanfare/secret.key\""), "{stderr}");
        assert!(stderr.contains("FANFARE_SECRET_KEY_FILE=/etc/fanfare/secret.key"), "{stderr}");
        assert!(!stderr.contains("connect"), "refused before connecting: {stderr}");
    }
}
