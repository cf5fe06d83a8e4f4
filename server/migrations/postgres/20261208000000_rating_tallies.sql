-- The honest summary (every approved and rejected rating: how many, their sum, how many from
-- verified customers) kept as it changes, so a public page reads one row where it counted every
-- moderated rating of the site (a seventh of a second at a million). Tag '' is the whole site,
-- any other tag that tag's testimonials. Triggers keep the rows, in the transaction of each
-- write, so every path that writes testimonials or their tags (submissions, moderation, edits,
-- withdrawal, erasure, imports, copies) keeps them without knowing they exist.
CREATE TABLE rating_tallies (
    site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    ratings BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL,
    verified BIGINT NOT NULL,
    PRIMARY KEY (site_id, tag)
);

INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
SELECT site_id, '', COUNT(*), SUM(rating), SUM(verified) FROM testimonials
WHERE status IN ('approved', 'rejected') GROUP BY site_id;

INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
SELECT t.site_id, g.tag, COUNT(*), SUM(t.rating), SUM(t.verified)
FROM testimonial_tags g JOIN testimonials t ON t.id = g.testimonial_id
WHERE t.status IN ('approved', 'rejected') GROUP BY t.site_id, g.tag;

-- Adds (sign 1) or takes away (sign -1) one testimonial's part in the row of its site and of
-- each of its tags. A part is only taken from a row that exists: a site being deleted has
-- none left to recreate. Rows are locked in (site, tag) order, the site's row ('') first, so
-- two transactions changing the same site's rows wait for each other instead of deadlocking.
CREATE FUNCTION rating_tallies_apply(sign BIGINT, testimonial TEXT, site BIGINT, rating BIGINT, verified BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
    SELECT site, g.tag, 1, rating, verified
    FROM (SELECT '' AS tag UNION ALL SELECT tag FROM testimonial_tags WHERE testimonial_id = testimonial) AS g
    WHERE sign > 0
    ORDER BY g.tag
    ON CONFLICT (site_id, tag) DO UPDATE SET ratings = rating_tallies.ratings + excluded.ratings,
        rating_sum = rating_tallies.rating_sum + excluded.rating_sum,
        verified = rating_tallies.verified + excluded.verified;
    WITH parts AS (
        SELECT site_id, tag FROM rating_tallies
        WHERE sign < 0 AND site_id = site
            AND (tag = '' OR tag IN (SELECT tag FROM testimonial_tags WHERE testimonial_id = testimonial))
        ORDER BY tag
        FOR UPDATE
    )
    UPDATE rating_tallies AS kept
    SET ratings = kept.ratings - 1, rating_sum = kept.rating_sum - rating_tallies_apply.rating,
        verified = kept.verified - rating_tallies_apply.verified
    FROM parts WHERE kept.site_id = parts.site_id AND kept.tag = parts.tag;
$$;

-- A testimonial counts in its site's row and in the row of each of its tags while it is
-- approved or rejected. A change takes the old row's part away and adds the new one's.
CREATE FUNCTION rating_tallies_testimonial_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- Before the row goes, while it can still be read: its tags are removed first (each
        -- takes its own part away, below), then the site's part. The cascade that would have
        -- removed the tags then finds none.
        DELETE FROM testimonial_tags WHERE testimonial_id = OLD.id;
        IF OLD.status IN ('approved', 'rejected') THEN
            PERFORM rating_tallies_apply(-1, OLD.id, OLD.site_id, OLD.rating, OLD.verified);
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN ('approved', 'rejected') THEN
        PERFORM rating_tallies_apply(-1, OLD.id, OLD.site_id, OLD.rating, OLD.verified);
    END IF;
    IF NEW.status IN ('approved', 'rejected') THEN
        PERFORM rating_tallies_apply(1, NEW.id, NEW.site_id, NEW.rating, NEW.verified);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER rating_tallies_testimonial_inserted AFTER INSERT ON testimonials
FOR EACH ROW WHEN (NEW.status IN ('approved', 'rejected'))
EXECUTE FUNCTION rating_tallies_testimonial_changed();

CREATE TRIGGER rating_tallies_testimonial_updated
AFTER UPDATE OF site_id, status, rating, verified ON testimonials
FOR EACH ROW WHEN (OLD.status IN ('approved', 'rejected') OR NEW.status IN ('approved', 'rejected'))
EXECUTE FUNCTION rating_tallies_testimonial_changed();

CREATE TRIGGER rating_tallies_testimonial_deleted BEFORE DELETE ON testimonials
FOR EACH ROW EXECUTE FUNCTION rating_tallies_testimonial_changed();

-- A tag added to or removed from a counted testimonial changes that tag's row. The site's row
-- is locked first all the same, keeping the order above.
CREATE FUNCTION rating_tallies_tag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted testimonials%ROWTYPE;
BEGIN
    SELECT * INTO counted FROM testimonials
    WHERE id = CASE TG_OP WHEN 'INSERT' THEN NEW.testimonial_id ELSE OLD.testimonial_id END
        AND status IN ('approved', 'rejected');
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM rating_tallies WHERE site_id = counted.site_id AND tag = '' FOR UPDATE;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
        VALUES (counted.site_id, NEW.tag, 1, counted.rating, counted.verified)
        ON CONFLICT (site_id, tag) DO UPDATE SET ratings = rating_tallies.ratings + excluded.ratings,
            rating_sum = rating_tallies.rating_sum + excluded.rating_sum,
            verified = rating_tallies.verified + excluded.verified;
    ELSE
        UPDATE rating_tallies
        SET ratings = ratings - 1, rating_sum = rating_sum - counted.rating,
            verified = verified - counted.verified
        WHERE site_id = counted.site_id AND tag = OLD.tag;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER rating_tallies_tag_changed AFTER INSERT OR DELETE ON testimonial_tags
FOR EACH ROW EXECUTE FUNCTION rating_tallies_tag_changed();

-- Nothing reads ratings from the rows any more; the index only cost every insert.
DROP INDEX testimonials_by_rating;
