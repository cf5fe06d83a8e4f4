//! Five regulars who became advocates: friends following their links over the weeks, the
//! orders those friends placed, and the rewards the orders earned. Most orders were reported
//! by the shop's checkout; one by the thank-you page in the friend's browser, which waits for a
//! moderator while rewards are on (accepted here); one the advocate placed through their own
//! link, flagged for review. Rewards were given as each 14-day return window ended; the newest
//! are still held.

use std::net::{IpAddr, Ipv6Addr};

use super::{DAY, MINUTE, REWARDS_STARTED};
use crate::domain::{email_key, truncate_ip};
use crate::secrets;
use crate::service::referrals::{ConversionReview, Friend, Sale};
use crate::service::rewards::UNVERIFIED_SALE;
use crate::service::{site_keys, Actor, Service};
use crate::storage::{ConversionSource, DynStorage, Money, NewAdvocate, Site};

struct Advocate {
    name: &'static str,
    email: &'static str,
    lang: &'static str,
    /// How long before the seed runs they asked for their link.
    joined: i64,
    /// Friends' browsers that followed the link, spread from then until now.
    visits: i64,
    orders: &'static [Order],
}

/// A referred friend's order.
struct Order {
    id: &'static str,
    /// How long before the seed runs it was placed.
    placed: i64,
    /// Euro cents.
    amount: i64,
    buyer: &'static str,
    /// Reported by the thank-you page (`Fanfare.convert`) rather than the shop's checkout.
    by_browser: bool,
}

const ORDER: Order = Order { id: "", placed: 0, amount: 0, buyer: "", by_browser: false };

/// The same people as their testimonials (and their addresses).
const ADVOCATES: &[Advocate] = &[
    Advocate {
        name: "Maren Okafor",
        email: "maren@littlefern.example.com",
        lang: "en",
        joined: 52 * DAY,
        visits: 14,
        orders: &[
            Order {
                id: "KC-1041",
                placed: 44 * DAY,
                amount: 2450,
                buyer: "hannah.berg@example.com",
                ..ORDER
            },
            Order {
                id: "KC-1108",
                placed: 31 * DAY,
                amount: 3800,
                buyer: "felix.hartmann@example.com",
                ..ORDER
            },
            Order { id: "KC-1187", placed: 11 * DAY, amount: 1990, buyer: "ines.costa@example.com", ..ORDER },
        ],
    },
    Advocate {
        name: "Tomás Reyes",
        email: "tomas.reyes@example.com",
        lang: "es",
        joined: 40 * DAY,
        visits: 9,
        orders: &[
            Order {
                id: "KC-1096",
                placed: 33 * DAY,
                amount: 5200,
                buyer: "lucia.reyes@example.com",
                ..ORDER
            },
            Order {
                id: "KC-1214",
                placed: 6 * DAY,
                amount: 2450,
                buyer: "diego.martin@example.com",
                ..ORDER
            },
        ],
    },
    Advocate {
        name: "Jonas Weber",
        email: "jonas@lindeundsalz.example.com",
        lang: "de",
        joined: 30 * DAY,
        visits: 7,
        orders: &[
            Order {
                id: "KC-1139",
                placed: 23 * DAY,
                amount: 8600,
                buyer: "mia.schulz@example.com",
                by_browser: true,
            },
            // The restaurant's own order, through the chef's own link: a self-referral.
            Order {
                id: "KC-1201",
                placed: 8 * DAY,
                amount: 12900,
                buyer: "jonas@lindeundsalz.example.com",
                ..ORDER
            },
        ],
    },
    Advocate {
        name: "Aiko Tanaka",
        email: "aiko.tanaka@example.com",
        lang: "ja",
        joined: 20 * DAY,
        visits: 4,
        orders: &[Order {
            id: "KC-1226",
            placed: 3 * DAY,
            amount: 1990,
            buyer: "kenji.mori@example.com",
            ..ORDER
        }],
    },
    Advocate {
        name: "Priya Natarajan",
        email: "priya.natarajan@example.com",
        lang: "en",
        joined: 9 * DAY,
        visits: 2,
        orders: &[],
    },
];

/// Stores the advocates, their friends' visits and orders as of `now`, and settles rewards
/// as the server would have then.
pub(super) async fn seed(
    service: &Service,
    storage: &DynStorage,
    site: &Site,
    now: i64,
) -> anyhow::Result<()> {
    let window = i64::from(site.referral_window_days) * DAY;
    let mut visitors = Visitors(0);
    let mut orders = Vec::new();
    for advocate in ADVOCATES {
        let joined_at = now - advocate.joined;
        let (stored, _new) = storage
            .upsert_advocate(NewAdvocate {
                site_id: site.id,
                code: secrets::referral_code(),
                name: advocate.name.to_owned(),
                email: advocate.email.to_owned(),
                email_key: email_key(advocate.email),
                ip_prefix: Some(visitors.arrive().1),
                device: Some(secrets::testimonial_id()),
                lang: advocate.lang.to_owned(),
                created_at: joined_at,
            })
            .await?;
        for visit in 1..=advocate.visits {
            let at = joined_at + advocate.joined * visit / (advocate.visits + 1);
            let (device, network) = visitors.arrive();
            storage.record_visit(stored.id, Some(&device), Some(&network), at, at - window).await?;
        }
        orders.extend(advocate.orders.iter().map(|order| (stored.id, stored.code.clone(), order)));
    }

    // The shop's checkout reports orders with a site key, made when rewards were turned on
    // (its secret goes nowhere: an owner trying the API makes a key of their own).
    let secret = secrets::bearer_token(site_keys::PREFIX);
    let key_hash = secrets::hash_token(&secret);
    let hint: String = secret.chars().skip(secret.chars().count().saturating_sub(4)).collect();
    storage.create_site_key(site.id, &key_hash, "Shop checkout", &hint, now - REWARDS_STARTED).await?;

    // Oldest first, as they came: the checks look back from each order's own time.
    orders.sort_by_key(|(_, _, order)| std::cmp::Reverse(order.placed));
    let mut to_review = Vec::new();
    for (advocate_id, code, order) in orders {
        let placed_at = now - order.placed;
        let value = Some(Money { amount: order.amount, currency: "eur".to_owned() });
        let sale = Sale {
            external_id: order.id,
            source: if order.by_browser { ConversionSource::Page } else { ConversionSource::System },
            value,
            payment_id: None,
        };
        let mut friend = Friend { email: Some(order.buyer), ip_prefix: None, device: None };
        // A browser's report comes from a browser that followed the link shortly before.
        let browser = order.by_browser.then(|| visitors.arrive());
        if let Some((device, network)) = &browser {
            let visited_at = placed_at - 40 * MINUTE;
            storage
                .record_visit(advocate_id, Some(device), Some(network), visited_at, visited_at - window)
                .await?;
            friend = Friend { ip_prefix: Some(network), device: Some(device), ..friend };
        } else {
            // What `convert_from_system`'s check of the key leaves behind: when it was last used.
            storage.use_site_key(&key_hash, placed_at).await?;
        }
        let conversion = service.convert_at(site, &code, sale, friend, placed_at).await?;
        if conversion.flags == [UNVERIFIED_SALE] {
            to_review.push(conversion.id);
        }
    }

    // The server settles rewards every minute: each held one was given as its hold ended.
    let hold = i64::from(site.rewards.hold_days) * DAY;
    let mut rounds: Vec<i64> = ADVOCATES
        .iter()
        .flat_map(|advocate| advocate.orders)
        .map(|order| now - order.placed + hold + MINUTE)
        .filter(|round| *round < now)
        .collect();
    rounds.sort_unstable();
    for round in rounds {
        service.settle_rewards(round).await?;
    }
    // A moderator who has seen the order in the shop accepts the browser's word for it; its
    // hold is long over, so its reward goes out at once.
    for conversion in to_review {
        service.review_conversion(site, Actor::CommandLine, conversion, ConversionReview::Accept).await?;
    }
    service.settle_rewards(crate::clock::now_ms()).await?;
    Ok(())
}

/// Made-up browsers on addresses of the documentation range (2001:db8::/32), one network each.
struct Visitors(u16);

impl Visitors {
    /// A new browser's id and its network, as a visit records them.
    fn arrive(&mut self) -> (String, String) {
        self.0 += 1;
        let address = Ipv6Addr::new(0x2001, 0xdb8, self.0, 0, 0, 0, 0, 1);
        (secrets::testimonial_id(), truncate_ip(IpAddr::V6(address)))
    }
}
