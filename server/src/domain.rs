//! Server-side values parsed once at the edge: site slugs, origins, roles.

pub mod addresses;
pub mod contrast;

use std::fmt;
use std::str::FromStr;

/// A site's public slug, as used in `data-site` and API paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSlug(String);

impl SiteSlug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok_chars = raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&raw.len()) || !ok_chars || raw.starts_with('-') || raw.ends_with('-') {
            return Err(format!("site slug {raw:?} must be 2–40 characters of a–z, 0–9 and inner hyphens"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A web origin (`scheme://host[:port]`) allowed to embed a site's widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Accepts `https://shop.example.com` or `http://127.0.0.1:8081`; a trailing slash is
    /// forgiven because people paste URLs, but any path, query or credentials are refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim().trim_end_matches('/');
        let refuse = || {
            format!("origin {raw:?} must look like https://example.com (scheme, host and optional port only)")
        };
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(refuse)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(refuse());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
            _ => (rest, None),
        };
        let host_ok = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
        let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
        if !host_ok || !port_ok {
            return Err(refuse());
        }
        Ok(Self(format!("{scheme}://{}", rest.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person may do on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Settings and users, and everything a moderator does.
    Owner,
    /// The moderation queue.
    Moderator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Moderator => "moderator",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "owner" => Ok(Role::Owner),
            "moderator" => Ok(Role::Moderator),
            other => Err(format!("role {other:?} must be owner or moderator")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CSS hex colour such as `#7a3e12`.
pub fn parse_accent(raw: &str) -> Result<String, String> {
    let hex = raw.strip_prefix('#').unwrap_or(raw);
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(format!("accent colour {raw:?} must be a hex colour like #7a3e12"))
    }
}

/// A moderator's label for grouping testimonials (`data-tags` on a wall picks them).
pub const MAX_TAGS: usize = 10;

/// Parses a comma- or space-separated tag list: 1–32 characters of a–z, 0–9 and `-` each,
/// lower-cased, duplicates dropped, at most [`MAX_TAGS`].
pub fn parse_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.split([',', ' ']).map(str::trim).filter(|tag| !tag.is_empty()) {
        let tag = tag.to_lowercase();
        let ok = tag.chars().count() <= 32 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(format!("tag {tag:?} must be up to 32 characters of a–z, 0–9 and -"));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    tags.sort();
    Ok(tags)
}

/// A public reply under a testimonial: trimmed, up to 2,000 characters; empty clears it.
pub fn parse_reply(raw: &str) -> Result<Option<String>, String> {
    let reply = raw.trim();
    if reply.chars().count() > 2000 {
        return Err("must be at most 2,000 characters".into());
    }
    if reply.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("must not contain control characters".into());
    }
    Ok((!reply.is_empty()).then(|| reply.to_owned()))
}

/// Where a site's webhook events go: an absolute http(s) URL the owner typed, by a real URL
/// parse (no credentials in it, at most 500 characters).
pub fn parse_webhook_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    // `https:///x` parses (as host "x"): refuse what a person would not have meant.
    let authority_given =
        url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    let parsed = url::Url::parse(url).ok().filter(|_| authority_given).filter(|parsed| {
        matches!(parsed.scheme(), "http" | "https")
            && parsed.host().is_some()
            && parsed.username().is_empty()
            && parsed.password().is_none()
    });
    match parsed {
        Some(parsed) if url.len() <= 500 => Ok(parsed.to_string()),
        _ => Err("must be an http(s) URL like https://example.com/hooks/fanfare".into()),
    }
}

/// An email address as a person rather than a spelling, for "is this the same person":
/// lower-cased, without a `+tag`, and for Gmail without dots and with one domain.
pub fn email_key(email: &str) -> String {
    let email = email.trim().to_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else { return email };
    let local = local.split('+').next().unwrap_or(local);
    match domain {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

/// Throwaway-address services; a conversion from one is flagged for review, never refused.
const DISPOSABLE_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "burnermail.io",
    "discard.email",
    "dispostable.com",
    "emailondeck.com",
    "fakeinbox.com",
    "getnada.com",
    "guerrillamail.com",
    "guerrillamail.net",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "mintemail.com",
    "mohmal.com",
    "sharklasers.com",
    "spamgourmet.com",
    "temp-mail.org",
    "tempail.com",
    "tempmail.com",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
];

pub fn is_disposable_email(email: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| DISPOSABLE_DOMAINS.contains(&domain.trim().to_lowercase().as_str()))
}

/// An address range such as `10.0.0.0/8` or a single address, for trusted proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpCidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpCidr {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let refuse = || format!("{raw:?} must be an address or a range like 10.0.0.0/8 or fd00::/8");
        let (address, prefix) = raw.trim().split_once('/').map_or((raw.trim(), None), |(a, p)| (a, Some(p)));
        let network: std::net::IpAddr = address.parse().map_err(|_| refuse())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(refuse)?,
        };
        Ok(Self { network, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.network, ip) {
            (std::net::IpAddr::V4(net), std::net::IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), self.prefix, 32)
                    == masked(u128::from(u32::from(ip)), self.prefix, 32)
            }
            (std::net::IpAddr::V6(net), std::net::IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(ip), self.prefix, 128)
            }
            (std::net::IpAddr::V4(_), std::net::IpAddr::V6(v6)) => {
                v6.to_ipv4_mapped().is_some_and(|v4| self.contains(v4.into()))
            }
            _ => false,
        }
    }
}

/// An address cut down so it points at a network, not a person: IPv4 /24, IPv6 /48. The only
/// form in which a visitor's address is ever stored.
pub fn truncate_ip(ip: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

/// Where a badge links to (`data-href`): an http(s) address or a reference relative to the
/// host page. It is written into the badge's `href`, so every other scheme (`javascript:`,
/// `data:`…) is refused, as are the control characters and spaces browsers strip before they
/// read a scheme ("java\tscript:").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget(String);

impl LinkTarget {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let refuse = || format!("link {raw:?} must be an http(s) address or a path on your site");
        if raw.is_empty()
            || raw.len() > Self::MAX_LEN
            || raw.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(refuse());
        }
        // A scheme is what comes before the first ':' when no '/', '?' or '#' comes earlier.
        let before_colon = raw.split([':', '/', '?', '#']).next().unwrap_or_default();
        let has_scheme = raw.as_bytes().get(before_colon.len()) == Some(&b':');
        if has_scheme {
            let scheme = before_colon.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" || !raw[before_colon.len()..].starts_with("://") {
                return Err(refuse());
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_truncated() {
        assert_eq!(truncate_ip("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(truncate_ip("2001:db8:abcd:12::1".parse().unwrap()), "2001:db8:abcd::/48");
        assert_eq!(truncate_ip("::ffff:198.51.100.9".parse().unwrap()), "198.51.100.0/24");
    }

    #[test]
    fn address_ranges_contain_what_they_should() {
        let private = IpCidr::parse("10.0.0.0/8").unwrap();
        assert!(private.contains("10.1.2.3".parse().unwrap()));
        assert!(!private.contains("11.0.0.1".parse().unwrap()));
        assert!(private.contains("::ffff:10.9.9.9".parse().unwrap()));
        let one = IpCidr::parse("192.0.2.1").unwrap();
        assert!(one.contains("192.0.2.1".parse().unwrap()) && !one.contains("192.0.2.2".parse().unwrap()));
        assert!(IpCidr::parse("fd00::/8").unwrap().contains("fd12::1".parse().unwrap()));
        assert!(IpCidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "ten", "10.0.0.0/x"] {
            assert!(IpCidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_keys_see_through_tags_case_and_gmail_dots() {
        assert_eq!(email_key("Ada.Lovelace+shop@GMail.com"), "adalovelace@gmail.com");
        assert_eq!(email_key("a.da@googlemail.com"), "ada@gmail.com");
        assert_eq!(email_key("Ada.L+x@example.com"), "ada.l@example.com");
        assert_ne!(email_key("ada@example.com"), email_key("ada@example.org"));
    }

    #[test]
    fn disposable_domains_are_recognised() {
        assert!(is_disposable_email("x@Mailinator.com"));
        assert!(!is_disposable_email("x@example.com"));
    }

    #[test]
    fn tags_are_normalised_and_bounded() {
        assert_eq!(parse_tags("Coffee, beans coffee").unwrap(), vec!["beans", "coffee"]);
        assert_eq!(parse_tags("  ").unwrap(), Vec::<String>::new());
        assert!(parse_tags("no_underscores").is_err());
        assert!(parse_tags(&"x,".repeat(3).replace('x', "a")).is_ok());
        let eleven: Vec<String> = (0..11).map(|n| format!("t{n}")).collect();
        assert!(parse_tags(&eleven.join(",")).is_err());
    }

    #[test]
    fn replies_are_trimmed_and_empty_clears() {
        assert_eq!(parse_reply("  Thank you!  ").unwrap().as_deref(), Some("Thank you!"));
        assert_eq!(parse_reply("   ").unwrap(), None);
        assert!(parse_reply(&"x".repeat(2001)).is_err());
    }

    #[test]
    fn webhook_urls_must_be_absolute_http() {
        assert!(parse_webhook_url("https://example.com/hook").is_ok());
        assert!(parse_webhook_url("ftp://example.com").is_err());
        assert!(parse_webhook_url("https:///path").is_err());
        assert!(parse_webhook_url("https://exa mple.com").is_err());
        assert!(parse_webhook_url("https://user:secret@example.com/").is_err());
        assert!(parse_webhook_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn slugs_are_lowercase_words() {
        assert!(SiteSlug::parse("acme").is_ok());
        assert!(SiteSlug::parse("kettle-and-crow2").is_ok());
        for bad in ["", "a", "Acme", "acme!", "-acme", "acme-", "a/b", &"x".repeat(41)] {
            assert!(SiteSlug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(Origin::parse("https://Shop.Example.com/").unwrap().as_str(), "https://shop.example.com");
        assert_eq!(Origin::parse("http://127.0.0.1:8081").unwrap().as_str(), "http://127.0.0.1:8081");
        assert_eq!(Origin::parse("http://[::1]:8081").unwrap().as_str(), "http://[::1]:8081");
    }

    #[test]
    fn origins_refuse_paths_and_other_schemes() {
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://example.com/shop",
            "https://",
            "https://example.com:99999",
            "https://user:pw@example.com",
            "https://example.com?x=1",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_parse_from_their_names() {
        assert_eq!("owner".parse::<Role>(), Ok(Role::Owner));
        assert_eq!("moderator".parse::<Role>(), Ok(Role::Moderator));
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn accents_are_hex_colours() {
        assert_eq!(parse_accent("#AABBCC").unwrap(), "#aabbcc");
        assert_eq!(parse_accent("112233").unwrap(), "#112233");
        assert!(parse_accent("red").is_err());
        assert!(parse_accent("#12345").is_err());
    }

    #[test]
    fn badge_links_are_web_addresses_or_paths_and_nothing_that_runs() {
        for fine in [
            "https://shop.example/reviews",
            "HTTP://a.example",
            "/kind-words.html",
            "kind-words.html",
            "#wall",
            "?page=2",
            "reviews/x:y",
        ] {
            assert_eq!(
                LinkTarget::parse(fine).map(|link| link.as_str().to_owned()),
                Ok(fine.to_owned()),
                "{fine}"
            );
        }
        for refused in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "http:x",
            "",
            " /x",
            "/x y",
            "mailto:a@b.example",
        ] {
            assert!(LinkTarget::parse(refused).is_err(), "{refused:?}");
        }
        assert!(LinkTarget::parse(&"a".repeat(LinkTarget::MAX_LEN + 1)).is_err());
    }
}
