use fanfare_protocol::modes;

/// What `embed.js` read from its script tag, plus where the API is (read by
/// [`crate::json`]; the loader sends `ref` for [`MountConfig::referral`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MountConfig {
    /// The origin `embed.js` was loaded from.
    pub api: String,
    pub site: String,
    pub lang: Option<String>,
    pub theme: Option<String>,
    /// The host page's address, sent with a submission for the moderators' context.
    pub page_url: Option<String>,
    /// The referral code this browser arrived with (kept by `embed.js` for the site's window).
    pub referral: Option<String>,
    /// The loader's random first-party id for this browser, for referral fraud checks.
    pub device: Option<String>,
    /// The loader's function that imports the video recorder (`widget/loader/recorder.js`) and
    /// opens it, so that it is downloaded only when a visitor chooses to add a video.
    pub recorder: Option<js_sys::Function>,
}

impl MountConfig {
    pub fn site_url(&self, path: &str) -> String {
        [&self.api, "/api/v1/sites/", &self.site, path].concat()
    }
}

/// What a mount renders: one of the interactive modes every side shares
/// ([`fanfare_protocol::modes::Mode`]; the server renders the read-only ones), or the loader's
/// own floating button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Collect,
    Refer,
    /// The floating "Leave a testimonial" button and the dialog it opens.
    Floating,
}

/// The mode `embed.js` mounts for its floating button; not a `data-fanfare` value, so page
/// authors cannot ask for it.
const FLOATING: &str = "floating";

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        match modes::Mode::parse(raw) {
            Some(modes::Mode::Collect) => Some(Mode::Collect),
            Some(modes::Mode::Refer) => Some(Mode::Refer),
            Some(modes::Mode::Wall | modes::Mode::Carousel | modes::Mode::Badge) => None,
            None => (raw == FLOATING).then_some(Mode::Floating),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interactive_mode_and_the_floating_button_can_be_mounted() {
        for shared in modes::Mode::ALL {
            assert_eq!(Mode::parse(shared.as_str()).is_some(), !shared.is_read_only(), "{}", shared.as_str());
        }
        assert_eq!(Mode::parse("floating"), Some(Mode::Floating));
        for unknown in ["", "Wall", "popup"] {
            assert_eq!(Mode::parse(unknown), None, "{unknown}");
        }
    }
}
