//! The dashboard's Rewards tab: owners fill the coupon pool (a refused line named under the
//! box), anyone on the team hands a due reward out by hand.

use fanfare_server::clock::now_ms;
use fanfare_server::domain::Role;
use fanfare_server::storage::RewardState;

use super::fixtures::*;
use crate::helpers::{refused_field, SITE};
use crate::notifications::next_message;

#[tokio::test]
async fn owners_fill_the_pool_and_anyone_on_the_team_hands_a_due_reward_out_by_hand() {
    let (app, mut inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    app.reward_rules("1", "0").await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await;
    app.service.settle_rewards(now_ms() + 1000).await.unwrap();

    let moderator = app.login("mod@acme.test").await;
    let refused = app.post_form(&moderator, "/admin/sites/acme/rewards/coupons", &[("codes", "X1")]).await;
    assert_eq!(refused.status(), 403);
    let page = app.get_page(&moderator.cookie, "/admin/sites/acme/rewards").await;
    assert!(page.contains("Empty: 1 rewards are waiting"), "{page}");

    let owner = app.login(OWNER).await;
    let bad =
        app.post_form(&owner, "/admin/sites/acme/rewards/coupons", &[("codes", "ONE\nTWO CODES\n")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("line 2"), "the refused line is named");
    let added = app.post_form(&owner, "/admin/sites/acme/rewards/coupons", &[("codes", "ONE\nTWO\n")]).await;
    assert_eq!(added.status(), 303);
    let page = app.get_page(&owner.cookie, "/admin/sites/acme/rewards?added=2&skipped=0").await;
    assert!(page.contains("Added 2 codes"), "{page}");

    let listing = &app.service.rewards_overview(&app.acme().await, None).await.unwrap().recent[0];
    let path = format!("/admin/sites/acme/rewards/{}/give", listing.reward.id);
    assert_eq!(app.post_form(&moderator, &path, &[]).await.status(), 303);
    assert_eq!(app.reward_states().await, [RewardState::Given]);
    let pool = app.service.coupon_counts(&app.acme().await).await.unwrap();
    assert_eq!(pool.unused, 2, "given by hand: no code drawn");
}

#[tokio::test]
async fn refused_coupon_codes_stay_in_their_box_with_the_error_under_it() {
    let (app, _inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let owner = app.login(OWNER).await;
    let typed = "ONE\nTWO CODES\n<THREE>\n";
    let bad = app.post_form(&owner, "/admin/sites/acme/rewards/coupons", &[("codes", typed)]).await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(
        page.contains("<h1>Rewards</h1>") && page.contains("Coupon pool"),
        "the Rewards page itself: {page}"
    );
    let codes = refused_field(&page, "codes");
    assert_eq!(codes.inner, "ONE\nTWO CODES\n&lt;THREE&gt;\n", "as typed");
    assert!(codes.message.starts_with("line 2: has a space"), "{}", codes.message);
    assert!(codes.message.ends_with("nothing was added"), "{}", codes.message);
    let pool = app.service.coupon_counts(&app.acme().await).await.unwrap();
    assert_eq!((pool.unused, pool.used), (0, 0), "nothing added");
}
