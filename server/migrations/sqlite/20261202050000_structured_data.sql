-- Whether the read-only fragments carry schema.org JSON-LD (a Product with the honest rating
-- summary and the reviews shown). Off by default: see README, "Structured data (JSON-LD)".
ALTER TABLE sites ADD COLUMN structured_data INTEGER NOT NULL DEFAULT 0
    CHECK (structured_data IN (0, 1));
