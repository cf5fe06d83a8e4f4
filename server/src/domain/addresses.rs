//! Which network addresses a site owner may make this server contact (webhooks). An owner is not
//! the operator: without this check, a webhook at 127.0.0.1, 10.0.0.5 or 169.254.169.254 would
//! turn the delivery log into a scanner of the operator's own network.
//!
//! Only classification lives here (no resolving, no connecting), so every rule has a unit test.
//! Spellings such as `2130706433`, `0x7f.0.0.1` or `017700000001` need no rule of their own:
//! the `url` crate parses http(s) hosts the way browsers do, into the address they mean.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, in the words the form error and the delivery log use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Loopback,
    Private,
    LinkLocal,
    Multicast,
    Unspecified,
    Broadcast,
    Documentation,
    /// Reserved, special-purpose or not globally routable.
    Reserved,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Loopback => "loopback address",
            Refusal::Private => "private address",
            Refusal::LinkLocal => "link-local address",
            Refusal::Multicast => "multicast address",
            Refusal::Unspecified => "unspecified address",
            Refusal::Broadcast => "broadcast address",
            Refusal::Documentation => "documentation address",
            Refusal::Reserved => "reserved address",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Ok` for an address on the public internet, else why not.
pub fn classify(ip: IpAddr) -> Result<(), Refusal> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

/// The host of an http(s) URL as the `url` crate parsed it: an address to classify now, or a
/// name to resolve first.
pub enum UrlHost {
    Address(IpAddr),
    Name(String),
}

impl UrlHost {
    pub fn of(url: &url::Url) -> Option<Self> {
        match url.host()? {
            url::Host::Ipv4(ip) => Some(UrlHost::Address(IpAddr::V4(ip))),
            url::Host::Ipv6(ip) => Some(UrlHost::Address(IpAddr::V6(ip))),
            url::Host::Domain(name) => Some(UrlHost::Name(name.to_owned())),
        }
    }
}

/// `address/prefix` contains `ip`, for IPv4.
fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

/// `address/prefix` contains `ip`, for IPv6.
fn in_v6(ip: Ipv6Addr, network: [u16; 8], prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(network)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Result<(), Refusal> {
    const RULES: &[([u8; 4], u32, Refusal)] = &[
        // "This network": connecting to 0.0.0.0 reaches the local host on Linux.
        ([0, 0, 0, 0], 8, Refusal::Unspecified),
        ([127, 0, 0, 0], 8, Refusal::Loopback),
        ([10, 0, 0, 0], 8, Refusal::Private),
        ([172, 16, 0, 0], 12, Refusal::Private),
        ([192, 168, 0, 0], 16, Refusal::Private),
        // Carrier-grade NAT: the provider's own network.
        ([100, 64, 0, 0], 10, Refusal::Private),
        ([169, 254, 0, 0], 16, Refusal::LinkLocal),
        ([192, 0, 0, 0], 24, Refusal::Reserved),
        ([192, 0, 2, 0], 24, Refusal::Documentation),
        ([198, 51, 100, 0], 24, Refusal::Documentation),
        ([203, 0, 113, 0], 24, Refusal::Documentation),
        // Benchmarking, and often numbered into internal networks.
        ([198, 18, 0, 0], 15, Refusal::Reserved),
        ([192, 88, 99, 0], 24, Refusal::Reserved),
        ([224, 0, 0, 0], 4, Refusal::Multicast),
        ([255, 255, 255, 255], 32, Refusal::Broadcast),
        ([240, 0, 0, 0], 4, Refusal::Reserved),
    ];
    match RULES.iter().find(|(network, prefix, _)| in_v4(ip, *network, *prefix)) {
        Some((_, _, refusal)) => Err(*refusal),
        None => Ok(()),
    }
}

fn classify_v6(ip: Ipv6Addr) -> Result<(), Refusal> {
    if ip.is_unspecified() {
        return Err(Refusal::Unspecified);
    }
    if ip.is_loopback() {
        return Err(Refusal::Loopback);
    }
    let bits = u128::from(ip);
    // The low 32 bits as IPv4, for the forms that carry an IPv4 address there.
    let low_v4 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): the IPv4 address is the one
    // reached, so it decides.
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) || in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return classify_v4(low_v4);
    }
    // IPv4-compatible (::a.b.c.d), deprecated and never routed: refused whatever it holds, as
    // what it holds says when that is the sharper reason.
    if in_v6(ip, [0; 8], 96) {
        return classify_v4(low_v4).and(Err(Refusal::Reserved));
    }
    // 6to4 (2002:AABB:CCDD::/48) reaches the IPv4 address in bits 16–48.
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let embedded = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return classify_v4(embedded);
    }
    const RULES: &[([u16; 8], u32, Refusal)] = &[
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, Refusal::Private),
        // Site-local, deprecated but still private where used.
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, Refusal::Private),
        // Local-use NAT64: translates into the operator's own IPv4 network.
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, Refusal::Private),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, Refusal::LinkLocal),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Refusal::Multicast),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, Refusal::Documentation),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Refusal::Documentation),
        // Teredo hides its IPv4 address; nobody needs it for a webhook.
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, Refusal::Reserved),
        ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48, Refusal::Reserved),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, Refusal::Reserved),
    ];
    if let Some((_, _, refusal)) = RULES.iter().find(|(network, prefix, _)| in_v6(ip, *network, *prefix)) {
        return Err(*refusal);
    }
    // Only 2000::/3 is handed out as global unicast; the rest is reserved.
    if in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        Ok(())
    } else {
        Err(Refusal::Reserved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the server would connect to for this URL, as the `url` crate reads its host.
    fn host_of(url: &str) -> IpAddr {
        let parsed = url::Url::parse(url).unwrap_or_else(|error| panic!("{url}: {error}"));
        match UrlHost::of(&parsed) {
            Some(UrlHost::Address(ip)) => ip,
            _ => panic!("{url} should have an address as its host"),
        }
    }

    fn refusal(url: &str) -> Option<Refusal> {
        classify(host_of(url)).err()
    }

    #[test]
    fn every_refused_class_is_named() {
        let cases: &[(&str, Refusal)] = &[
            ("http://127.0.0.1:8080/", Refusal::Loopback),
            ("http://127.255.1.2/", Refusal::Loopback),
            ("http://[::1]/", Refusal::Loopback),
            ("http://10.0.0.1/", Refusal::Private),
            ("http://172.16.0.1/", Refusal::Private),
            ("http://172.31.255.254/", Refusal::Private),
            ("http://192.168.1.1/", Refusal::Private),
            ("http://100.64.0.1/", Refusal::Private),
            ("http://100.127.255.254/", Refusal::Private),
            ("http://[fc00::1]/", Refusal::Private),
            ("http://[fd12:3456::1]/", Refusal::Private),
            ("http://169.254.169.254/latest/meta-data/", Refusal::LinkLocal),
            ("http://[fe80::1]/", Refusal::LinkLocal),
            ("http://224.0.0.1/", Refusal::Multicast),
            ("http://239.255.255.250/", Refusal::Multicast),
            ("http://[ff02::1]/", Refusal::Multicast),
            ("http://0.0.0.0/", Refusal::Unspecified),
            ("http://0.1.2.3/", Refusal::Unspecified),
            ("http://[::]/", Refusal::Unspecified),
            ("http://255.255.255.255/", Refusal::Broadcast),
            ("http://192.0.2.1/", Refusal::Documentation),
            ("http://198.51.100.7/", Refusal::Documentation),
            ("http://203.0.113.9/", Refusal::Documentation),
            ("http://[2001:db8::1]/", Refusal::Documentation),
            ("http://240.0.0.1/", Refusal::Reserved),
            ("http://198.18.0.1/", Refusal::Reserved),
            ("http://[2001::1]/", Refusal::Reserved),
            ("http://[100::1]/", Refusal::Reserved),
            ("http://[4000::1]/", Refusal::Reserved),
        ];
        for (url, expected) in cases {
            assert_eq!(refusal(url), Some(*expected), "{url}");
        }
    }

    #[test]
    fn other_spellings_of_loopback_are_refused() {
        // Each is 127.0.0.1 to a browser and to the `url` crate.
        for url in [
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0x7F000001/",
            "http://017700000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://127.0.1/",
            "http://127.0.0.1./",
            "https://%31%32%37.0.0.1/",
        ] {
            assert_eq!(host_of(url), IpAddr::V4(Ipv4Addr::LOCALHOST), "{url}");
            assert_eq!(refusal(url), Some(Refusal::Loopback), "{url}");
        }
    }

    #[test]
    fn ipv6_forms_of_refused_ipv4_addresses_are_refused() {
        let cases: &[(&str, Refusal)] = &[
            ("http://[::ffff:127.0.0.1]/", Refusal::Loopback),
            ("http://[::ffff:7f00:1]/", Refusal::Loopback),
            ("http://[::ffff:10.0.0.1]/", Refusal::Private),
            ("http://[::ffff:169.254.169.254]/", Refusal::LinkLocal),
            ("http://[::127.0.0.1]/", Refusal::Loopback),
            ("http://[::10.1.2.3]/", Refusal::Private),
            ("http://[64:ff9b::127.0.0.1]/", Refusal::Loopback),
            ("http://[64:ff9b::a9fe:a9fe]/", Refusal::LinkLocal),
            ("http://[64:ff9b:1::8.8.8.8]/", Refusal::Private),
            ("http://[2002:7f00:1::]/", Refusal::Loopback),
            ("http://[2002:c0a8:101::1]/", Refusal::Private),
        ];
        for (url, expected) in cases {
            assert_eq!(refusal(url), Some(*expected), "{url}");
        }
        // IPv4-compatible forms are refused even around a public address: nothing routes them.
        assert_eq!(refusal("http://[::8.8.8.8]/"), Some(Refusal::Reserved));
    }

    #[test]
    fn public_addresses_are_allowed() {
        // Classification only: nothing here is contacted.
        for url in [
            "https://93.184.215.14/",
            "http://8.8.8.8/",
            "http://1.1.1.1:8443/hook",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
            "http://11.0.0.1/",
            "http://[2606:4700:4700::1111]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[64:ff9b::8.8.8.8]/",
            "http://[2002:808:808::1]/",
        ] {
            assert_eq!(refusal(url), None, "{url}");
        }
    }

    #[test]
    fn host_names_are_left_to_resolve() {
        let parsed = url::Url::parse("https://Hooks.Example.com/x").unwrap();
        assert!(matches!(UrlHost::of(&parsed), Some(UrlHost::Name(name)) if name == "hooks.example.com"));
    }
}
