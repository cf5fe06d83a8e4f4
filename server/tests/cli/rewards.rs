//! Referral rewards from the command line: the rules and Stripe's signing secret with `site
//! set` (the secret sealed, never printed), and the coupon pool with `fanfare coupons`.

use crate::helpers::*;

const SECRET: &str = "whsec_cliSecret0123456789";

#[test]
fn site_set_takes_the_reward_rules_and_seals_the_stripe_secret() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    assert_eq!(cli.site("acme").rewards.every, None, "no automatic rewards until asked for");
    assert_eq!(cli.site("acme").rewards.hold_days, 14, "a 14-day refund window by default");

    let printed = cli.ok(&[
        "site",
        "set",
        "acme",
        "--stripe-signing-secret",
        SECRET,
        "--reward-every",
        "3",
        "--reward-hold-days",
        "30",
        "--reward-min-amount",
        "2500",
        "--friend-coupon",
        "FRIEND10",
    ]);
    assert!(!printed.contains(SECRET), "never printed: {printed}");
    let site = cli.site("acme");
    assert_eq!(
        (site.rewards.every, site.rewards.hold_days, site.rewards.min_amount),
        (Some(3), 30, Some(2500))
    );
    assert_eq!(site.rewards.friend_coupon.as_deref(), Some("FRIEND10"));
    assert!(site.stripe_signing_secret.is_some());
    assert!(!cli.at_rest().contains(SECRET), "sealed at rest");

    for (flag, value, says) in [
        ("--reward-every", "often", "--reward-every must be a whole number"),
        ("--reward-hold-days", "400", "--reward-hold-days must be a whole number of days"),
        (
            "--stripe-signing-secret",
            "sk_live_abc",
            "--stripe-signing-secret must be the endpoint's signing secret",
        ),
        ("--friend-coupon", "TWO WORDS", "--friend-coupon must be one code"),
    ] {
        let refused = cli.fails(&["site", "set", "acme", flag, value]);
        assert!(refused.contains(says), "{flag}: {refused}");
    }
    assert_eq!(cli.site("acme").rewards, site.rewards, "nothing changed");

    cli.ok(&["site", "set", "acme", "--reward-every", "off", "--stripe-signing-secret", ""]);
    let site = cli.site("acme");
    assert_eq!((site.rewards.every, site.stripe_signing_secret), (None, None));
}

#[test]
fn coupons_are_added_from_a_file_once_each_and_a_bad_line_adds_nothing() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let file = cli.dir.path().join("codes.txt");
    std::fs::write(&file, "SPRING-1\nSPRING 2\nSPRING-3\n").unwrap();
    let path = file.to_str().unwrap();
    let refused = cli.fails(&["coupons", "add", "--site", "acme", path]);
    assert!(refused.contains("line 2: has a space") && refused.contains("nothing was added"), "{refused}");
    assert!(cli.ok(&["coupons", "list", "--site", "acme"]).contains("0 unused codes"));

    std::fs::write(&file, "SPRING-1\n\nSPRING-2\r\nSPRING-3\n").unwrap();
    let added = cli.ok(&["coupons", "add", "--site", "acme", path]);
    assert!(added.contains("added 3 codes to acme (0 were already there); 3 unused"), "{added}");
    let again = cli.ok(&["coupons", "add", "--site", "acme", path]);
    assert!(again.contains("added 0 codes to acme (3 were already there)"), "{again}");
    assert_eq!(cli.ok(&["coupons", "list", "--site", "acme"]).trim(), "acme: 3 unused codes, 0 handed out");
    let missing = cli.fails(&["coupons", "add", "--site", "acme", "no-such-file.txt"]);
    assert!(missing.contains("no-such-file.txt"), "{missing}");
    assert!(cli.fails(&["coupons", "list", "--site", "nope"]).contains("nope"));
}
