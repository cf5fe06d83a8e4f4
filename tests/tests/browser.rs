//! The whole path in a real browser: the demo website embeds the widget exactly as a customer
//! would; a visitor fills in the form inside its shadow root; a moderator approves through the
//! API; the wall shows the testimonial.

use anyhow::Context as _;
use base64::Engine as _;
use fanfare_protocol::api::Status;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;

/// A 1×1 PNG: the smallest photo a visitor could send.
const RED_DOT_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// A name that would run script if anything rendered it as markup.
const HOSTILE_NAME: &str = "<img src=x onerror=\"document.title='pwned'\"> Mallory";

#[tokio::test]
async fn a_testimonial_goes_from_the_form_to_the_wall_once_approved() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;

    // The visitor fills in the form with the keyboard, inside the collect mount's shadow root.
    let form = browser.mount_root("collect").await?;
    let name = browser.wait_in(&form, "input[name=name]").await?;
    page.send_keys(&name, HOSTILE_NAME).await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "mallory@example.com").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=company]").await?, "Night Owl Bakery").await?;
    page.click(&browser.wait_in(&form, "label[for=fanfare-rating-5]").await?).await?;
    page.send_keys(&browser.wait_in(&form, "textarea[name=text]").await?, "Best espresso in town.").await?;
    // A photo, chosen as a visitor would, uploaded at once.
    let photo_file = tempfile::Builder::new().suffix(".png").tempfile()?;
    std::fs::write(photo_file.path(), base64::engine::general_purpose::STANDARD.decode(RED_DOT_PNG)?)?;
    let photo_input = browser.wait_in(&form, "input[name=photo]").await?;
    page.send_keys(&photo_input, &photo_file.path().display().to_string()).await?;
    browser.wait_in(&form, ".fanfare-photo-ok").await?;
    let consent = browser.wait_in(&form, "input[name=consent]").await?;
    assert_eq!(page.property(&consent, "checked").await?, false, "consent starts unticked");
    page.click(&consent).await?;
    browser.screenshot_if_asked("collect-filled").await?;
    page.click(&browser.wait_in(&form, "button[type=submit]").await?).await?;

    let thanks = browser.wait_in(&form, ".fanfare-thanks").await?;
    browser.screenshot_if_asked("collect-thanks").await?;
    let thanks_text = page.text(&thanks).await?;
    assert!(thanks_text.contains("once it has been reviewed"), "{thanks_text}");
    assert!(thanks_text.contains("/manage/"), "the private manage link is shown: {thanks_text}");
    // Five stars: the thank-you screen offers the author their own referral link.
    page.click(&browser.wait_in(&form, ".fanfare-offer button").await?).await?;
    let link = browser.wait_in(&form, "#fanfare-ref-link").await?;
    let link = page.property(&link, "value").await?;
    assert!(link.as_str().unwrap_or_default().contains("?ref="), "{link}");

    // Stored as pending, with the page it came from; not on the wall yet.
    let pending = demo.queue(Status::Pending).await?;
    let submitted =
        pending.items.iter().find(|item| item.public.name == HOSTILE_NAME).expect("the submission is queued");
    assert_eq!(submitted.email, "mallory@example.com");
    assert_eq!(submitted.public.rating, 5);
    assert!(submitted.consent);
    assert_eq!(submitted.page_url.as_deref(), Some(format!("{}/kind-words.html", demo.site_url).as_str()));

    demo.approve(&submitted.public.id).await?;
    page.refresh().await?;

    let wall = browser.mount_root("wall").await?;
    let names = wait_for("the approved testimonial on the wall", || async {
        let Some(list) = page.find_in(&wall, ".fanfare-grid").await? else {
            return Ok(None);
        };
        let text = page.text(&list).await?;
        Ok(text.contains("Mallory").then_some(text))
    })
    .await?;
    browser.screenshot_if_asked("wall").await?;
    assert!(names.contains(HOSTILE_NAME), "the name shows as literal text: {names}");
    assert!(names.contains("Best espresso in town."));
    // The only image is the photo, re-encoded by the server and loaded from it.
    let photo = browser.wait_in(&wall, "img.fanfare-photo").await?;
    wait_until("the photo to load", || async {
        Ok(page.property(&photo, "naturalWidth").await?.as_u64().unwrap_or(0) > 0)
    })
    .await?;
    assert!(
        page.find_in(&wall, "img:not(.fanfare-photo)").await?.is_none(),
        "no element was made from the visitor's markup"
    );
    assert_ne!(page.execute("return document.title", vec![]).await?, "pwned");
    let label = page.text(&browser.wait_in(&wall, "h2").await?).await?;
    assert_eq!(label, "Selected testimonials", "the wall says it is a selection");

    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn the_form_names_each_mistake_before_sending_and_stores_nothing() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    // The demo's history has a few waiting already.
    let pending = demo.queue(Status::Pending).await?.items.len();
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/product.html", demo.site_url)).await?;

    let form = browser.mount_root("collect").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "not-an-email").await?;
    page.click(&browser.wait_in(&form, "button[type=submit]").await?).await?;

    let alert = browser.wait_in(&form, "[role=alert] p").await?;
    browser.screenshot_if_asked("collect-errors").await?;
    assert_eq!(page.text(&alert).await?, "Please check the highlighted fields.");
    for (field, sentence) in [
        ("name", "Name is required"),
        ("email", "Email must be an email address like name@example.com"),
        ("rating", "Rating is required"),
        ("text", "Testimonial is required"),
    ] {
        let error = browser.wait_in(&form, &format!("#fanfare-{field}-error")).await?;
        assert_eq!(page.text(&error).await?, sentence, "{field} has its own error text");
    }
    let email = browser.wait_in(&form, "input[name=email]").await?;
    assert_eq!(page.property(&email, "ariaInvalid").await?, "true");
    let described =
        page.execute("return arguments[0].getAttribute('aria-describedby')", vec![email.to_json()]).await?;
    assert!(described.as_str().is_some_and(|ids| ids.contains("fanfare-email-error")), "{described}");

    assert_eq!(demo.queue(Status::Pending).await?.items.len(), pending, "nothing was sent");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn malformed_language_tags_still_get_their_language_and_working_dates() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    // Tags the browser's Intl throws on, as real pages have them: `de_DE` is read as `de-DE`;
    // `de-x` cannot be repaired. The wall is written by the server, which goes by the primary
    // subtag: German texts, numbers (a decimal comma) and dates for both.
    for tag in ["de_DE", "de-x"] {
        page.goto(&format!("{}/kind-words.html?lang={tag}", demo.site_url)).await?;
        let wall = browser.mount_root("wall").await?;
        let title = page.text(&browser.wait_in(&wall, "#fanfare-wall-title").await?).await?;
        assert_eq!(title, "Ausgewählte Erfahrungsberichte", "{tag}");
        let date = browser.wait_in(&wall, "time").await?;
        let (shown, datetime) = (page.text(&date).await?, page.property(&date, "dateTime").await?);
        assert!(
            !shown.is_empty() && Some(shown.as_str()) != datetime.as_str(),
            "{tag}: {shown} ({datetime})"
        );
        let summary = page.text(&browser.wait_in(&wall, ".fanfare-summary").await?).await?;
        assert!(summary.contains(" von 5 "), "{tag}: {summary}");
        assert!(summary.contains(','), "{tag}: {summary}");
    }

    let form = browser.mount_root("collect").await?;
    page.click(&browser.wait_in(&form, "button[type=submit]").await?).await?;
    for (field, sentence) in
        [("name", "Name ist erforderlich"), ("text", "Erfahrungsbericht ist erforderlich")]
    {
        let error = browser.wait_in(&form, &format!("#fanfare-{field}-error")).await?;
        assert_eq!(page.text(&error).await?, sentence);
    }
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn a_page_without_mounts_offers_the_floating_button_and_its_dialog() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/index.html", demo.site_url)).await?;

    let floating = browser.widget_root("[data-fanfare-floating]").await?;
    let button = browser.wait_in(&floating, "button").await?;
    assert_eq!(page.text(&button).await?, "Leave a testimonial");
    page.click(&button).await?;

    browser.wait_in(&floating, "dialog[open] input[name=name]").await?;
    browser.screenshot_if_asked("floating-dialog").await?;
    let focused_in_dialog = page
        .execute("const f = document.querySelector('[data-fanfare-floating]').shadowRoot.activeElement; return !!(f && f.closest('dialog'))", vec![])
        .await?;
    assert_eq!(focused_in_dialog, true, "focus moves into the dialog");

    page.click(&browser.wait_in(&floating, "dialog[open] .fanfare-close").await?).await?;
    wait_until("the dialog to close", || async {
        Ok(page.find_in(&floating, "dialog[open]").await?.is_none())
    })
    .await?;
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn the_badge_and_the_carousel_show_the_honest_summary_and_one_at_a_time() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;

    page.goto(&format!("{}/product.html", demo.site_url)).await?;
    let badge = browser.mount_root("badge").await?;
    let link = browser.wait_in(&badge, "a.fanfare-badge").await?;
    let label = page.property(&browser.wait_in(&badge, "[role=img]").await?, "ariaLabel").await?;
    assert!(
        label.as_str().unwrap_or_default().contains("out of 5 from"),
        "stars have a text alternative: {label}"
    );
    let href = page.property(&link, "href").await?;
    assert!(href.as_str().unwrap_or_default().ends_with("/kind-words.html"), "{href}");
    browser.screenshot_if_asked("badge").await?;

    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    let carousel = browser.mount_root("carousel").await?;
    let listed = demo.wall().await?;
    let texts: Vec<&str> = listed.items.iter().map(|item| item.text.as_str()).collect();
    assert!(texts.len() > 2, "enough testimonials that Next and Previous land on different ones: {texts:?}");
    let (quote, position) = (".fanfare-slide > li:not(.is-away) .fanfare-quote", ".fanfare-controls > span");
    // Paused first, so from here on only the visitor's own click may move it.
    let pause = browser.wait_in(&carousel, "button[aria-pressed]").await?;
    assert_eq!(page.property(&pause, "ariaPressed").await?, "false", "it turns by itself at first");
    page.click(&pause).await?;
    wait_until("the carousel to pause", || async {
        Ok(page.property(&pause, "ariaPressed").await? == "true")
    })
    .await?;
    assert_eq!(page.text(&pause).await?, "Play");
    let first = page.text(&browser.wait_in(&carousel, quote).await?).await?;
    let at = texts.iter().position(|text| *text == first).context("the slide is a published testimonial")?;
    assert_eq!(
        page.text(&browser.wait_in(&carousel, position).await?).await?,
        format!("{} of {}", at + 1, texts.len())
    );
    let visible = "return [...document.querySelector('[data-fanfare=carousel]').shadowRoot.querySelectorAll('.fanfare-quote')]
                     .filter(quote => getComputedStyle(quote).visibility === 'visible').length";
    assert_eq!(page.execute(visible, vec![]).await?, 1, "one at a time");

    page.click(&browser.wait_in(&carousel, "[data-step='1']").await?).await?;
    let second = wait_for("the next testimonial", || async {
        let text = page.text(&browser.wait_in(&carousel, quote).await?).await?;
        Ok((text != first).then_some(text))
    })
    .await?;
    // The wait already knows it moved; this is where to: one step on, in the wall's order.
    let next = (at + 1) % texts.len();
    assert_eq!(second, texts[next], "Next shows the testimonial after {first:?}");
    assert_eq!(
        page.text(&browser.wait_in(&carousel, position).await?).await?,
        format!("{} of {}", next + 1, texts.len())
    );
    let live = page.property(&browser.wait_in(&carousel, ".fanfare-slide").await?, "ariaLive").await?;
    assert_eq!(live, "polite", "a move the visitor made is announced");
    browser.screenshot_if_asked("carousel").await?;
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn a_low_rating_becomes_private_feedback_with_contact_me() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let form = browser.mount_root("collect").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=name]").await?, "Unhappy Una").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "una@example.com").await?;
    page.click(&browser.wait_in(&form, "label[for=fanfare-rating-2]").await?).await?;
    browser.wait_in(&form, ".fanfare-private").await?;
    assert!(
        page.find_in(&form, "input[name=consent]").await?.is_none(),
        "nothing to publish, no consent asked"
    );
    page.send_keys(&browser.wait_in(&form, "textarea[name=text]").await?, "The beans arrived stale.").await?;
    page.click(&browser.wait_in(&form, "input[name=contact_me]").await?).await?;
    page.click(&browser.wait_in(&form, "button[type=submit]").await?).await?;
    let thanks = page.text(&browser.wait_in(&form, ".fanfare-thanks").await?).await?;
    assert!(thanks.contains("Thank you for telling us"), "{thanks}");

    let site = demo.storage.site_by_slug(fanfare_server::cli::demo::DEMO_SITE).await?.expect("the demo site");
    let stored = demo
        .storage
        .all_testimonials(site.id)
        .await?
        .into_iter()
        .find(|t| t.name == "Unhappy Una")
        .expect("the feedback is stored");
    assert!(!stored.consent && stored.follow_up && stored.contact_me);
    browser.close().await;
    Ok(())
}
