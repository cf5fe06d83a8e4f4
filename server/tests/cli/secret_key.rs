//! The operator's secret key: made beside SQLite, required for PostgreSQL, never another.

use crate::helpers::*;

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
