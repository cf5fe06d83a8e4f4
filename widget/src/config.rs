use serde::Deserialize;

/// What `embed.js` read from its script tag, plus where the API is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MountConfig {
    /// The origin `embed.js` was loaded from.
    pub api: String,
    pub site: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub tags: Option<String>,
    /// The host page's address, sent with a submission for the moderators' context.
    #[serde(default)]
    pub page_url: Option<String>,
    /// The referral code this browser arrived with (kept by `embed.js` for the site's window).
    #[serde(default, rename = "ref")]
    pub referral: Option<String>,
    /// The loader's random first-party id for this browser, for referral fraud checks.
    #[serde(default)]
    pub device: Option<String>,
    /// Where a badge links to (the mount's `data-href`), usually the page with the wall.
    #[serde(default)]
    pub href: Option<String>,
}

impl MountConfig {
    pub fn site_url(&self, path: &str) -> String {
        format!("{}/api/v1/sites/{}{path}", self.api, self.site)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Collect,
    Wall,
    Carousel,
    Badge,
    Refer,
    /// The floating "Leave a testimonial" button and the dialog it opens.
    Floating,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "collect" => Some(Mode::Collect),
            "wall" => Some(Mode::Wall),
            "carousel" => Some(Mode::Carousel),
            "badge" => Some(Mode::Badge),
            "refer" => Some(Mode::Refer),
            "floating" => Some(Mode::Floating),
            _ => None,
        }
    }
}
