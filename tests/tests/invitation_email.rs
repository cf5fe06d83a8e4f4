//! The invitation email as a customer's mail program shows it: its HTML part opened in a real
//! browser reads well (axe-core finds nothing), fetches nothing (no pixel, no remote image or
//! font) and links straight to the collection page and the unsubscribe page of this server.

use anyhow::Context;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::service::invitations::email::{compose, Kind, Links};
use fanfare_tests::browser::{axe_source, Browser};
use fanfare_tests::demo::RunningDemo;

#[tokio::test]
async fn the_invitation_email_reads_well_fetches_nothing_and_links_straight_to_the_page() -> anyhow::Result<()>
{
    let demo = RunningDemo::start().await?;
    let site = demo.service.find_site(DEMO_SITE).await?;
    let (invitations, _) = demo.service.invitations(&site, None, None).await?;
    let invitation = invitations
        .iter()
        .find(|invitation| invitation.email == "lena@example.com")
        .context("the demo invites Lena")?;
    let links = Links {
        collect: demo.service.invitation_url(&site, invitation),
        unsubscribe: demo.service.unsubscribe_url(&site, invitation),
    };
    let email = compose(&site, invitation, Kind::Invitation, &links);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("invitation.html");
    std::fs::write(&file, &email.html)?;

    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("file://{}", file.display())).await?;
    let fetched = page.execute("return performance.getEntriesByType('resource').length", vec![]).await?;
    assert_eq!(fetched.as_u64(), Some(0), "the email loads nothing from anywhere");
    let hrefs = page.execute("return [...document.links].map(a => a.href)", vec![]).await?;
    let hrefs: Vec<String> = serde_json::from_value(hrefs)?;
    assert_eq!(hrefs, [links.collect.clone(), links.unsubscribe.clone()], "two direct links, no redirector");
    assert!(links.collect.starts_with(&format!("{}/c/{DEMO_SITE}?invite=", demo.api_url)));
    let axe = axe_source()?;
    let violations = browser.accessibility_violations(&axe).await?;
    assert!(violations.is_empty(), "accessibility violations in the email: {violations:?}");
    browser.screenshot_if_asked("invitation-email").await?;

    // The plain part says the same, with both links on lines of their own.
    assert!(email.plain.contains(&format!("\n{}\n", links.collect)), "{}", email.plain);
    assert!(email.plain.ends_with(&format!("{}\n", links.unsubscribe)), "{}", email.plain);
    browser.close().await;
    Ok(())
}
