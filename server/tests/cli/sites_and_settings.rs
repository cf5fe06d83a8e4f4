//! Sites, users and settings: what an operator sets up first, and where settings come from.

use fanfare_protocol::referrals::ReferralAttribution;

use crate::helpers::*;

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
fn site_set_turns_structured_data_on_and_off_and_names_a_wrong_value() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let on = || cli.site("acme").structured_data;
    assert!(!on(), "off by default");

    cli.ok(&["site", "set", "acme", "--structured-data", "on"]);
    assert!(on());
    let refused = cli.fails(&["site", "set", "acme", "--structured-data", "yes"]);
    assert!(refused.contains("--structured-data must be on or off"), "{refused}");
    assert!(on(), "nothing changed");
    cli.ok(&["site", "set", "acme", "--structured-data", "off"]);
    assert!(!on());
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
    // SQLite files of their own: their media go beside each (not in the test database's store).
    let command = || {
        let mut command = cli.command();
        command.env_remove("FANFARE_MEDIA_URL");
        command
    };

    assert!(command().args(site_add).status().unwrap().success());
    assert!(from_file.exists(), "fanfare.toml supplies the database when nothing else does");

    let from_env = cli.dir.path().join("from-env.db");
    let status = command()
        .env("FANFARE_DATABASE_URL", format!("sqlite://{}", from_env.display()))
        .args(site_add)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(from_env.exists(), "the environment beats the file");

    std::fs::write(cli.dir.path().join("fanfare.toml"), "databse = 'typo'\n").unwrap();
    let output = command().args(["site", "list"]).output().unwrap();
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
