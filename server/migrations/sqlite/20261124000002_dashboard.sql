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
