-- Exports read a site's testimonials a page at a time in (created_at, id) order, each page
-- after the last row of the one before: this index makes every page a short range scan, so
-- an export of a million testimonials costs as much per page as one of a thousand.
CREATE INDEX testimonials_by_site_created ON testimonials (site_id, created_at, id);
