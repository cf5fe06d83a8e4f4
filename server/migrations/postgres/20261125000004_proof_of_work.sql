-- Optional proof of work per site: the number of leading zero bits a solution must have
-- (0: off). Used challenges are remembered with the other single-use nonces.
ALTER TABLE sites ADD COLUMN proof_of_work BIGINT NOT NULL DEFAULT 0;
ALTER TABLE used_email_links RENAME TO used_nonces;
