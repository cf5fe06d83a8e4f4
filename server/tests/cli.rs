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

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fanfare"));
        command.current_dir(self.dir.path()).env_remove("FANFARE_DATABASE_URL").env("FANFARE_LOG", "warn");
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
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let child = self
            .command()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database", &self.database()])
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
    let listed = cli
        .command()
        .args(["--database", &format!("sqlite://{}", backup.display()), "site", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("acme"));
    let refused = cli.fails(&["backup", backup.to_str().unwrap()]);
    assert!(refused.contains("already exists"), "{refused}");
}
