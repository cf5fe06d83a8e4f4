-- Photos and videos live in the media store (a directory or S3-compatible storage); a row here
-- says what each object is. Photos already in the `photos` table are moved out by the server
-- when it opens the store (the bytes need the store, which SQL cannot reach), row by row: the
-- object is written, then its `media` row added and the `photos` row deleted together.
CREATE TABLE media (
    id TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    -- 'photo' or 'video'.
    kind TEXT NOT NULL,
    -- 'receiving' while a video's parts arrive, 'assembling' while one request puts them
    -- together and checks them, then 'ready'; 'removing' once the sweep has claimed it.
    state TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    duration_ms BIGINT,
    -- e.g. 'vp8,opus'.
    codecs TEXT,
    -- A poster frame is stored beside the video.
    poster BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE INDEX media_by_age ON media (created_at);
CREATE INDEX media_by_site ON media (site_id, created_at);

-- A video testimonial: the text is its transcript; `captions` is that transcript timed, one cue
-- a line ("m:ss words"), when its author or a moderator timed it.
ALTER TABLE testimonials ADD COLUMN video_id TEXT;
ALTER TABLE testimonials ADD COLUMN captions TEXT;
-- A medium belongs to one testimonial: two submissions racing with the same upload get one.
CREATE UNIQUE INDEX testimonials_video_once ON testimonials (video_id) WHERE video_id IS NOT NULL;
CREATE UNIQUE INDEX testimonials_photo_once ON testimonials (photo_id) WHERE photo_id IS NOT NULL;
