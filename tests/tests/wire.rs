//! The widget's wire format against its one source, `fanfare-protocol`'s types, in a real
//! browser.
//!
//! The widget reads and writes the server's JSON through hand-written code (`widget/src/json.rs`:
//! serde's derives cost the size-budgeted wasm about 14 KB of brotli), which names every field
//! again. Here that very code, compiled to wasm with the `wire-probe` feature (`cargo xtask build
//! --wire-probe`, a test-only build the shipped widget never includes), runs in Chromium on
//! bodies the real server sends and on serde_json's text of protocol values with every field
//! set; what it read comes back written by the protocol type's own serde derive and is compared
//! with the value, field by field. What it writes is read back with the protocol type (whose
//! bodies refuse unknown fields) and compared the same way, then sent to the real server. A
//! field renamed in `protocol` is one the widget no longer finds or one the server refuses: this
//! test fails.

use std::collections::BTreeMap;
use std::fmt::Debug;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use fanfare_protocol::api::{
    ApiError, Challenge, Status, TestimonialCreated, UploadCreated, WidgetConfig, WidgetTheme,
};
use fanfare_protocol::referrals::{CreateReferral, ReferralCreated};
use fanfare_protocol::SubmitTestimonial;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_tests::browser::Browser;
use fanfare_tests::demo::{wire_probe_widget_dir, RunningDemo};
use fanfare_tests::webdriver::Session;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// A 1×1 PNG, uploaded for a real `UploadCreated`.
const RED_DOT_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

#[tokio::test]
async fn the_widget_reads_and_writes_every_wire_type_as_the_protocol_defines_it() -> anyhow::Result<()> {
    let demo = RunningDemo::start_serving(wire_probe_widget_dir()?).await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    // A page of the demo website: its strict policy lets the widget's module and wasm in.
    page.goto(&format!("{}/index.html", demo.site_url)).await?;
    load_probe(page, &demo).await?;
    let probe = Probe { page, api: Api::new(&demo) };

    // --- Bodies the widget reads, as the real server sends them.
    let api = &probe.api;
    probe.read_exactly::<Challenge>("Challenge", &api.get("/challenge").await?).await?;
    let config = api.get("/widget?lang=en").await?;
    probe.read_as::<WidgetConfig>("WidgetConfig", &config, unread_config_fields).await?;
    let photo = base64::engine::general_purpose::STANDARD.decode(RED_DOT_PNG)?;
    let upload = api.post("/uploads", "image/png", photo, 201).await?;
    let upload: UploadCreated = probe.read_exactly("UploadCreated", &upload).await?;
    let referral = json!({ "name": "Ada Lovelace", "email": "ada@example.com" }).to_string();
    let referral = api.post("/referrals", "application/json", referral.into(), 201).await?;
    let referral: ReferralCreated = probe.read_exactly("ReferralCreated", &referral).await?;
    let refused = api.post("/testimonials", "application/json", b"{}".to_vec(), 422).await?;
    let refused: ApiError = probe.read_as("ApiError", &refused, unread_error_fields).await?;
    assert!(!refused.fields.is_empty(), "the refusal names its fields: {refused:?}");

    // --- The same types with every field set (nothing left at a default the widget could fall
    // back on), written by serde_json.
    probe
        .read_exactly::<Challenge>(
            "Challenge",
            &to_json(&Challenge { challenge: "c0ffee:42".into(), difficulty: 17 }),
        )
        .await?;
    for status in Status::ALL {
        let created = TestimonialCreated {
            id: format!("t-{status}"),
            status,
            manage_url: "https://fanfare.example/manage/t?token=é".into(),
            verified: status == Status::Approved,
        };
        probe.read_exactly::<TestimonialCreated>("TestimonialCreated", &to_json(&created)).await?;
    }
    probe
        .read_exactly::<UploadCreated>("UploadCreated", &to_json(&UploadCreated { id: "u-1".into() }))
        .await?;
    let created = ReferralCreated { code: "ADA-42".into(), link: "https://shop.example/?ref=ADA-42".into() };
    probe.read_exactly::<ReferralCreated>("ReferralCreated", &to_json(&created)).await?;
    let config = WidgetConfig {
        site: "bakery".into(),
        name: "Night Owl Bakery".into(),
        theme: WidgetTheme { accent: "#123abc".into() },
        texts: BTreeMap::from([
            ("form.submit".to_owned(), "Envoyer".to_owned()),
            ("stars".to_owned(), "{n} étoiles".to_owned()),
        ]),
        consent_text: "You may publish this.".into(),
        consent_version: 3,
        modes: vec!["collect".into(), "refer".into()],
        low_rating_threshold: 2,
        proof_of_work: 9,
        referral_attribution: Default::default(),
    };
    probe.read_as::<WidgetConfig>("WidgetConfig", &to_json(&config), unread_config_fields).await?;
    let error = ApiError {
        error: "validation_failed".into(),
        message: "Some fields need attention.".into(),
        fields: BTreeMap::from([
            ("email".to_owned(), "Enter an email address".to_owned()),
            ("name".to_owned(), "Name is required".to_owned()),
        ]),
    };
    probe.read_as::<ApiError>("ApiError", &to_json(&error), unread_error_fields).await?;

    // --- Bodies the widget writes: every field set, read back as the protocol type.
    let everything = SubmitTestimonial {
        name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        role: Some("Analyst".into()),
        company: Some("Engines & Co".into()),
        rating: Some(4),
        text: Some("Numbers, \"quoted\", and a new\nline.".into()),
        consent: Some(true),
        photo: Some(upload.id.clone()),
        video: Some("v0123abcd".into()),
        captions: Some("0:00 Numbers,\n0:02 and a new line.".into()),
        referral: Some(referral.code.clone()),
        page_url: Some(format!("{}/index.html", demo.site_url)),
        contact_me: Some(true),
        device: Some("d-123".into()),
        website: Some("bot-bait".into()),
        pow: Some("7".into()),
        // Not a link this server made: the real server below takes it as an ordinary submission.
        invite: Some("noinvite.0123abcd".into()),
    };
    probe.write_exactly("SubmitTestimonial", &everything).await?;
    let advocate = CreateReferral {
        name: Some("Grace Hopper".into()),
        email: Some("grace@example.com".into()),
        page_url: Some(format!("{}/index.html", demo.site_url)),
        device: Some("d-456".into()),
    };
    let written_referral = probe.write_exactly("CreateReferral", &advocate).await?;

    // --- And the real server takes what the widget writes (a visitor's submission: no honeypot,
    // no proof of work on the demo site, no private follow-up).
    let submission =
        // No video: the demo has no upload of one (tests/tests/video.rs sends a real one).
        SubmitTestimonial {
            rating: Some(5),
            website: None,
            pow: None,
            contact_me: None,
            video: None,
            captions: None,
            ..everything
        };
    let written = probe.write_exactly("SubmitTestimonial", &submission).await?;
    let created = api.post("/testimonials", "application/json", written.into(), 201).await?;
    let created: TestimonialCreated = probe.read_exactly("TestimonialCreated", &created).await?;
    let stored = demo.queue(Status::Pending).await?;
    let stored =
        stored.items.iter().find(|item| item.public.id == created.id).context("the submission is queued")?;
    assert_eq!(
        (stored.public.name.as_str(), stored.email.as_str(), stored.public.role.as_deref()),
        ("Ada Lovelace", "ada@example.com", Some("Analyst"))
    );
    assert_eq!((stored.public.company.as_deref(), stored.public.rating), (Some("Engines & Co"), 5));
    assert_eq!(stored.public.text, "Numbers, \"quoted\", and a new\nline.");
    assert_eq!(stored.page_url, submission.page_url);
    assert!(
        !created.verified && !stored.public.verified,
        "an invite token this server never made verifies nothing"
    );
    api.post("/referrals", "application/json", written_referral.into(), 201).await?;

    browser.close().await;
    Ok(())
}

/// What the real loader (`embed.js`) gives each mount is what the widget reads: the loader's
/// names and json.rs's agree, every field included (a referral arrival, a theme and a
/// malformed-but-common language tag on the script tag).
#[tokio::test]
async fn the_widget_reads_every_setting_the_loader_gives_a_mount() -> anyhow::Result<()> {
    let demo = RunningDemo::start_serving(wire_probe_widget_dir()?).await?;
    let api = Api::new(&demo);
    let referral = json!({ "name": "Ada Lovelace", "email": "ada@example.com" }).to_string();
    let referral: ReferralCreated =
        serde_json::from_str(&api.post("/referrals", "application/json", referral.into(), 201).await?)?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html?theme=dark&lang=de_DE&ref={}", demo.site_url, referral.code))
        .await?;
    let form = browser.mount_root("collect").await?;
    browser.wait_in(&form, "input[name=name]").await?;
    load_probe(page, &demo).await?;
    let mounted = page.execute("return window.__wire.wire_mounted()", vec![]).await?;
    let mounted: Vec<Value> = serde_json::from_str(mounted.as_str().context("wire_mounted gives text")?)?;
    let device = page.execute("return JSON.parse(localStorage.getItem('fanfare:device'))", vec![]).await?;
    assert!(
        device.as_str().is_some_and(|device| !device.is_empty()),
        "the loader keeps a device id: {device}"
    );
    let page_url = page.execute("return location.href", vec![]).await?;
    let expected = json!({
        "api": demo.api_url,
        "site": DEMO_SITE,
        // `de_DE` as real pages write it, read as the browser wants it.
        "lang": "de-DE",
        "theme": "dark",
        "page_url": page_url,
        "referral": referral.code,
        "device": device,
        // The function that imports the video recorder.
        "recorder": true,
    });
    assert_eq!(mounted, vec![expected], "the collect mount's configuration, as the widget read it");
    browser.close().await;
    Ok(())
}

/// Loads the wire-probe widget's module into the page as `window.__wire` (the same module the
/// loader imports, when it has).
async fn load_probe(page: &Session, demo: &RunningDemo) -> anyhow::Result<()> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(wire_probe_widget_dir()?.join("manifest.json"))?)?;
    let file = |key: &str| -> anyhow::Result<String> {
        let name = manifest[key].as_str().with_context(|| format!("the manifest names the {key}"))?;
        Ok(format!("{}/widget/{name}", demo.api_url))
    };
    let loaded = page
        .execute(
            "return import(arguments[0]).then(m => m.default({ module_or_path: arguments[1] }).then(() => {
               window.__wire = m;
               return ['wire_read', 'wire_write', 'wire_mounted'].every(name => typeof m[name] === 'function');
             }))",
            vec![json!(file("glue")?), json!(file("wasm")?)],
        )
        .await?;
    assert_eq!(loaded, json!(true), "the wire-probe widget exports wire_read, wire_write and wire_mounted");
    Ok(())
}

/// What the widget does not keep of the site's configuration (`Site` in widget/src/site.rs), at
/// the defaults `wire_read` writes for it.
fn unread_config_fields(config: WidgetConfig) -> WidgetConfig {
    WidgetConfig {
        site: String::new(),
        consent_version: 0,
        modes: Vec::new(),
        referral_attribution: Default::default(),
        ..config
    }
}

/// The widget shows a refusal's sentence and fields, not its machine code.
fn unread_error_fields(error: ApiError) -> ApiError {
    ApiError { error: String::new(), ..error }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("protocol values serialise")
}

/// json.rs in the browser, through the wire-probe widget's exports.
struct Probe<'a> {
    page: &'a Session,
    api: Api,
}

impl Probe<'_> {
    /// Has the widget read `body` as a `kind`, and insists it read exactly what the protocol type
    /// reads.
    async fn read_exactly<T: DeserializeOwned + PartialEq + Debug>(
        &self,
        kind: &str,
        body: &str,
    ) -> anyhow::Result<T> {
        self.read_as(kind, body, |value| value).await
    }

    /// Like [`Probe::read_exactly`], comparing only what `kept` keeps of the protocol value.
    async fn read_as<T: DeserializeOwned + PartialEq + Debug>(
        &self,
        kind: &str,
        body: &str,
        kept: impl Fn(T) -> T,
    ) -> anyhow::Result<T> {
        let expected: T =
            serde_json::from_str(body).with_context(|| format!("the protocol reads {kind} {body}"))?;
        let read = self
            .page
            .execute(
                "return window.__wire.wire_read(arguments[0], JSON.parse(arguments[1])) ?? null",
                vec![json!(kind), json!(body)],
            )
            .await?;
        let Some(read) = read.as_str() else {
            bail!("the widget could not read {kind} {body}");
        };
        let read: T =
            serde_json::from_str(read).with_context(|| format!("what the widget read of {kind}: {read}"))?;
        let expected = kept(expected);
        assert_eq!(read, expected, "the widget reads {kind} {body} as the protocol does");
        Ok(expected)
    }

    /// Has the widget write `value` as it sends a `kind`, insists the protocol reads back the same
    /// value, and returns the text it wrote.
    async fn write_exactly<T: Serialize + DeserializeOwned + PartialEq + Debug>(
        &self,
        kind: &str,
        value: &T,
    ) -> anyhow::Result<String> {
        let written = self
            .page
            .execute(
                "return window.__wire.wire_write(arguments[0], arguments[1]) ?? null",
                vec![json!(kind), json!(to_json(value))],
            )
            .await?;
        let Some(written) = written.as_str() else {
            bail!("the widget could not write {kind} {value:?}");
        };
        let read: T = serde_json::from_str(written)
            .with_context(|| format!("the protocol reads the {kind} the widget wrote: {written}"))?;
        assert_eq!(&read, value, "the widget writes {kind} as the protocol does: {written}");
        Ok(written.to_owned())
    }
}

/// The demo site's public API, called from the demo website's origin as the widget calls it.
struct Api {
    http: reqwest::Client,
    base: String,
    origin: String,
}

impl Api {
    fn new(demo: &RunningDemo) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1/sites/{DEMO_SITE}", demo.api_url),
            origin: demo.site_url.clone(),
        }
    }

    async fn get(&self, path: &str) -> anyhow::Result<String> {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("Origin", &self.origin).send().await?;
        if !response.status().is_success() {
            bail!("GET {path}: {}", response.status());
        }
        Ok(response.text().await?)
    }

    /// POSTs `body` and insists on the `expected` status; the answer's text.
    async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        expected: u16,
    ) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.origin)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if status.as_u16() != expected {
            bail!("POST {path}: {status} (expected {expected}): {text}");
        }
        Ok(text)
    }
}
