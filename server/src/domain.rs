//! Server-side values parsed once at the edge: site slugs, origins, roles.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
