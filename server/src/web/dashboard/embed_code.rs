//! What the Embed page hands an owner to paste: the snippet for the chosen mode and options,
//! the Content-Security-Policy line their page needs for it, and for the read-only modes the
//! fragment's address for including it in their own HTML.

use std::collections::BTreeMap;

use fanfare_protocol::modes::Mode;
use serde::Deserialize;

use crate::domain::{parse_accent, parse_tags};
use crate::texts::LANGUAGES;
use crate::web::request::MAX_LIMIT;

/// What goes on the page: a mount of one mode, or no mount at all (the floating button).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Mount(Mode),
    Floating,
}

impl Placement {
    pub const ALL: [Placement; 6] = [
        Placement::Mount(Mode::Wall),
        Placement::Mount(Mode::Carousel),
        Placement::Mount(Mode::Badge),
        Placement::Mount(Mode::Collect),
        Placement::Mount(Mode::Refer),
        Placement::Floating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Mount(mode) => mode.as_str(),
            Placement::Floating => "floating",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Placement::Mount(Mode::Wall) => "Wall: selected testimonials in a grid",
            Placement::Mount(Mode::Carousel) => "Carousel: one testimonial at a time",
            Placement::Mount(Mode::Badge) => "Badge: the average rating and count",
            Placement::Mount(Mode::Collect) => "Form: visitors leave a testimonial",
            Placement::Mount(Mode::Refer) => "Refer: visitors get their referral link",
            Placement::Floating => "Floating button: the form behind a button, on any page",
        }
    }

    /// Shown without the WebAssembly, and renderable on the server.
    pub fn is_read_only(self) -> bool {
        matches!(self, Placement::Mount(mode) if mode.is_read_only())
    }
}

/// `?mode=&lang=&theme=&tags=&limit=&accent=` as typed.
#[derive(Debug, Default, Deserialize)]
pub struct EmbedParams {
    mode: Option<String>,
    lang: Option<String>,
    theme: Option<String>,
    tags: Option<String>,
    limit: Option<String>,
    accent: Option<String>,
}

/// The owner's choices, checked; what could not be read is named in `errors` and left at its
/// default.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedChoice {
    pub placement: Placement,
    /// `None`: the page's `lang`, else the reader's browser.
    pub lang: Option<&'static str>,
    /// `auto`, `light` or `dark`.
    pub theme: &'static str,
    pub tag: Option<String>,
    pub limit: Option<u32>,
    /// A colour to try before saving it as the site's accent.
    pub accent: Option<String>,
}

pub const THEMES: [&str; 3] = ["auto", "light", "dark"];

/// The loader places the server's HTML through one Trusted Types policy of this name: a page
/// that requires Trusted Types lists it among its own.
pub const TRUSTED_TYPES: &str = "require-trusted-types-for 'script'; trusted-types fanfare";

impl EmbedParams {
    /// The choices from a query string (the accent form carries them back).
    pub fn from_query(query: &str) -> Self {
        let mut params = EmbedParams::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "mode" => &mut params.mode,
                "lang" => &mut params.lang,
                "theme" => &mut params.theme,
                "tags" => &mut params.tags,
                "limit" => &mut params.limit,
                "accent" => &mut params.accent,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        params
    }

    pub fn parse(&self) -> (EmbedChoice, BTreeMap<String, String>) {
        let mut errors = BTreeMap::new();
        let placement = match given(&self.mode) {
            None => Placement::Mount(Mode::Wall),
            Some(raw) => {
                Placement::ALL.into_iter().find(|placement| placement.as_str() == raw).unwrap_or_else(|| {
                    errors.insert(
                        "mode".into(),
                        "must be wall, carousel, badge, collect, refer or floating".into(),
                    );
                    Placement::Mount(Mode::Wall)
                })
            }
        };
        let lang = match given(&self.lang) {
            None => None,
            Some(raw) => LANGUAGES.into_iter().find(|lang| *lang == raw).or_else(|| {
                errors.insert("lang".into(), format!("must be one of {}", LANGUAGES.join(", ")));
                None
            }),
        };
        let theme = match given(&self.theme) {
            None => "auto",
            Some(raw) => THEMES.into_iter().find(|theme| *theme == raw).unwrap_or_else(|| {
                errors.insert("theme".into(), "must be auto, light or dark".into());
                "auto"
            }),
        };
        // One tag, as moderators give them (a wall filters by the first).
        let tag = match given(&self.tags).map(parse_tags) {
            None => None,
            Some(Ok(tags)) if tags.len() == 1 => tags.into_iter().next(),
            Some(Ok(_)) => {
                errors.insert("tags".into(), "must be one tag".into());
                None
            }
            Some(Err(message)) => {
                errors.insert("tags".into(), message);
                None
            }
        };
        let limit = match given(&self.limit) {
            None => None,
            Some(raw) => match raw.parse::<u32>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Some(limit),
                _ => {
                    errors.insert("limit".into(), format!("must be a whole number from 1 to {MAX_LIMIT}"));
                    None
                }
            },
        };
        let accent = given(&self.accent).and_then(|raw| {
            parse_accent(raw).map_err(|message| errors.insert("accent".into(), message)).ok()
        });
        (EmbedChoice { placement, lang, theme, tag, limit, accent }, errors)
    }
}

impl EmbedChoice {
    /// The choices as the Embed page's and the preview's query string.
    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("mode", self.placement.as_str());
        if let Some(lang) = self.lang {
            query.append_pair("lang", lang);
        }
        query.append_pair("theme", self.theme);
        if let Some(tag) = &self.tag {
            query.append_pair("tags", tag);
        }
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(accent) = &self.accent {
            query.append_pair("accent", accent);
        }
        query.finish()
    }

    /// The script tag and the mount, as the owner pastes them.
    pub fn snippet(&self, server: &str, site: &str) -> String {
        let mut attributes = format!(r#"src="{server}/embed.js" data-site="{}""#, attribute(site));
        if let Some(lang) = self.lang {
            attributes.push_str(&format!(r#" data-lang="{lang}""#));
        }
        if self.theme != "auto" {
            attributes.push_str(&format!(r#" data-theme="{}""#, self.theme));
        }
        if self.placement.is_read_only() {
            if let Some(limit) = self.limit {
                attributes.push_str(&format!(r#" data-limit="{limit}""#));
            }
            if let Some(tag) = &self.tag {
                attributes.push_str(&format!(r#" data-tags="{}""#, attribute(tag)));
            }
        }
        let script = format!("<script {attributes} async></script>");
        match self.placement {
            Placement::Mount(mode) => format!("{script}\n<div data-fanfare=\"{}\"></div>", mode.as_str()),
            // No mount on the page: the loader adds the button.
            Placement::Floating => script,
        }
    }

    /// The sources a page with this snippet must allow (README, "Content-Security-Policy for
    /// the host page"), for `server`'s origin: the forms need the WebAssembly and, for the
    /// recorder's preview, `blob:` media; the read-only modes neither. Trusted Types are the
    /// page's own choice: one that requires them adds `fanfare` to its list (see [`TRUSTED_TYPES`]).
    pub fn host_policy(&self, server: &str) -> String {
        let (script, media) = match self.placement {
            Placement::Mount(Mode::Badge) => (String::new(), None),
            placement if placement.is_read_only() => (String::new(), Some(String::new())),
            _ => (" 'wasm-unsafe-eval'".to_owned(), Some(" blob:".to_owned())),
        };
        let media = media.map(|extra| format!("media-src {server}{extra}; ")).unwrap_or_default();
        format!(
            "script-src {server}{script}; connect-src {server}; img-src {server}; {media}style-src {server}"
        )
    }

    /// For the read-only modes: the fragment's address, to include in the page's own HTML.
    pub fn fragment_url(&self, server: &str, site: &str) -> Option<String> {
        let Placement::Mount(mode) = self.placement else { return None };
        if !mode.is_read_only() {
            return None;
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("lang", self.lang.unwrap_or("en"));
        if self.theme != "auto" {
            query.append_pair("theme", self.theme);
        }
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(tag) = &self.tag {
            query.append_pair("tags", tag);
        }
        Some(format!("{server}/embed/{site}/{}.html?{}", mode.as_str(), query.finish()))
    }
}

/// The scheme, host and port of `url`, as a policy names a source (a server under a path,
/// `https://example.com/fanfare`, is still its origin there).
pub fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|parsed| parsed.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_owned())
}

/// A value typed, trimmed; `None` when nothing was.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|value| !value.is_empty())
}

/// A value inside a double-quoted HTML attribute.
fn attribute(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> EmbedParams {
        let get =
            |name: &str| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned());
        EmbedParams {
            mode: get("mode"),
            lang: get("lang"),
            theme: get("theme"),
            tags: get("tags"),
            limit: get("limit"),
            accent: get("accent"),
        }
    }

    #[test]
    fn the_snippet_carries_only_what_was_chosen() {
        let (choice, errors) = params(&[]).parse();
        assert!(errors.is_empty());
        assert_eq!(
            choice.snippet("https://r.example", "acme"),
            "<script src=\"https://r.example/embed.js\" data-site=\"acme\" async></script>\n<div data-fanfare=\"wall\"></div>"
        );
        let (choice, errors) = params(&[
            ("mode", "carousel"),
            ("lang", "de"),
            ("theme", "dark"),
            ("tags", "Espresso"),
            ("limit", "6"),
        ])
        .parse();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            choice.snippet("https://r.example", "acme"),
            "<script src=\"https://r.example/embed.js\" data-site=\"acme\" data-lang=\"de\" data-theme=\"dark\" \
             data-limit=\"6\" data-tags=\"espresso\" async></script>\n<div data-fanfare=\"carousel\"></div>"
        );
        let (floating, _) = params(&[("mode", "floating"), ("limit", "6")]).parse();
        assert_eq!(
            floating.snippet("https://r.example", "acme"),
            "<script src=\"https://r.example/embed.js\" data-site=\"acme\" async></script>"
        );
    }

    #[test]
    fn bad_choices_are_named_and_left_at_their_defaults() {
        let (choice, errors) = params(&[
            ("mode", "popup"),
            ("lang", "xx"),
            ("theme", "pink"),
            ("limit", "500"),
            ("accent", "red"),
            ("tags", "gifts & more"),
        ])
        .parse();
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            ["accent", "lang", "limit", "mode", "tags", "theme"]
        );
        assert_eq!(
            choice,
            EmbedChoice {
                placement: Placement::Mount(Mode::Wall),
                lang: None,
                theme: "auto",
                tag: None,
                limit: None,
                accent: None,
            }
        );
    }

    #[test]
    fn the_policy_allows_what_the_mode_loads_and_nothing_more() {
        let policy = |mode: &str| params(&[("mode", mode)]).parse().0.host_policy("https://r.example");
        assert!(!policy("wall").contains("wasm-unsafe-eval"));
        assert!(policy("wall").contains("media-src https://r.example;"));
        assert!(!policy("badge").contains("media-src"));
        assert!(policy("collect").contains("script-src https://r.example 'wasm-unsafe-eval';"));
        assert!(policy("floating").contains("media-src https://r.example blob:;"));
        assert!(!policy("refer").contains("trusted-types"), "the page's own choice");
    }

    #[test]
    fn policies_name_the_servers_origin() {
        assert_eq!(origin_of("https://example.com/fanfare"), "https://example.com");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn the_query_string_round_trips() {
        let (choice, _) = params(&[
            ("mode", "badge"),
            ("lang", "ja"),
            ("tags", "Cold-Brew"),
            ("limit", "3"),
            ("accent", "#AABBCC"),
        ])
        .parse();
        assert_eq!(EmbedParams::from_query(&choice.query()).parse().0, choice);
    }

    #[test]
    fn read_only_modes_have_a_fragment_address() {
        let (choice, _) = params(&[("mode", "badge"), ("lang", "fr"), ("tags", "Gifts")]).parse();
        assert_eq!(
            choice.fragment_url("https://r.example", "acme").as_deref(),
            Some("https://r.example/embed/acme/badge.html?lang=fr&tags=gifts")
        );
        assert_eq!(params(&[("mode", "collect")]).parse().0.fragment_url("https://r.example", "acme"), None);
    }
}
