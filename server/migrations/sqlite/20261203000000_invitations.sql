-- Going to the customer: site keys for the business's own systems, invitations emailed after a
-- purchase, the addresses that asked never to be emailed again, and verified testimonials.

-- A testimonial sent through a valid, unused invitation link: from a verified customer.
ALTER TABLE testimonials ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));

-- Days after the invitation before the one reminder; 0 sends none.
ALTER TABLE sites ADD COLUMN invitation_reminder_days INTEGER NOT NULL DEFAULT 7;
-- Invitation and reminder emails a site may send in any 24 hours; the rest wait their turn.
ALTER TABLE sites ADD COLUMN invitation_daily_cap INTEGER NOT NULL DEFAULT 200;

-- Keys for server-to-server calls (an order system inviting after a sale, a checkout recording
-- a conversion): they can invite and convert, nothing else.
CREATE TABLE site_keys (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    -- SHA-256 of the key, hex; the key itself is shown once and never stored.
    key_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    -- The key's last four characters, so an owner can tell keys apart.
    hint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX site_keys_by_site ON site_keys (site_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    -- The address as compared (lower case, no +tag, Gmail's dots dropped): one invitation per
    -- person per 30 days whatever the spelling.
    email_key TEXT NOT NULL,
    name TEXT,
    -- Newline-joined, like the testimonial tags they will join.
    tags TEXT NOT NULL DEFAULT '',
    order_id TEXT,
    lang TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sent', 'reminded', 'responded', 'unsubscribed', 'failed')),
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    reminded_at INTEGER,
    responded_at INTEGER,
    -- When the sender acts on it next (the email, a retry, the reminder); NULL: nothing more.
    next_send_at INTEGER,
    -- A sender holding it until then (the one that wrote lease_owner); another instance leaves
    -- it alone meanwhile.
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    testimonial_id TEXT
);
CREATE INDEX invitations_by_address ON invitations (site_id, email_key, created_at);
CREATE INDEX invitations_by_site ON invitations (site_id, created_at, id);
CREATE INDEX invitations_due ON invitations (next_send_at) WHERE next_send_at IS NOT NULL;
-- The daily cap counts a site's emails of the last 24 hours.
CREATE INDEX invitations_sent ON invitations (site_id, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX invitations_reminded ON invitations (site_id, reminded_at) WHERE reminded_at IS NOT NULL;

-- Addresses a site must never email again, as a keyed hash: an erased person stays unsubscribed
-- without their address being kept.
CREATE TABLE suppressions (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    address_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, address_hash)
);
