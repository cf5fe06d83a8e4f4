-- The honest summary (every approved and rejected rating: how many, their sum, how many from
-- verified customers) kept as it changes, so a public page reads one row where it counted every
-- moderated rating of the site (a quarter of a second at a million). Tag '' is the whole site,
-- any other tag that tag's testimonials. Triggers keep the rows, in the transaction of each
-- write, so every path that writes testimonials or their tags (submissions, moderation, edits,
-- withdrawal, erasure, imports, copies) keeps them without knowing they exist.
CREATE TABLE rating_tallies (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    ratings INTEGER NOT NULL,
    rating_sum INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    PRIMARY KEY (site_id, tag)
) WITHOUT ROWID;

INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
SELECT site_id, '', COUNT(*), SUM(rating), SUM(verified) FROM testimonials
WHERE status IN ('approved', 'rejected') GROUP BY site_id;

INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
SELECT t.site_id, g.tag, COUNT(*), SUM(t.rating), SUM(t.verified)
FROM testimonial_tags g JOIN testimonials t ON t.id = g.testimonial_id
WHERE t.status IN ('approved', 'rejected') GROUP BY t.site_id, g.tag;

-- A testimonial counts in its site's row and in the row of each of its tags while it is
-- approved or rejected. A change takes the old row's part away and adds the new one's.
CREATE TRIGGER rating_tallies_testimonial_inserted AFTER INSERT ON testimonials
WHEN NEW.status IN ('approved', 'rejected')
BEGIN
    INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
    SELECT NEW.site_id, g.tag, 1, NEW.rating, NEW.verified
    FROM (SELECT '' AS tag UNION ALL SELECT tag FROM testimonial_tags WHERE testimonial_id = NEW.id) AS g
    WHERE true
    ON CONFLICT (site_id, tag) DO UPDATE SET ratings = ratings + excluded.ratings,
        rating_sum = rating_sum + excluded.rating_sum, verified = verified + excluded.verified;
END;

CREATE TRIGGER rating_tallies_testimonial_updated
AFTER UPDATE OF site_id, status, rating, verified ON testimonials
WHEN OLD.status IN ('approved', 'rejected') OR NEW.status IN ('approved', 'rejected')
BEGIN
    UPDATE rating_tallies
    SET ratings = ratings - 1, rating_sum = rating_sum - OLD.rating, verified = verified - OLD.verified
    WHERE OLD.status IN ('approved', 'rejected') AND site_id = OLD.site_id
        AND (tag = '' OR tag IN (SELECT tag FROM testimonial_tags WHERE testimonial_id = OLD.id));
    INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
    SELECT NEW.site_id, g.tag, 1, NEW.rating, NEW.verified
    FROM (SELECT '' AS tag UNION ALL SELECT tag FROM testimonial_tags WHERE testimonial_id = NEW.id) AS g
    WHERE NEW.status IN ('approved', 'rejected')
    ON CONFLICT (site_id, tag) DO UPDATE SET ratings = ratings + excluded.ratings,
        rating_sum = rating_sum + excluded.rating_sum, verified = verified + excluded.verified;
END;

-- Before the row goes, while it can still be read: its tags are removed first (each takes its
-- own part away, below), then the site's part. The cascade that would have removed the tags
-- then finds none, whichever order the database runs it in.
CREATE TRIGGER rating_tallies_testimonial_deleted BEFORE DELETE ON testimonials
BEGIN
    DELETE FROM testimonial_tags WHERE testimonial_id = OLD.id;
    UPDATE rating_tallies
    SET ratings = ratings - 1, rating_sum = rating_sum - OLD.rating, verified = verified - OLD.verified
    WHERE OLD.status IN ('approved', 'rejected') AND site_id = OLD.site_id AND tag = '';
END;

CREATE TRIGGER rating_tallies_tag_added AFTER INSERT ON testimonial_tags
BEGIN
    INSERT INTO rating_tallies (site_id, tag, ratings, rating_sum, verified)
    SELECT t.site_id, NEW.tag, 1, t.rating, t.verified FROM testimonials t
    WHERE t.id = NEW.testimonial_id AND t.status IN ('approved', 'rejected')
    ON CONFLICT (site_id, tag) DO UPDATE SET ratings = ratings + excluded.ratings,
        rating_sum = rating_sum + excluded.rating_sum, verified = verified + excluded.verified;
END;

CREATE TRIGGER rating_tallies_tag_removed AFTER DELETE ON testimonial_tags
BEGIN
    UPDATE rating_tallies
    SET ratings = ratings - 1,
        rating_sum = rating_sum - (SELECT rating FROM testimonials WHERE id = OLD.testimonial_id),
        verified = verified - (SELECT verified FROM testimonials WHERE id = OLD.testimonial_id)
    WHERE tag = OLD.tag AND site_id = (
        SELECT site_id FROM testimonials
        WHERE id = OLD.testimonial_id AND status IN ('approved', 'rejected')
    );
END;

-- Nothing reads ratings from the rows any more; the index only cost every insert.
DROP INDEX testimonials_by_rating;
