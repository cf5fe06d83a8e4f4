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

/// How far the current page reaches past the right edge of the viewport.
pub struct Overflow {
    /// `document.documentElement.scrollWidth`: what the page would scroll sideways to.
    pub scroll_width: u64,
    /// The width pages are laid out in (`document.documentElement.clientWidth`, scroll bar
    /// excluded: a page exactly as wide as the window behind a classic scroll bar scrolls too).
    pub viewport_width: u64,
    /// The elements sticking out furthest, deepest first: where to look when the page is too
    /// wide.
    pub widest: Vec<String>,
}

impl Overflow {
    pub fn scrolls_sideways(&self) -> bool {
        self.scroll_width > self.viewport_width
    }
}

impl Browser {
    /// Lays pages out as on a screen `width` CSS pixels wide; below 600 as a phone does (the
    /// page's `meta viewport` honoured, scroll bars overlaid), so a layout meant for phones is
    /// what is measured. Stays until the next call, across navigations.
    /// [`Browser::screenshot_if_asked`] of the whole page, top to bottom, in a window as tall as
    /// the page for the moment: stacked tables, long forms and every chart are seen whole.
    pub async fn whole_page_screenshot_if_asked(
        &self,
        (width, height): (u32, u32),
        name: &str,
    ) -> anyhow::Result<()> {
        if std::env::var_os("FANFARE_SCREENSHOTS").is_none() {
            return Ok(());
        }
        let tall = self.session.execute("return document.documentElement.scrollHeight", vec![]).await?;
        let tall = tall.as_u64().and_then(|tall| u32::try_from(tall).ok()).unwrap_or(height);
        self.set_viewport(width, tall.clamp(height, 8000)).await?;
        self.screenshot_if_asked(name).await?;
        self.set_viewport(width, height).await
    }

    pub async fn set_viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        let params =
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 });
        self.session.devtools("Emulation.setDeviceMetricsOverride", params).await.map(drop)
    }

    /// How wide the current page is against its viewport, and what makes it so.
    pub async fn horizontal_overflow(&self) -> anyhow::Result<Overflow> {
        let measured = self
            .session
            .execute(
                "const root = document.documentElement, edge = root.clientWidth;
                 const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + Array.from(e.classList, (c) => '.' + c).join('');
                 const path = (e) => { const parts = []; for (; e && e !== document.body; e = e.parentElement) parts.unshift(name(e)); return parts.join(' > '); };
                 const depth = (e) => { let n = 0; for (; e; e = e.parentElement) n++; return n; };
                 const out = [];
                 for (const e of document.body.querySelectorAll('*')) {
                   const right = e.getBoundingClientRect().right + window.scrollX;
                   if (right > edge + 0.5) out.push({ e, right, depth: depth(e) });
                 }
                 out.sort((a, b) => b.right - a.right || b.depth - a.depth);
                 const widest = out.slice(0, 3).map(({ e, right }) => path(e) + ' reaches ' + Math.round(right) + ' px'
                   + (e.textContent.trim() ? ': “' + e.textContent.trim().slice(0, 60) + '”' : ''));
                 return { scroll: root.scrollWidth, edge, widest };",
                vec![],
            )
            .await?;
        let number = |key: &str| measured[key].as_u64().with_context(|| format!("{key} in {measured}"));
        Ok(Overflow {
            scroll_width: number("scroll")?,
            viewport_width: number("edge")?,
            widest: serde_json::from_value(measured["widest"].clone())?,
        })
    }
}

/// The rules of WCAG 2.2 A and AA, as axe-core tags them.
const WCAG_AA: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

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
        self.axe_violations(axe, WCAG_AA).await
    }

    /// [`Browser::accessibility_violations`] and axe-core's best practices besides (an empty
    /// table header, a heading level skipped): pages of our own that can keep to them too.
    pub async fn accessibility_and_best_practice_violations(&self, axe: &str) -> anyhow::Result<Vec<String>> {
        self.axe_violations(axe, &[WCAG_AA, &["best-practice"]].concat()).await
    }

    async fn axe_violations(&self, axe: &str, tags: &[&str]) -> anyhow::Result<Vec<String>> {
        self.session.execute(&format!("{axe}\nreturn true;"), vec![]).await?;
        let result = self
            .session
            .execute(
                "return axe.run(document, { runOnly: { type: 'tag', values: arguments[0] } })
                   .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + JSON.stringify(v.nodes[0] && v.nodes[0].target)))",
                vec![json!(tags)],
            )
            .await?;
        Ok(serde_json::from_value(result)?)
    }
}
