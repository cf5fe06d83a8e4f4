-- Idempotency-Key on public POSTs: the first request with a key stores its answer; a retry with
-- the same key and body gets that answer again instead of creating a second testimonial.
CREATE TABLE idempotency_keys (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    -- SHA-256 of the request body: the same key with another body is a client bug.
    request_hash TEXT NOT NULL,
    -- NULL while the first request is still being handled.
    status INTEGER,
    body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, key)
);
