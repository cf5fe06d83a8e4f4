-- The owner's overview: how long testimonials wait for a decision, and how often the public
-- list and the server-rendered fragments are asked for.

-- When a moderator first decided (approve, reject, spam); NULL while pending and for
-- testimonials published at once by the site's auto-approve rule, which nobody waited on.
ALTER TABLE testimonials ADD COLUMN moderated_at INTEGER;
-- Decisions made before this column existed, from the audit log: each testimonial's first,
-- in one pass over the log (it has no index by testimonial).
UPDATE testimonials SET moderated_at = decided.first_at
FROM (
    SELECT testimonial_id, MIN(created_at) AS first_at FROM audit_log
    WHERE action IN ('approve', 'reject', 'spam') AND testimonial_id IS NOT NULL
    GROUP BY testimonial_id
) AS decided
WHERE decided.testimonial_id = testimonials.id;
-- Decided without a decision in the log (published at once by the site's rule, or imported):
-- decided when they arrived, nobody waited.
UPDATE testimonials SET moderated_at = created_at
WHERE moderated_at IS NULL AND status IN ('approved', 'rejected', 'spam');

-- Widget reach without tracking anyone: requests per site and day (UTC, days since 1970),
-- nothing about who asked. Each instance adds what it counted, about once a minute.
CREATE TABLE widget_reach (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    list_requests INTEGER NOT NULL DEFAULT 0,
    fragment_requests INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, day)
);
