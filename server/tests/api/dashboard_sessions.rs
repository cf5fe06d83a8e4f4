//! Signing in to the dashboard over real HTTP: the session cookie, rate limits on wrong
//! passwords, redirects, CSRF, and the headers every dashboard page carries.

use fanfare_protocol::api::Status;
use fanfare_server::domain::Role;

use crate::helpers::{captured_log, spawn_app, spawn_app_with, valid_submission, PASSWORD, SITE};

const OWNER: &str = "owner@acme.test";

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_sign_out_really_ends_the_session() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let response = app.login_response(OWNER, PASSWORD, "/admin/sites/acme").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/sites/acme");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http on loopback: {cookie}");
    assert!(cookie.starts_with("fanfare_session="), "browsers refuse __Host- cookies over http: {cookie}");

    let session = app.login(OWNER).await;
    assert!(app.get_page(&session.cookie, "/admin").await.contains("acme Inc."));
    let created = app.submit_ok(&valid_submission()).await;

    let response = app.post_form(&session, "/admin/logout", &[]).await;
    assert_eq!(response.status(), 303);
    // The same cookie, replayed after sign-out, opens nothing and changes nothing.
    let page = app.client.get(app.url("/admin")).header("Cookie", &session.cookie).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert!(page.headers()["location"].to_str().unwrap().starts_with("/admin/login"));
    let path = format!("/admin/sites/{SITE}/testimonials/{}/approve", created.id);
    assert_eq!(app.post_form(&session, &path, &[]).await.status(), 401);
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);
}

#[tokio::test]
async fn on_https_the_session_cookie_is_host_only_and_only_that_name_counts() {
    // TLS ends at the proxy; the public URL is what makes the server speak as https.
    let app = spawn_app_with(|settings| settings.public_url = Some("https://reviews.acme.test".into())).await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let response = app.login_response(OWNER, PASSWORD, "/admin").await;
    assert_eq!(response.status(), 303);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let value = set_cookie
        .strip_prefix("__Host-fanfare_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("a __Host- cookie: {set_cookie}"))
        .to_owned();
    for attribute in ["; Secure", "; Path=/;", "HttpOnly", "SameSite=Lax"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.to_ascii_lowercase().contains("domain="), "{set_cookie}");

    let open = |cookie: String| app.client.get(app.url("/admin")).header("Cookie", cookie).send();
    assert_eq!(open(format!("__Host-fanfare_session={value}")).await.unwrap().status(), 200);
    // The same value under the plain name is what a planted cookie would look like.
    let planted = open(format!("fanfare_session={value}")).await.unwrap();
    assert_eq!(planted.status(), 303);
    assert!(planted.headers()["location"].to_str().unwrap().starts_with("/admin/login"));

    let page = app.get_page(&format!("__Host-fanfare_session={value}"), "/admin/tokens").await;
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let signed_out = app
        .client
        .post(app.url("/admin/logout"))
        .header("Cookie", format!("__Host-fanfare_session={value}"))
        .header("Origin", &app.address)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    let cleared = signed_out.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("__Host-fanfare_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(open(format!("__Host-fanfare_session={value}")).await.unwrap().status(), 303);
}

#[tokio::test]
async fn unknown_people_and_wrong_passwords_get_the_same_answer_until_rate_limited() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let wrong = app.login_response(OWNER, "not the password", "/admin").await;
    let unknown = app.login_response("nobody@acme.test", "not the password", "/admin").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());

    for _ in 0..9 {
        app.login_response(OWNER, "still wrong", "/admin").await;
    }
    let limited = app.login_response(OWNER, PASSWORD, "/admin").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn parallel_wrong_sign_ins_get_only_the_limit_verified() {
    // Ten argon2 checks two at a time take a while in a debug build on a busy machine: the
    // request timeout must not be what answers.
    let app =
        spawn_app_with(|settings| settings.timeouts.request = std::time::Duration::from_secs(600)).await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    // Thirty guesses at once, for one account and for addresses nobody has: every one is
    // counted before its password is checked, so only the limit's ten get an answer.
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..30 {
        let (client, url) = (app.client.clone(), app.url("/admin/login"));
        let origin = app.address.clone();
        let email = if n % 2 == 0 { OWNER.to_owned() } else { format!("guess{n}@acme.test") };
        guesses.spawn(async move {
            let form = [("email", email.as_str()), ("password", "a wrong guess"), ("next", "/admin")];
            client.post(url).header("Origin", origin).form(&form).send().await.unwrap().status()
        });
    }
    let answers: Vec<u16> = guesses.join_all().await.into_iter().map(|status| status.as_u16()).collect();
    let verified = answers.iter().filter(|status| **status == 401).count();
    let refused = answers.iter().filter(|status| **status == 429).count();
    assert_eq!((verified, refused), (10, 20), "{answers:?}");
}

#[tokio::test]
async fn a_successful_sign_in_uses_up_none_of_the_limit() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    // More sign-ins than the limit, each counted before its check and given back after.
    for _ in 0..11 {
        assert_eq!(app.login_response(OWNER, PASSWORD, "/admin").await.status(), 303);
    }
    assert_eq!(app.login_response(OWNER, "wrong", "/admin").await.status(), 401, "not 429");
}

#[tokio::test]
async fn failed_sign_ins_never_log_what_was_typed() {
    let app = spawn_app().await;
    let owner = "log-check-owner@acme.test";
    app.dashboard_user(owner, SITE, Role::Owner).await;
    // A password typed into the email box, and a wrong password for a real account.
    let typed = "Tr0ub4dor&3-in-the-email-box";
    assert_eq!(app.login_response(typed, "whatever", "/admin").await.status(), 401);
    assert_eq!(app.login_response(owner, "Tr0ub4dor&3-as-password", "/admin").await.status(), 401);
    app.login(owner).await;

    let log = captured_log();
    assert!(log.contains(owner) && log.contains("signed in"), "this server's log is captured: {log}");
    assert!(log.contains("failed sign-in: unknown account"), "{log}");
    assert!(!log.contains("Tr0ub4dor"), "typed text reached the log: {log}");
}

#[tokio::test]
async fn sign_in_only_redirects_inside_the_dashboard() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    for next in ["https://evil.test/", "//evil.test", "/manage/x"] {
        let response = app.login_response(OWNER, PASSWORD, next).await;
        assert_eq!(response.headers()["location"], "/admin", "{next}");
    }
}

#[tokio::test]
async fn cross_site_and_tokenless_forms_are_refused() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let created = app.submit_ok(&valid_submission()).await;
    let url = app.url(&format!("/admin/sites/{SITE}/testimonials/{}/approve", created.id));

    let from_elsewhere = app
        .client
        .post(&url)
        .header("Cookie", &session.cookie)
        .header("Origin", "https://evil.test")
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(from_elsewhere.status(), 403);
    let fetch_metadata = app
        .client
        .post(&url)
        .header("Cookie", &session.cookie)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), 403);
    let no_token =
        app.client.post(&url).header("Cookie", &session.cookie).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let as_get = app.client.get(&url).header("Cookie", &session.cookie).send().await.unwrap();
    assert_eq!(as_get.status(), 405);
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);
}

#[tokio::test]
async fn dashboard_pages_cannot_be_framed_and_run_only_our_script() {
    let app = spawn_app().await;
    for path in ["/admin/login", "/admin", "/manage/nothing"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let csp = response.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let script = app.client.get(app.url("/admin/static/admin.js")).send().await.unwrap();
    assert_eq!(script.status(), 200);
}
