-- `serve` prunes these tables every hour by age (README, "Security"): indexes on the columns the
-- cut-offs read, so a prune touches only what it removes.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX used_nonces_by_age ON used_nonces (used_at);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
