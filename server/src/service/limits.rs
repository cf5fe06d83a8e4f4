//! Rate limits: fixed windows counted in memory, per instance. Every public write and every
//! failed sign-in goes through here; `FANFARE_RATE_LIMITS=off` turns them all off for load
//! tests and benchmarks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` events per `window` for one key.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

const MINUTE: Duration = Duration::from_secs(60);

/// Submissions (testimonials, referral links) from one address.
pub const WRITES_PER_IP: Rule = Rule { name: "ip", max: 30, window: Duration::from_secs(10 * 60) };
/// Everything written to one site, whoever sends it: a flood spread over many addresses.
pub const WRITES_PER_SITE: Rule = Rule { name: "site", max: 600, window: MINUTE };
/// Testimonials carrying one email address on one site.
pub const SUBMISSIONS_PER_EMAIL: Rule = Rule { name: "email", max: 10, window: Duration::from_secs(60 * 60) };
/// Referral visits and conversions from one address: cheap requests, so a higher ceiling.
pub const EVENTS_PER_IP: Rule = Rule { name: "event-ip", max: 120, window: Duration::from_secs(10 * 60) };
/// Requests to authors' manage links (page and forms) from one address, whichever token:
/// nobody has many testimonials, so a client going through many links is guessing or scraping.
pub const MANAGE_PER_IP: Rule = Rule { name: "manage-ip", max: 60, window: Duration::from_secs(10 * 60) };
/// Requests to one manage link, from anywhere: an author reads and corrects a few times, a
/// leaked link hammered from many addresses stops here.
pub const MANAGE_PER_TOKEN: Rule =
    Rule { name: "manage-token", max: 30, window: Duration::from_secs(10 * 60) };
/// Sign-in attempts per account address and per client network: counted before the password
/// is checked (so parallel guesses cannot outrun the count) and given back when one succeeds.
pub const SIGN_IN_FAILURES: Rule = Rule { name: "sign-in", max: 10, window: Duration::from_secs(15 * 60) };

pub struct RateLimiter {
    enabled: bool,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    start: Instant,
    count: u32,
    length: Duration,
}

/// Entries kept before finished windows are swept out, so the map cannot grow without bound.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(enabled: bool) -> Self {
        Self { enabled, windows: Mutex::new(HashMap::new()) }
    }

    /// Lets the event through and counts it, or refuses it (uncounted) when any rule's key is
    /// used up. All rules are checked and counted under one lock: two requests at the same
    /// moment cannot both pass the check before either is counted.
    pub fn admit(&self, checks: &[(Rule, &str)]) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (rule, key) in checks {
            if let Some(window) = windows.get(&format!("{}:{key}", rule.name)) {
                window.refuses(*rule, now)?;
            }
        }
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, window| now.duration_since(window.start) < window.length);
        }
        for (rule, key) in checks {
            let window = windows.entry(format!("{}:{key}", rule.name)).or_insert(Window {
                start: now,
                count: 0,
                length: rule.window,
            });
            if now.duration_since(window.start) >= rule.window {
                *window = Window { start: now, count: 0, length: rule.window };
            }
            window.count += 1;
        }
        Ok(())
    }

    /// Gives back one event counted by [`RateLimiter::admit`] in the current window: for
    /// attempts counted before their outcome was known that turned out not to count (a
    /// sign-in that succeeded).
    pub fn refund(&self, rule: Rule, key: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(window) = windows.get_mut(&format!("{}:{key}", rule.name)) {
            if now.duration_since(window.start) < rule.window {
                window.count = window.count.saturating_sub(1);
            }
        }
    }
}

impl Window {
    fn refuses(&self, rule: Rule, now: Instant) -> Result<(), u64> {
        let elapsed = now.duration_since(self.start);
        if elapsed < rule.window && self.count >= rule.max {
            Err((rule.window - elapsed).as_secs().max(1))
        } else {
            Ok(())
        }
    }
}

/// The part of an address that identifies one client: the whole IPv4 address, or the /64 an
/// IPv6 client can freely choose addresses within.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The rate-limit key of a client: [`client_key`], or one shared key when the address is unknown.
pub fn client_key_of(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".to_owned(), client_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: Rule = Rule { name: "t", max: 2, window: Duration::from_secs(60) };

    #[test]
    fn a_key_gets_its_quota_then_a_wait() {
        let limiter = RateLimiter::new(true);
        assert!(limiter.admit(&[(TWO, "a")]).is_ok());
        assert!(limiter.admit(&[(TWO, "a")]).is_ok());
        let wait = limiter.admit(&[(TWO, "a")]).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.admit(&[(TWO, "b")]).is_ok(), "keys are counted apart");
    }

    #[test]
    fn a_refusal_counts_against_no_rule() {
        let limiter = RateLimiter::new(true);
        let other = Rule { name: "o", ..TWO };
        limiter.admit(&[(TWO, "a")]).unwrap();
        limiter.admit(&[(TWO, "a")]).unwrap();
        assert!(limiter.admit(&[(other, "x"), (TWO, "a")]).is_err());
        limiter.admit(&[(other, "x")]).unwrap();
        assert!(limiter.admit(&[(other, "x")]).is_ok(), "the refused request did not use up x");
    }

    #[test]
    fn a_refund_gives_one_event_back() {
        let limiter = RateLimiter::new(true);
        limiter.admit(&[(TWO, "a")]).unwrap();
        limiter.admit(&[(TWO, "a")]).unwrap();
        limiter.refund(TWO, "a");
        assert!(limiter.admit(&[(TWO, "a")]).is_ok());
        assert!(limiter.admit(&[(TWO, "a")]).is_err());
    }

    #[test]
    fn parallel_callers_never_get_more_than_the_quota() {
        let limiter = std::sync::Arc::new(RateLimiter::new(true));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let limiter = limiter.clone();
                std::thread::spawn(move || (0..10).filter(|_| limiter.admit(&[(TWO, "a")]).is_ok()).count())
            })
            .collect();
        let admitted: usize = threads.into_iter().map(|thread| thread.join().unwrap()).sum();
        assert_eq!(admitted, 2);
    }

    #[test]
    fn switched_off_nothing_is_limited() {
        let limiter = RateLimiter::new(false);
        for _ in 0..10 {
            assert!(limiter.admit(&[(TWO, "a")]).is_ok());
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(client_key("::ffff:203.0.113.7".parse().unwrap()), "203.0.113.7");
    }
}
