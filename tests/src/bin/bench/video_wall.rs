//! "The wall with a video item costs no video bytes before play": a video testimonial (the
//! recording of Chromium's stand-in camera, with its poster) is sent and approved, then a fresh
//! browser opens a demo page with a wall, scrolls to it and waits for the video's poster.
//! Resource Timing then lists every request for the video (its poster aside). The video is then
//! played: its requests must show up, or the measurement could not have seen them.

use std::time::Duration;

use anyhow::Context;
use fanfare_tests::browser::{wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use serde::Deserialize;
use serde_json::json;

/// The demo page measured: its wall is the first mount.
pub const PAGE: &str = "journal.html";

pub struct VideoWall {
    /// Requests for the video (not its poster) before play, and their bytes (`transferSize`).
    pub before_play: Vec<Entry>,
    pub poster_bytes: f64,
    pub after_play: Vec<Entry>,
}

impl VideoWall {
    pub fn bytes_before_play(&self) -> f64 {
        self.before_play.iter().map(|entry| entry.transfer_size).sum()
    }

    pub fn bytes_after_play(&self) -> f64 {
        self.after_play.iter().map(|entry| entry.transfer_size).sum()
    }

    /// Nothing of the video before play, and play seen to fetch it.
    pub fn within_budget(&self) -> bool {
        self.before_play.is_empty() && !self.after_play.is_empty()
    }
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(rename = "transferSize")]
    pub transfer_size: f64,
}

/// The video element in the wall's shadow root (or a shadow root within).
const FIND_VIDEO: &str = "const deep = root => root.querySelector('video')
      || [...root.querySelectorAll('*')].reduce((hit, el) => hit || (el.shadowRoot && deep(el.shadowRoot)), null);
    const host = document.querySelector('[data-fanfare=\"wall\"]');
    host.scrollIntoView({ block: 'center', behavior: 'instant' });
    const video = (host.shadowRoot && deep(host.shadowRoot)) || deep(host);";

pub async fn measure(demo: &RunningDemo) -> anyhow::Result<VideoWall> {
    let (id, video) =
        demo.submit_video("Grace Hopper", "I filmed this in the roastery: the beans are wonderful.").await?;
    demo.approve(&id).await?;
    let browser = Browser::launch().await?;
    let measured = watch(&browser, demo, &video).await;
    browser.close().await;
    measured
}

async fn watch(browser: &Browser, demo: &RunningDemo, video: &str) -> anyhow::Result<VideoWall> {
    let page = &browser.session;
    page.goto(&format!("{}/{PAGE}", demo.site_url)).await?;
    let poster_shown =
        format!("{FIND_VIDEO} return Boolean(video && video.poster && video.readyState === 0);");
    wait_until("the wall's video to show its poster", || async {
        Ok(page.execute(&poster_shown, vec![]).await? == json!(true))
    })
    .await?;
    // Time for anything eager (preload, a prefetch) to start.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let video_url = format!("{}/api/v1/videos/{video}", demo.api_url);
    let poster_url = format!("{video_url}/poster.jpg");
    let entries = |url: String| async move {
        let listed = page
            .execute(
                "return performance.getEntriesByType('resource').filter(e => e.name === arguments[0])
                   .map(e => ({ transferSize: e.transferSize }))",
                vec![json!(url)],
            )
            .await?;
        serde_json::from_value::<Vec<Entry>>(listed).context("reading the Resource Timing entries")
    };
    let before_play = entries(video_url.clone()).await?;
    let poster_bytes = entries(poster_url).await?.iter().map(|entry| entry.transfer_size).sum();
    page.execute(&format!("{FIND_VIDEO} video.muted = true; video.play(); return true;"), vec![]).await?;
    let playing = format!("{FIND_VIDEO} return video.currentTime > 0;");
    let played = wait_until("the wall's video to play", || async {
        Ok(page.execute(&playing, vec![]).await? == json!(true))
    })
    .await;
    if let Err(error) = played {
        let why =
            page.execute(&format!("{FIND_VIDEO} return video.error && video.error.message;"), vec![]).await?;
        anyhow::bail!("{error} (the video's error: {why})");
    }
    let after_play = entries(video_url).await?;
    Ok(VideoWall { before_play, poster_bytes, after_play })
}
