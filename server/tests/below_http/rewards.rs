//! Rewards below HTTP, time driven by the test: counting conversions into rewards (one for
//! every N, a minimum amount), the hold, a refund's effect before and after it, the coupon pool,
//! and two server instances racing for the last code.

use fanfare_server::clock::now_ms;
use fanfare_server::service::referrals::{Friend, Sale};
use fanfare_server::service::rewards::RefundOutcome;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::{Actor, Service};
use fanfare_server::storage::{ConversionSource, Money, NewAdvocate, RewardState, SaleRef, Site};

use crate::world::World;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The letters referral codes are made of.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

async fn with_rules(service: &Service, site: &Site, every: &str, hold_days: &str, min: &str) -> Site {
    let input = SettingsInput {
        reward_every: Some(every),
        reward_hold_days: Some(hold_days),
        reward_min_amount: Some(min),
        // Some tests make many sales in a moment; none is about bursts.
        conversion_burst_limit: Some("1000"),
        ..SettingsInput::default()
    };
    service.change_site(site, Actor::CommandLine, input).await.unwrap()
}

/// An advocate of the site, by email; its code.
async fn advocate(service: &Service, site: &Site, email: &str) -> String {
    let request = fanfare_protocol::referrals::CreateReferral {
        name: Some("Ada".into()),
        email: Some(email.into()),
        page_url: None,
        device: None,
    };
    service.refer(site, None, "en", request).await.unwrap().code
}

/// A trusted sale (the business's own system) of `amount` EUR cents.
async fn sale(service: &Service, site: &Site, code: &str, order: &str, amount: i64) {
    let sale = Sale {
        external_id: order,
        source: ConversionSource::System,
        value: Some(Money { amount, currency: "eur".into() }),
        payment_id: None,
    };
    let friend = Friend { email: Some("grace@example.com"), ip_prefix: None, device: None };
    let conversion = service.convert(site, code, sale, friend).await.unwrap();
    assert!(conversion.flags.is_empty(), "a site key's sale needs no visit: {:?}", conversion.flags);
}

async fn states(service: &Service, site: &Site) -> Vec<RewardState> {
    let mut states: Vec<RewardState> = service
        .rewards_overview(site, None)
        .await
        .unwrap()
        .recent
        .into_iter()
        .map(|listing| listing.reward.state)
        .collect();
    states.reverse();
    states
}

#[tokio::test]
async fn every_second_sale_earns_a_reward_after_the_hold_and_small_sales_do_not_count() {
    let world = World::new().await;
    let service = world.service().await;
    let site = with_rules(&service, &world.site, "2", "14", "2000").await;
    service.add_coupons(&site, Actor::CommandLine, "FIRST\nSECOND\n").await.unwrap();
    let code = advocate(&service, &site, "ada@example.com").await;
    let start = now_ms();
    sale(&service, &site, &code, "order-1", 2500).await;
    sale(&service, &site, &code, "order-small", 1999).await;
    assert!(states(&service, &site).await.is_empty(), "one qualifying sale of two needed");
    sale(&service, &site, &code, "order-2", 4000).await;
    assert_eq!(states(&service, &site).await, [RewardState::Held]);

    let report = service.settle_rewards(start + 13 * DAY_MS).await.unwrap();
    assert_eq!((report.released, report.given), (0, 0), "still inside the refund window");
    let report = service.settle_rewards(start + 14 * DAY_MS + 60_000).await.unwrap();
    assert_eq!((report.released, report.given), (1, 1));
    let overview = service.rewards_overview(&site, None).await.unwrap();
    assert_eq!(overview.recent[0].reward.coupon_code.as_deref(), Some("FIRST"), "the oldest code first");
    assert_eq!((overview.coupons.unused, overview.coupons.used), (1, 1));
    let again = service.settle_rewards(start + 15 * DAY_MS).await.unwrap();
    assert_eq!(again.given, 0, "a reward is given once");
    let leaderboard = world.storage.advocate_stats(site.id, 10, 0).await.unwrap();
    assert_eq!(leaderboard[0].rewards_given, 1, "the leaderboard counts it");
}

#[tokio::test]
async fn a_full_refund_in_the_hold_cancels_the_reward_and_frees_the_other_sale() {
    let world = World::new().await;
    let service = world.service().await;
    let site = with_rules(&service, &world.site, "2", "14", "").await;
    service.add_coupons(&site, Actor::CommandLine, "ONLY\n").await.unwrap();
    let code = advocate(&service, &site, "ada@example.com").await;
    let start = now_ms();
    sale(&service, &site, &code, "order-1", 1000).await;
    sale(&service, &site, &code, "order-2", 1000).await;
    let partial =
        service.refund(&site, Actor::CommandLine, SaleRef::Conversion("order-1"), Some(400), start).await;
    assert_eq!(
        partial.unwrap().unwrap().1,
        RefundOutcome::Recorded,
        "a partial refund keeps a sale with no minimum"
    );
    let (conversion, outcome) = service
        .refund(&site, Actor::CommandLine, SaleRef::Conversion("order-1"), None, start)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome, RefundOutcome::RewardCancelled);
    assert!(conversion.reversed_at.is_some());
    assert_eq!(states(&service, &site).await, [RewardState::Cancelled]);

    // order-2 counts again: with the next sale it makes a new reward.
    sale(&service, &site, &code, "order-3", 1000).await;
    assert_eq!(states(&service, &site).await, [RewardState::Cancelled, RewardState::Held]);
    let report = service.settle_rewards(start + 15 * DAY_MS).await.unwrap();
    assert_eq!(report.given, 1);

    // A refund after the hold: recorded, the reward stays given.
    let (_, outcome) = service
        .refund(&site, Actor::CommandLine, SaleRef::Conversion("order-3"), None, start + 16 * DAY_MS)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, RefundOutcome::AfterReward(reward) if reward.state == RewardState::Given));
    assert_eq!(states(&service, &site).await, [RewardState::Cancelled, RewardState::Given]);
    let leaderboard = world.storage.advocate_stats(site.id, 10, 0).await.unwrap();
    assert_eq!(leaderboard[0].rewards_given, 1, "the given one, not the cancelled one");
    let unknown = service.refund(&site, Actor::CommandLine, SaleRef::Payment("pi_nobody"), None, start).await;
    assert!(unknown.unwrap().is_none(), "a refund for an unknown payment changes nothing");
}

#[tokio::test]
async fn an_empty_pool_keeps_the_reward_due_until_codes_arrive() {
    let world = World::new().await;
    let service = world.service().await;
    let site = with_rules(&service, &world.site, "1", "0", "").await;
    let code = advocate(&service, &site, "ada@example.com").await;
    sale(&service, &site, &code, "order-1", 1000).await;
    let now = now_ms() + 1000;
    let report = service.settle_rewards(now).await.unwrap();
    assert_eq!((report.given, report.waiting), (0, 1));
    assert_eq!(states(&service, &site).await, [RewardState::Due]);
    service.add_coupons(&site, Actor::CommandLine, "LATE\n").await.unwrap();
    assert_eq!(service.settle_rewards(now).await.unwrap().given, 1);
    assert_eq!(states(&service, &site).await, [RewardState::Given]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_for_the_last_code_hand_it_out_once() {
    let world = World::new().await;
    let first = world.service().await;
    let second = world.second_instance().await;
    let site = with_rules(&first, &world.site, "1", "0", "").await;
    let mut codes = Vec::new();
    for n in 0..6 {
        let code = advocate(&first, &site, &format!("advocate{n}@example.com")).await;
        sale(&first, &site, &code, &format!("order-{n}"), 1000).await;
        codes.push(code);
    }
    first.add_coupons(&site, Actor::CommandLine, "LAST-ONE\n").await.unwrap();
    let now = now_ms() + 1000;
    let (a, b) = tokio::join!(first.settle_rewards(now), second.settle_rewards(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.given + b.given, 1, "one code, one reward: {a:?} {b:?}");
    let rewards = first.rewards_overview(&site, None).await.unwrap().recent;
    let given: Vec<_> = rewards.iter().filter(|listing| listing.reward.state == RewardState::Given).collect();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].reward.coupon_code.as_deref(), Some("LAST-ONE"));
    assert_eq!(rewards.iter().filter(|listing| listing.reward.state == RewardState::Due).count(), 5);
    let pool = first.coupon_counts(&site).await.unwrap();
    assert_eq!((pool.unused, pool.used), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rewards_drawing_at_once_never_share_a_code() {
    let world = World::new().await;
    let service = world.service().await;
    let site = with_rules(&service, &world.site, "1", "0", "").await;
    let other = fanfare_server::storage::connect(world.url()).await.unwrap();
    let mut rewards = Vec::new();
    for n in 0..40 {
        // Straight into storage: forty sign-ups from one address would meet the rate limit.
        let email = format!("advocate{n}@example.com");
        let new = NewAdvocate {
            site_id: site.id,
            code: format!("ADV{}{}XYZ", ALPHABET[n / 30] as char, ALPHABET[n % 30] as char),
            name: "Ada".into(),
            email_key: email.clone(),
            email,
            ip_prefix: None,
            device: None,
            lang: "en".into(),
            created_at: 1,
        };
        let code = world.storage.upsert_advocate(new).await.unwrap().0.code;
        sale(&service, &site, &code, &format!("order-{n}"), 1000).await;
    }
    service.settle_rewards(now_ms() + 1000).await.unwrap();
    for listing in service.rewards_overview(&site, Some(RewardState::Due)).await.unwrap().recent {
        rewards.push(listing.reward.id);
    }
    assert_eq!(rewards.len(), 40, "every reward waits for a code");
    // Pairs of rewards draw from a pool of one code, each through its own connection.
    for (round, pair) in rewards.chunks(2).enumerate() {
        let code = format!("CODE-{round}");
        world.storage.add_coupons(site.id, std::slice::from_ref(&code), 1).await.unwrap();
        let (a, b) = tokio::join!(
            world.storage.draw_coupon(site.id, pair[0], 2),
            other.draw_coupon(site.id, pair[1], 2)
        );
        let drawn: Vec<String> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(drawn, [code], "round {round}: one code, one reward");
    }
}

#[tokio::test]
async fn turning_rewards_on_never_pays_out_the_sites_history() {
    let world = World::new().await;
    let service = world.service().await;
    let code = advocate(&service, &world.site, "ada@example.com").await;
    sale(&service, &world.site, &code, "before-1", 1000).await;
    sale(&service, &world.site, &code, "before-2", 1000).await;
    let (_, conversions) = service.advocate(&world.site, 1).await.unwrap();
    let given_by_hand = conversions.iter().find(|c| c.external_id == "before-2").unwrap().id;
    service
        .review_conversion(
            &world.site,
            Actor::CommandLine,
            given_by_hand,
            fanfare_server::service::referrals::ConversionReview::RewardGiven,
        )
        .await
        .unwrap();

    let site = with_rules(&service, &world.site, "1", "0", "").await;
    service.add_coupons(&site, Actor::CommandLine, "A\nB\nC\n").await.unwrap();
    let report = service.settle_rewards(now_ms() + 1000).await.unwrap();
    assert_eq!((report.created, report.given), (0, 0), "sales from before the rules count for nothing");
    sale(&service, &site, &code, "after-1", 1000).await;
    let report = service.settle_rewards(now_ms() + 1000).await.unwrap();
    assert_eq!(report.given, 1, "only the sale made since");
    // Turned off and on again: counting starts afresh.
    let off = with_rules(&service, &site, "off", "0", "").await;
    sale(&service, &off, &code, "while-off", 1000).await;
    let on = with_rules(&service, &off, "1", "0", "").await;
    assert_eq!(service.settle_rewards(now_ms() + 1000).await.unwrap().created, 0);
    assert!(on.rewards.since > site.rewards.since);
}
