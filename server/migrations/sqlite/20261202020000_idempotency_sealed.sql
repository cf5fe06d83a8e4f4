-- Nothing at rest may hold a usable secret: idempotency rows kept the raw key and the 201 answer,
-- manage link and all, in plain text. Now the row is found by a hash keyed with the client's
-- Idempotency-Key, and the answer is sealed (ChaCha20-Poly1305) under a key derived from it, so
-- only a retry that sends the key again can read it. Old rows cannot be sealed in SQL and are
-- kept a day at most anyway, so they go: a retry of a request from just before the upgrade is
-- handled as a new request.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    -- HMAC-SHA256 keyed by the client's Idempotency-Key, hex.
    key_hash TEXT NOT NULL,
    -- Keyed digest of the request body: the same key with another body is a client bug.
    request_hash TEXT NOT NULL,
    -- NULL while the first request is still being handled.
    status INTEGER,
    -- The answer sealed under the client's key: 'v1.' || hex(nonce || ciphertext).
    sealed_body TEXT,
    -- The testimonial the answer created, so erasing its author removes the row too.
    testimonial_id TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, key_hash)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_by_testimonial ON idempotency_keys (testimonial_id);
