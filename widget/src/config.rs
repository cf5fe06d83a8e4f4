/// What `embed.js` read from its script tag, plus where the API is (read by
/// [`crate::json`]; the loader sends `ref` for [`MountConfig::referral`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MountConfig {
    /// The origin `embed.js` was loaded from.
    pub api: String,
    pub site: String,
    pub lang: Option<String>,
    pub theme: Option<String>,
    pub limit: Option<u32>,
    pub tags: Option<String>,
    /// The host page's address, sent with a submission for the moderators' context.
    pub page_url: Option<String>,
    /// The referral code this browser arrived with (kept by `embed.js` for the site's window).
    pub referral: Option<String>,
    /// The loader's random first-party id for this browser, for referral fraud checks.
    pub device: Option<String>,
    /// Where a badge links to (the mount's `data-href`), usually the page with the wall.
    pub href: Option<String>,
}

impl MountConfig {
    pub fn site_url(&self, path: &str) -> String {
        [&self.api, "/api/v1/sites/", &self.site, path].concat()
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
