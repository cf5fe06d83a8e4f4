//! Video testimonials in Chromium, recorded from its stand-in camera and microphone
//! (`--use-fake-device-for-media-stream`): in the embedded collect form (the countdown, the
//! timer, the preview, the upload and its progress), sent with the written text, approved
//! through the moderation API and played on the wall; a visitor who refuses the camera is told
//! so and still sends the text; and the collection page records too, saying when the microphone
//! hears nothing, and carrying on when the connection drops mid-upload. The recorder is the real one (`/widget/recorder-….js`), against the real
//! server, under the demo website's strict CSP and the collection page's own.

use anyhow::{bail, Context};
use fanfare_protocol::api::{ModerationTestimonial, Status};
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_tests::browser::{axe_source, wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use fanfare_tests::webdriver::Element;
use serde_json::{json, Value};

/// Where the form is, as a script expression: inside the collect mount's shadow root, or the
/// collection page's document.
const EMBEDDED: &str = "document.querySelector('[data-fanfare=collect]').shadowRoot";
const HOSTED: &str = "document";

/// The recorder inside a form.
struct Recorder<'a> {
    browser: &'a Browser,
    root: &'static str,
}

impl Recorder<'_> {
    /// The first element matching `css` under the form's root, if any.
    async fn find(&self, css: &str) -> anyhow::Result<Option<Element>> {
        let found = self
            .browser
            .session
            .execute(&format!("return {}.querySelector(arguments[0])", self.root), vec![json!(css)])
            .await?;
        Ok(found
            .as_object()
            .and_then(|object| object.values().next()?.as_str())
            .map(|id| Element(id.to_owned())))
    }

    async fn wait(&self, css: &str) -> anyhow::Result<Element> {
        wait_for(css, || self.find(css)).await
    }

    async fn text(&self, css: &str) -> anyhow::Result<String> {
        self.browser.session.text(&self.wait(css).await?).await
    }

    async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.browser.session.click(&self.wait(css).await?).await
    }

    /// Clicks the recorder's button for `action` (its `data-action`) that is showing.
    async fn press(&self, action: &str) -> anyhow::Result<()> {
        self.click(&format!(".fanfare-rec button[data-action={action}]:not([hidden])")).await
    }

    /// Waits for the recorder to be in `state` (`choose`, `live`, `sending`, `done`, …); when
    /// it does not get there, says where it is and what it says.
    async fn reaches(&self, state: &str) -> anyhow::Result<()> {
        let css = format!(".fanfare-rec[data-state={state}]");
        if let Err(error) = self.wait(&css).await {
            let script = format!(
                "const rec = {}.querySelector('.fanfare-rec');
                 return rec && [rec.dataset.state, rec.querySelector('.fanfare-error').textContent]",
                self.root
            );
            let shown = self.browser.session.execute(&script, vec![]).await?;
            bail!("{error:#}; the recorder is at (state, alert) {shown}");
        }
        Ok(())
    }

    /// Notes, from now on, every state the recorder passes through and every value its progress
    /// bar shows, so the test can look at the upload afterwards without racing it.
    async fn watch(&self) -> anyhow::Result<()> {
        let script = format!(
            "const rec = {}.querySelector('.fanfare-rec');
             window.__seen = {{ states: [rec.dataset.state], progress: [] }};
             new MutationObserver(changes => changes.forEach(change => {{
               if (change.attributeName === 'data-state') window.__seen.states.push(rec.dataset.state);
               if (change.target.localName === 'progress') window.__seen.progress.push(change.target.value);
             }})).observe(rec, {{ attributes: true, subtree: true, attributeFilter: ['data-state', 'value'] }});",
            self.root
        );
        self.browser.session.execute(&script, vec![]).await.map(drop)
    }

    async fn seen(&self) -> anyhow::Result<(Vec<String>, Vec<f64>)> {
        let seen = self.browser.session.execute("return window.__seen", vec![]).await?;
        Ok((
            serde_json::from_value(seen["states"].clone())?,
            serde_json::from_value(seen["progress"].clone())?,
        ))
    }

    /// Records from the camera: Record, the 3-2-1 countdown, then the timer until it shows
    /// `seconds`, then Stop; waits until the video is stored.
    async fn record(&self, seconds: u64) -> anyhow::Result<()> {
        self.start_recording(seconds).await?;
        self.watch().await?;
        self.press("stop").await?;
        self.stored().await
    }

    /// Record, the 3-2-1 countdown, then the timer until it shows `seconds`.
    async fn start_recording(&self, seconds: u64) -> anyhow::Result<()> {
        self.press("record").await?;
        let digit = wait_for("the countdown", || async {
            let Some(count) = self.find(".fanfare-rec-count:not([hidden])").await? else {
                return Ok(None);
            };
            let shown = self.browser.session.text(&count).await?;
            Ok((!shown.is_empty()).then_some(shown))
        })
        .await?;
        assert!(["3", "2", "1"].contains(&digit.as_str()), "the countdown shows {digit}");
        let timer = wait_for("the timer to reach the length wanted", || async {
            let Some(timer) = self.find(".fanfare-rec-time.is-on").await? else {
                return Ok(None);
            };
            let shown = self.browser.session.text(&timer).await?;
            Ok((elapsed(&shown)? >= seconds).then_some(shown))
        })
        .await?;
        assert!(timer.starts_with("Recording ") && timer.ends_with(" / 2:00"), "{timer}");
        Ok(())
    }

    /// Waits until the video is stored, its preview showing.
    async fn stored(&self) -> anyhow::Result<()> {
        self.reaches("done").await?;
        let preview = self.wait("video.fanfare-rec-video[controls]").await?;
        let source = self.browser.session.property(&preview, "currentSrc").await?;
        assert!(source.as_str().is_some_and(|source| source.starts_with("blob:")), "the preview: {source}");
        Ok(())
    }

    /// After [`Recorder::record`]: the upload went through its states with a progress bar
    /// that reached 100, and the camera is off.
    async fn uploaded_with_progress(&self) -> anyhow::Result<()> {
        let (states, progress) = self.seen().await?;
        let sending = states.iter().position(|state| state == "sending");
        let done = states.iter().position(|state| state == "done");
        assert!(matches!((sending, done), (Some(sending), Some(done)) if sending < done), "{states:?}");
        assert_eq!(progress.last().copied(), Some(100.0), "the progress bar: {progress:?}");
        assert!(progress.windows(2).all(|pair| pair[0] <= pair[1]), "it only goes forward: {progress:?}");
        let status = self.text(".fanfare-rec-status").await?;
        assert!(status.starts_with("Video added."), "{status}");
        let cameras_on = self
            .browser
            .session
            .execute(
                &format!("return {}.querySelector('video:not([controls])').srcObject", self.root),
                vec![],
            )
            .await?;
        assert_eq!(cameras_on, Value::Null, "the camera is off once the video is recorded");
        Ok(())
    }
}

/// `3` from "Recording 0:03 / 2:00".
fn elapsed(timer: &str) -> anyhow::Result<u64> {
    let clock = timer.split_whitespace().find(|word| word.contains(':')).context("a time")?;
    let (minutes, seconds) = clock.split_once(':').context("m:ss")?;
    Ok(minutes.parse::<u64>()? * 60 + seconds.parse::<u64>()?)
}

/// Fills in the embedded form, all but the video.
async fn fill_embedded(browser: &Browser, name: &str, text: &str) -> anyhow::Result<()> {
    let page = &browser.session;
    let form = browser.mount_root("collect").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=name]").await?, name).await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "video@example.com").await?;
    page.click(&browser.wait_in(&form, "label[for=fanfare-rating-5]").await?).await?;
    page.send_keys(&browser.wait_in(&form, "textarea[name=text]").await?, text).await?;
    page.click(&browser.wait_in(&form, "input[name=consent]").await?).await?;
    Ok(())
}

async fn pending_from(demo: &RunningDemo, name: &str) -> anyhow::Result<ModerationTestimonial> {
    let pending = demo.queue(Status::Pending).await?;
    pending
        .items
        .into_iter()
        .find(|item| item.public.name == name)
        .with_context(|| format!("{name}'s testimonial"))
}

async fn no_violations(browser: &Browser, axe: &str, what: &str) -> anyhow::Result<()> {
    let violations = browser.accessibility_violations(axe).await?;
    assert!(violations.is_empty(), "axe-core on {what}: {violations:#?}");
    Ok(())
}

fn csp_reports(demo: &RunningDemo) -> anyhow::Result<Vec<String>> {
    match demo.csp_reports.lock() {
        Ok(reports) => Ok(reports.clone()),
        Err(_) => bail!("the CSP report list is poisoned"),
    }
}

#[tokio::test]
async fn a_recorded_video_goes_from_the_form_to_the_wall_once_approved() -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    fill_embedded(&browser, "Vera Video", "The roast is even better than it looks on camera.").await?;

    // The recorder is not part of the widget's download: it arrives when the visitor asks.
    let loaded =
        "return performance.getEntriesByType('resource').some(r => r.name.includes('/widget/recorder-'))";
    assert_eq!(page.execute(loaded, vec![]).await?, json!(false), "no recorder before it is asked for");
    let form = Recorder { browser: &browser, root: EMBEDDED };
    form.click(".fanfare-form .fanfare-secondary").await?;
    form.reaches("choose").await?;
    assert_eq!(page.execute(loaded, vec![]).await?, json!(true));

    // While it records: the timer, the microphone's word, the screenshot.
    let recording = async {
        form.press("record").await?;
        wait_until("a second of recording", || async {
            let Some(timer) = form.find(".fanfare-rec-time.is-on").await? else {
                return Ok(false);
            };
            Ok(elapsed(&page.text(&timer).await?)? >= 1)
        })
        .await?;
        page.execute(
            &format!("{EMBEDDED}.querySelector('.fanfare-rec').scrollIntoView({{block: 'center'}})"),
            vec![],
        )
        .await?;
        let mic = form.text(".fanfare-rec-mic").await?;
        assert_eq!(mic, "Your microphone is picking up sound.", "the stand-in microphone beeps");
        browser.screenshot_if_asked("video-recorder").await?;
        form.press("cancel").await?;
        form.reaches("choose").await
    };
    recording.await?;
    // Cancelled: nothing is attached, and the camera is off.
    let stream = page
        .execute(&format!("return {EMBEDDED}.querySelector('.fanfare-rec video').srcObject"), vec![])
        .await?;
    assert_eq!(stream, Value::Null);

    form.record(2).await?;
    form.uploaded_with_progress().await?;
    browser.screenshot_if_asked("video-added").await?;
    page.click(&browser.wait_in(&browser.mount_root("collect").await?, "button[type=submit]").await?).await?;
    browser.wait_in(&browser.mount_root("collect").await?, ".fanfare-thanks").await?;

    let sent = pending_from(&demo, "Vera Video").await?;
    assert_eq!(sent.public.text, "The roast is even better than it looks on camera.", "the transcript");
    let video_url = sent.public.video_url.clone().context("the testimonial carries its video")?;
    assert!(sent.public.poster_url.is_some(), "and the poster frame drawn in the browser: {sent:?}");
    demo.approve(&sent.public.id).await?;

    // On the wall: the server's poster and play button; played, the video runs.
    page.refresh().await?;
    let wall = browser.mount_root("wall").await?;
    let video = browser.wait_in(&wall, "video").await?;
    let source = page
        .execute(
            "const video = arguments[0]; const source = video.querySelector('source');
             return video.currentSrc || video.src || (source && source.src)",
            vec![video.to_json()],
        )
        .await?;
    assert_eq!(source, json!(video_url), "the wall plays the testimonial's video");
    let play = page.execute(
        "const video = arguments[0];
         const button = video.closest('li, article, figure')?.querySelector('button[data-play], .fanfare-play');
         if (button) { button.click(); return 'button'; }
         video.muted = true; video.play(); return 'play()';",
        vec![video.to_json()],
    );
    play.await?;
    wait_until("the wall's video to play", || async {
        let time = page.property(&video, "currentTime").await?;
        Ok(time.as_f64().unwrap_or(0.0) > 0.0)
    })
    .await?;
    let reports = csp_reports(&demo)?;
    assert!(reports.is_empty(), "the demo's strict CSP reported: {reports:#?}");

    // axe-core in the recorder's states (last: axe's own styles break the demo's CSP).
    page.refresh().await?;
    browser.mount_root("collect").await?;
    form.click(".fanfare-form .fanfare-secondary").await?;
    form.press("record").await?;
    form.wait(".fanfare-rec-time.is-on").await?;
    no_violations(&browser, &axe, "the recorder while it records").await?;
    form.press("stop").await?;
    form.reaches("done").await?;
    no_violations(&browser, &axe, "the recorder with its video added").await?;
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn a_visitor_who_refuses_the_camera_is_told_so_and_sends_the_text() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch_refusing_the_camera().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    fill_embedded(&browser, "Priya Private", "No camera for me, but the coffee is great.").await?;
    let form = Recorder { browser: &browser, root: EMBEDDED };
    form.click(".fanfare-form .fanfare-secondary").await?;
    form.press("record").await?;
    let said = wait_for("the refusal", || async {
        let Some(alert) = form.find(".fanfare-rec .fanfare-error:not([hidden])").await? else {
            return Ok(None);
        };
        let text = page.text(&alert).await?;
        Ok((!text.is_empty()).then_some(text))
    })
    .await?;
    assert!(said.starts_with("Camera access was not allowed."), "{said}");
    form.reaches("choose").await?;
    form.wait(".fanfare-rec button[data-action=file]:not([hidden])").await?;

    // The text alone goes, as it always could.
    page.click(&browser.wait_in(&browser.mount_root("collect").await?, "button[type=submit]").await?).await?;
    browser.wait_in(&browser.mount_root("collect").await?, ".fanfare-thanks").await?;
    let sent = pending_from(&demo, "Priya Private").await?;
    assert_eq!(sent.public.video_url, None);
    browser.close().await;
    Ok(())
}

/// A recording of Chromium's fake camera as it writes MP4 (the server's own test fixture).
fn fixture(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures/video").join(name);
    // chromedriver takes only canonical paths.
    path.canonicalize().with_context(|| format!("{}", path.display()))
}

#[tokio::test]
async fn a_chosen_file_is_checked_for_size_before_sending_then_sent() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    fill_embedded(&browser, "Fiona File", "Filmed on my phone, sent from my laptop.").await?;
    let form = Recorder { browser: &browser, root: EMBEDDED };
    form.click(".fanfare-form .fanfare-secondary").await?;
    let input = form.wait(".fanfare-rec input[type=file]").await?;
    assert_eq!(page.property(&input, "accept").await?, json!("video/webm,video/mp4"));

    // Over 50 MB: refused here, before a byte is sent (the file is sparse: nothing to read).
    let huge = tempfile::Builder::new().suffix(".webm").tempfile()?;
    huge.as_file().set_len(50 * 1024 * 1024 + 1)?;
    page.send_keys(&input, &huge.path().display().to_string()).await?;
    let said = form.text(".fanfare-rec .fanfare-error:not([hidden])").await?;
    assert_eq!(said, "This video is larger than 50 MB. Choose a shorter one.");
    let uploads =
        "return performance.getEntriesByType('resource').filter(r => r.name.includes('/uploads')).length";
    assert_eq!(page.execute(uploads, vec![]).await?, json!(0), "nothing was sent");

    // An MP4 that fits: previewed, sent, attached.
    form.watch().await?;
    page.send_keys(&input, &fixture("fake-camera.mp4")?.display().to_string()).await?;
    form.stored().await?;
    form.uploaded_with_progress().await?;
    page.click(&browser.wait_in(&browser.mount_root("collect").await?, "button[type=submit]").await?).await?;
    browser.wait_in(&browser.mount_root("collect").await?, ".fanfare-thanks").await?;
    let sent = pending_from(&demo, "Fiona File").await?;
    assert!(sent.public.video_url.is_some(), "{sent:?}");
    browser.close().await;
    Ok(())
}

/// One second of silence: 48 kHz, 16-bit, mono WAV.
fn silence() -> Vec<u8> {
    let samples = 48_000u32;
    let data = samples * 2;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&48_000u32.to_le_bytes());
    wav.extend_from_slice(&96_000u32.to_le_bytes()); // bytes a second
    wav.extend_from_slice(&2u16.to_le_bytes()); // bytes a frame
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    wav.resize(wav.len() + data as usize, 0);
    wav
}

#[tokio::test]
async fn the_collection_page_records_through_a_silent_microphone_and_a_dropped_connection(
) -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let quiet = tempfile::Builder::new().suffix(".wav").tempfile()?;
    std::fs::write(quiet.path(), silence())?;
    let browser = Browser::launch_with_microphone_playing(quiet.path()).await?;
    let page = &browser.session;
    page.goto(&format!("{}/c/{DEMO_SITE}", demo.api_url)).await?;
    // The page's own CSP (no report address): the browser's violation events, from here on.
    page.execute(
        "window.__violations = [];
         document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
        vec![],
    )
    .await?;
    for (id, value) in
        [("name", "Carl Camera"), ("email", "carl@example.com"), ("text", "Filmed in my kitchen.")]
    {
        let field = page.find(&format!("#{id}")).await?.with_context(|| format!("#{id}"))?;
        page.send_keys(&field, value).await?;
    }
    page.execute(
        "document.getElementById('rating-5').click(); document.getElementById('consent').click()",
        vec![],
    )
    .await?;

    let form = Recorder { browser: &browser, root: HOSTED };
    form.click("#video-add").await?;
    form.press("record").await?;
    let mic = wait_for("the word on a silent microphone", || async {
        let Some(mic) = form.find(".fanfare-rec-mic.is-silent").await? else {
            return Ok(None);
        };
        Ok(Some(page.text(&mic).await?))
    })
    .await?;
    assert_eq!(mic, "No sound from your microphone. Is it muted?");
    form.press("cancel").await?;

    // The connection drops as the parts go: the recorder says so and tries again, after asking
    // the server which parts it holds; back online, the video is stored whole (the server reads
    // its container before it says so).
    form.start_recording(1).await?;
    page.devtools("Network.enable", json!({})).await?;
    page.devtools("Network.setBlockedURLs", json!({ "urls": ["*/parts/*"] })).await?;
    form.watch().await?;
    form.press("stop").await?;
    wait_until("the recorder to say it tries again", || async {
        Ok(form.text(".fanfare-rec-status").await? == "The upload was interrupted. Trying again…")
    })
    .await?;
    page.devtools("Network.setBlockedURLs", json!({ "urls": [] })).await?;
    form.stored().await?;
    form.uploaded_with_progress().await?;
    let id = page.execute("return document.getElementById('video').value", vec![]).await?;
    let id =
        id.as_str().filter(|id| !id.is_empty()).context("the hidden video input holds the upload's id")?;
    let violations = page.execute("return window.__violations", vec![]).await?;
    assert_eq!(violations, json!([]), "the collection page's CSP");
    no_violations(&browser, &axe, "the collection page's recorder with its video added").await?;

    page.execute("document.querySelector('button[type=submit]').click()", vec![]).await?;
    wait_until("the thank-you screen", || async { Ok(page.find("a.manage").await?.is_some()) }).await?;
    let sent = pending_from(&demo, "Carl Camera").await?;
    let video_url = sent.public.video_url.context("the testimonial carries its video")?;
    assert!(video_url.contains(id), "{video_url} is the recorded {id}");
    browser.close().await;
    Ok(())
}

/// The wall the loader mounts (views.js, not a fragment in the page's HTML): its video shows the
/// poster, fetches nothing of the video before play, and plays.
#[tokio::test]
async fn a_wall_the_loader_mounts_plays_its_video_and_fetches_none_of_it_before_play() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let (id, video) =
        demo.submit_video("Grace Hopper", "Filmed in the roastery: the beans are wonderful.").await?;
    demo.approve(&id).await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/journal.html", demo.site_url)).await?;
    let wall = browser.mount_root("wall").await?;
    let element = browser.wait_in(&wall, "video").await?;
    let video_url = format!("{}/api/v1/videos/{video}", demo.api_url);
    assert_eq!(page.property(&element, "src").await?, json!(video_url));
    let requests =
        "return performance.getEntriesByType('resource').filter(e => e.name === arguments[0]).length";
    wait_until("the poster to load", || async {
        let posters = page.execute(requests, vec![json!(format!("{video_url}/poster.jpg"))]).await?;
        Ok(posters == json!(1))
    })
    .await?;
    assert_eq!(
        page.execute(requests, vec![json!(video_url)]).await?,
        json!(0),
        "nothing of the video before play"
    );
    page.execute(
        "const video = arguments[0]; video.muted = true; video.play(); return true;",
        vec![element.to_json()],
    )
    .await?;
    let played = wait_until("the wall's video to play", || async {
        Ok(page.property(&element, "currentTime").await?.as_f64().unwrap_or(0.0) > 0.0)
    })
    .await;
    let error = page
        .execute("return arguments[0].error && arguments[0].error.message", vec![element.to_json()])
        .await?;
    played.with_context(|| format!("the video's error: {error}"))?;
    assert!(csp_reports(&demo)?.is_empty(), "the demo's strict CSP reported: {:#?}", csp_reports(&demo)?);
    browser.close().await;
    Ok(())
}
