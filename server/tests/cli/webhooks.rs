//! Webhooks from the command line, and the operator's say over private networks.

use crate::helpers::*;

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
