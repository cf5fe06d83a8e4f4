//! Headless Debian Chromium under chromedriver, one fresh profile per browser.

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::webdriver::{Element, Session, ShadowRoot};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Chromium's stand-in camera and microphone (a test pattern with a timer, and a beep), for the
/// video recorder's tests; present in every browser, as a visitor's laptop has a camera.
const FAKE_DEVICES: &str = "--use-fake-device-for-media-stream";
/// Answers every request for the camera and microphone with "allow", as a visitor who agrees.
const ALLOW_DEVICES: &str = "--use-fake-ui-for-media-stream";

/// How long a page may take to show what a test waits for. Generous: this is a readiness
/// limit on a loaded 2-core machine, not a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Browser {
    pub session: Session,
    driver: Child,
    profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch() -> anyhow::Result<Self> {
        Self::launch_with(json!({}), &[ALLOW_DEVICES]).await
    }

    /// A browser whose pages run no script of their own, as some readers (and crawlers) have
    /// them; WebDriver can still look at the page.
    pub async fn launch_without_javascript() -> anyhow::Result<Self> {
        Self::launch_with(
            json!({ "profile.managed_default_content_settings.javascript": 2 }),
            &[ALLOW_DEVICES],
        )
        .await
    }

    /// A browser whose visitor has refused every site the camera and microphone (the setting
    /// a "Block" answer leaves): pages asking for them are refused without a prompt.
    pub async fn launch_refusing_the_camera() -> anyhow::Result<Self> {
        let blocked = json!({
            "profile.default_content_setting_values.media_stream_camera": 2,
            "profile.default_content_setting_values.media_stream_mic": 2,
        });
        Self::launch_with(blocked, &[]).await
    }

    /// A browser whose microphone hears `wav` (played in a loop) instead of the beep.
    pub async fn launch_with_microphone_playing(wav: &std::path::Path) -> anyhow::Result<Self> {
        let file = format!("--use-file-for-fake-audio-capture={}", wav.display());
        Self::launch_with(json!({}), &[ALLOW_DEVICES, &file]).await
    }

    async fn launch_with(preferences: serde_json::Value, extra_args: &[&str]) -> anyhow::Result<Self> {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            if !std::path::Path::new(tool).exists() {
                bail!("{tool} is missing: run `apt-get install -y chromium chromium-driver` (or `cargo xtask test`, which does)");
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let driver_url = format!("http://127.0.0.1:{port}");
        let status_url = format!("{driver_url}/status");
        wait_until("chromedriver to listen", || async {
            Ok(reqwest::get(&status_url).await.is_ok_and(|response| response.status().is_success()))
        })
        .await?;

        let profile = tempfile::tempdir()?;
        // The machine has no network but loopback: background networking only makes noise.
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=1280,900",
            "--lang=en-US",
            FAKE_DEVICES,
        ]
        .into_iter()
        .chain(extra_args.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": preferences },
        });
        let session = Session::start(&driver_url, capabilities).await?;
        Ok(Self { session, driver, profile })
    }

    /// The open shadow root of the first element matching `host_selector`, scrolled into view
    /// so the loader mounts the widget there.
    pub async fn widget_root(&self, host_selector: &str) -> anyhow::Result<ShadowRoot> {
        wait_for(&format!("the shadow root of {host_selector}"), || async {
            let Some(host) = self.session.find(host_selector).await? else {
                return Ok(None);
            };
            self.session
                .execute(
                    "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
                    vec![host.to_json()],
                )
                .await?;
            self.session.shadow_root(&host).await
        })
        .await
    }

    /// The shadow root of the `data-fanfare="{mode}"` mount.
    pub async fn mount_root(&self, mode: &str) -> anyhow::Result<ShadowRoot> {
        self.widget_root(&format!("[data-fanfare=\"{mode}\"]")).await
    }

    /// Waits for `css` to match inside `root`.
    pub async fn wait_in(&self, root: &ShadowRoot, css: &str) -> anyhow::Result<Element> {
        wait_for(&format!("{css} inside the widget"), || async { self.session.find_in(root, css).await })
            .await
    }

    /// Saves a screenshot as `{name}.png` into `FANFARE_SCREENSHOTS`, when that is set: a way
    /// to look at what the tests saw.
    pub async fn screenshot_if_asked(&self, name: &str) -> anyhow::Result<()> {
        let Some(dir) = std::env::var_os("FANFARE_SCREENSHOTS") else {
            return Ok(());
        };
        let png = self.session.screenshot().await?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)?;
        Ok(())
    }

    pub async fn close(mut self) {
        let _ = self.session.quit().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// A test that fails never reaches [`Browser::close`]: killing chromedriver alone would leave
    /// its Chromium running (each one holds a few hundred MB), so the browser of this profile
    /// goes too.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let _ = Command::new("pkill").args(["-f", "--", &profile]).status();
    }
}

/// Polls `probe` until it yields a value, or fails after [`PATIENCE`] naming what it awaited.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + PATIENCE;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if Instant::now() > deadline {
            match last_error {
                Some(error) => bail!("gave up waiting for {what}: {error:#}"),
                None => bail!("gave up waiting for {what}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_until<F, Fut>(what: &str, mut probe: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    wait_for(what, || {
        let check = probe();
        async move { Ok(check.await?.then_some(())) }
    })
    .await
}

/// axe-core's source, installed from npm by `cargo xtask test` into `tools/node_modules`.
pub fn axe_source() -> anyhow::Result<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (`cargo xtask test` installs it from npm)", path.display()))
}

/// What the browser counts as layout shift, summed from the page's start, and what moved.
pub struct LayoutShifts {
    pub total: f64,
    /// Each moved element, its box before and after, and when.
    pub moved: serde_json::Value,
}

impl Browser {
    /// Starts adding up the current page's layout shifts, those before this call included.
    pub async fn watch_layout_shifts(&self) -> anyhow::Result<()> {
        self.session
            .execute(
                "window.__shift = 0; window.__moved = [];
                 new PerformanceObserver(list => { for (const e of list.getEntries()) {
                   window.__shift += e.value;
                   for (const s of e.sources) window.__moved.push((s.node ? s.node.nodeName + '.' + (s.node.className || '') : '?')
                     + ' ' + JSON.stringify(s.previousRect) + ' -> ' + JSON.stringify(s.currentRect) + ' at ' + Math.round(e.startTime) + ' ms');
                 } }).observe({ type: 'layout-shift', buffered: true });",
                vec![],
            )
            .await?;
        Ok(())
    }

    /// The layout shifts since [`Browser::watch_layout_shifts`] began on this page.
    pub async fn layout_shifts(&self) -> anyhow::Result<LayoutShifts> {
        let total = self.session.execute("return window.__shift", vec![]).await?;
        let moved = self.session.execute("return window.__moved", vec![]).await?;
        Ok(LayoutShifts { total: total.as_f64().context("the layout shift sum")?, moved })
    }

    /// Runs axe-core on the current page (shadow roots included) for WCAG 2.2 A and AA and
    /// returns the violations, one line each: rule, impact, and the first offending element.
    pub async fn accessibility_violations(&self, axe: &str) -> anyhow::Result<Vec<String>> {
        self.session.execute(&format!("{axe}\nreturn true;"), vec![]).await?;
        let result = self
            .session
            .execute(
                "return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
                   .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + JSON.stringify(v.nodes[0] && v.nodes[0].target)))",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(result)?)
    }
}
