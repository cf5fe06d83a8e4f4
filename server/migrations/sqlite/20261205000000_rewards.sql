-- Referral rewards: rules per site, what a conversion is worth and where it came from, the
-- rewards it earns, the coupon pool they are paid from, and the Stripe events already handled.

-- NULL: no automatic rewards (a person marks them by hand, as before); N: a reward for every N
-- qualifying conversions of an advocate.
ALTER TABLE sites ADD COLUMN reward_every INTEGER;
-- When automatic rewards were last turned on: conversions from before count for nothing, so
-- turning them on never pays out a site's history (rewarded by hand or not).
ALTER TABLE sites ADD COLUMN rewards_since INTEGER;
-- 'coupons': a code from the pool, emailed; 'webhook': the business pays in its own system on
-- `referral.rewarded`, no code.
ALTER TABLE sites ADD COLUMN reward_payout TEXT NOT NULL DEFAULT 'coupons'
    CHECK (reward_payout IN ('coupons', 'webhook'));
-- Days a conversion waits (the refund window) before its reward is earned.
ALTER TABLE sites ADD COLUMN reward_hold_days INTEGER NOT NULL DEFAULT 14;
-- Smallest qualifying amount, in the currency's smallest unit (as Stripe counts: 2500 = 25.00).
ALTER TABLE sites ADD COLUMN reward_min_amount INTEGER;
-- Double-sided: the code a referred friend is shown on the landing page.
ALTER TABLE sites ADD COLUMN friend_coupon TEXT;
-- Sealed under the operator's key, like webhook secrets.
ALTER TABLE sites ADD COLUMN stripe_signing_secret TEXT;
-- The last warning the owners got about the coupon pool ('low' or 'empty'), so it is sent once;
-- cleared when codes are added.
ALTER TABLE sites ADD COLUMN coupon_alert TEXT CHECK (coupon_alert IN ('low', 'empty'));

-- The language the advocate's emails speak (from the browser that signed up).
ALTER TABLE advocates ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- 'page' (a browser, checked), 'system' (a site key), 'stripe' (a signed Stripe event) or
-- 'testimonial' (a referred visitor's testimonial: credited, never rewarded).
ALTER TABLE conversions ADD COLUMN source TEXT NOT NULL DEFAULT 'page'
    CHECK (source IN ('page', 'system', 'stripe', 'testimonial'));
-- Conversions from before sources were kept that were testimonials.
UPDATE conversions SET source = 'testimonial' WHERE external_id LIKE 'testimonial-%';
-- In the currency's smallest unit; refunded_amount grows with partial refunds.
ALTER TABLE conversions ADD COLUMN amount INTEGER;
ALTER TABLE conversions ADD COLUMN currency TEXT;
ALTER TABLE conversions ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
-- The payment a refund names (Stripe's payment intent), to find the conversion it reverses.
ALTER TABLE conversions ADD COLUMN payment_id TEXT;
ALTER TABLE conversions ADD COLUMN reversed_at INTEGER;
-- The reward this conversion counts towards, once it counts towards one.
ALTER TABLE conversions ADD COLUMN reward_id INTEGER;

CREATE INDEX conversions_by_payment ON conversions (site_id, payment_id);
CREATE INDEX conversions_by_reward ON conversions (reward_id);

CREATE TABLE rewards (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    advocate_id INTEGER NOT NULL REFERENCES advocates(id) ON DELETE CASCADE,
    -- held: waiting out the refund window; due: earned, not yet handed out; given; cancelled.
    state TEXT NOT NULL CHECK (state IN ('held', 'due', 'given', 'cancelled')),
    -- How many conversions it stands for (the site's N when it was earned).
    conversions INTEGER NOT NULL,
    hold_until INTEGER NOT NULL,
    -- The code handed out; NULL when given by hand or through a webhook only.
    coupon_code TEXT,
    -- Set by the instance that sends the email, so it is sent once.
    emailed_at INTEGER,
    given_at INTEGER,
    cancelled_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE INDEX rewards_by_site_state ON rewards (site_id, state, hold_until);
CREATE INDEX rewards_by_advocate ON rewards (advocate_id);

CREATE TABLE coupons (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    -- The reward it was handed out for: a reward holds one code, a code goes to one reward.
    reward_id INTEGER UNIQUE REFERENCES rewards(id) ON DELETE SET NULL,
    used_at INTEGER,
    UNIQUE (site_id, code)
);

CREATE INDEX coupons_unused ON coupons (site_id, used_at, id);

-- Stripe events already handled, so a replay changes nothing; pruned after 30 days (Stripe
-- retries for three).
CREATE TABLE stripe_events (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, event_id)
);
