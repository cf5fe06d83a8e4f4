-- Referrals: advocates with their codes, friends' visits, and conversions with fraud flags.

-- How long a visitor's browser remembers a referral code, and where shared links point.
ALTER TABLE sites ADD COLUMN referral_window_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE sites ADD COLUMN referral_landing_url TEXT;
-- More conversions than this in an hour are flagged as a burst.
ALTER TABLE sites ADD COLUMN conversion_burst_limit INTEGER NOT NULL DEFAULT 20;

CREATE TABLE advocates (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    -- The address as a person, not a spelling: lower-case, without +tags, Gmail without dots.
    email_key TEXT NOT NULL,
    ip_prefix TEXT,
    device TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, email_key)
);

CREATE TABLE referral_visits (
    id INTEGER PRIMARY KEY,
    advocate_id INTEGER NOT NULL REFERENCES advocates(id) ON DELETE CASCADE,
    device TEXT,
    ip_prefix TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX referral_visits_by_advocate ON referral_visits (advocate_id, device);

CREATE TABLE conversions (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    advocate_id INTEGER NOT NULL REFERENCES advocates(id) ON DELETE CASCADE,
    -- The site's own id for the conversion (an order number); one conversion per id.
    external_id TEXT NOT NULL,
    email TEXT,
    email_key TEXT,
    ip_prefix TEXT,
    device TEXT,
    -- Comma-separated reasons for review; empty when nothing looked wrong.
    flags TEXT NOT NULL DEFAULT '',
    -- A moderator's verdict on a flagged conversion.
    review TEXT CHECK (review IN ('accepted', 'rejected')),
    reward_given_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, external_id)
);

CREATE INDEX conversions_by_site_time ON conversions (site_id, created_at);
CREATE INDEX conversions_by_advocate ON conversions (advocate_id);
