-- Photos visitors upload with a testimonial: stored re-encoded (JPEG, metadata stripped), so
-- nothing of the original file survives but its pixels.
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    data BYTEA NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX photos_by_site ON photos (site_id, created_at);
