-- Times are Unix milliseconds (UTC) so both backends store them the same way.

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    accent TEXT NOT NULL DEFAULT '#7a3e12',
    -- Site owner's overrides of widget texts, a JSON object of text id -> text.
    texts TEXT NOT NULL DEFAULT '{}',
    consent_text TEXT NOT NULL,
    consent_version INTEGER NOT NULL DEFAULT 1,
    low_rating_threshold INTEGER NOT NULL DEFAULT 3,
    created_at INTEGER NOT NULL
);

CREATE TABLE site_origins (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    PRIMARY KEY (site_id, origin)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    -- argon2id PHC string; NULL until a password is set (token-only users).
    password_hash TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'moderator')),
    PRIMARY KEY (user_id, site_id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE testimonials (
    id TEXT PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'spam', 'withdrawn')),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT,
    company TEXT,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    consent INTEGER NOT NULL,
    consent_text TEXT,
    consent_version INTEGER,
    photo_id TEXT,
    referral_code TEXT,
    page_url TEXT,
    -- Truncated client address (IPv4 /24, IPv6 /48): enough to spot abuse, not to identify.
    ip_prefix TEXT,
    reply TEXT,
    featured INTEGER NOT NULL DEFAULT 0,
    follow_up INTEGER NOT NULL DEFAULT 0,
    manage_token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX testimonials_by_site_status ON testimonials (site_id, status, created_at DESC, id DESC);
CREATE INDEX testimonials_by_email ON testimonials (site_id, email);

CREATE TABLE testimonial_tags (
    testimonial_id TEXT NOT NULL REFERENCES testimonials(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (testimonial_id, tag)
);

CREATE INDEX testimonial_tags_by_tag ON testimonial_tags (tag);
