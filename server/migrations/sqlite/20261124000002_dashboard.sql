-- Dashboard sessions, the audit log, and what moderators and authors change on a testimonial.

CREATE TABLE sessions (
    -- SHA-256 of the cookie value; the value itself only ever lives in the browser.
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    -- NULL when the author acted through their manage link.
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    testimonial_id TEXT,
    detail TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX audit_log_by_site ON audit_log (site_id, created_at DESC);

ALTER TABLE testimonials ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE testimonials ADD COLUMN replied_at INTEGER;

-- The follow-up inbox: low ratings and "contact me" requests, resolved with a private note.
ALTER TABLE testimonials ADD COLUMN contact_me INTEGER NOT NULL DEFAULT 0;
ALTER TABLE testimonials ADD COLUMN follow_up_resolved_at INTEGER;
ALTER TABLE testimonials ADD COLUMN follow_up_note TEXT;

-- Moderation mode: NULL is manual; a number approves consenting ratings at or above it.
ALTER TABLE sites ADD COLUMN auto_approve_min_rating INTEGER CHECK (auto_approve_min_rating BETWEEN 1 AND 5);

-- One-click email links are single use: a link's nonce is recorded when it is used.
CREATE TABLE used_email_links (
    nonce TEXT PRIMARY KEY,
    used_at INTEGER NOT NULL
);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- Shared secret for the HMAC-SHA256 signature header; shown to the owner, who needs it.
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_site ON webhook_deliveries (site_id, created_at DESC);

-- Keys the server generates for itself (e.g. for signing one-click email links), so links
-- stay valid across restarts without a setting to manage.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
