-- The moderators' search finds words anywhere in a name or a text. A LIKE '%words%' reads every
-- row to do it (seconds at a million testimonials), so the texts are indexed by their trigrams
-- (every three characters in a row): FTS5 finds the rows holding a word's trigrams in order,
-- case folded over all of Unicode. The index refers to the rows of `testimonials` by rowid and
-- holds no copy of the text; triggers keep it with every write, in the writing transaction.
CREATE VIRTUAL TABLE testimonial_search USING fts5(
    name,
    body,
    content = 'testimonials',
    content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0'
);

-- An erased or corrected text leaves no trace in the index (instead of a deletion marker kept
-- beside the old entries until they are merged away).
INSERT INTO testimonial_search (testimonial_search, rank) VALUES ('secure-delete', 1);

INSERT INTO testimonial_search (testimonial_search) VALUES ('rebuild');

CREATE TRIGGER testimonial_search_inserted AFTER INSERT ON testimonials
BEGIN
    INSERT INTO testimonial_search (rowid, name, body) VALUES (NEW.rowid, NEW.name, NEW.body);
END;

-- Taking an entry out needs the text it was made from: the old row's, exactly.
CREATE TRIGGER testimonial_search_deleted AFTER DELETE ON testimonials
BEGIN
    INSERT INTO testimonial_search (testimonial_search, rowid, name, body)
    VALUES ('delete', OLD.rowid, OLD.name, OLD.body);
END;

CREATE TRIGGER testimonial_search_updated AFTER UPDATE OF name, body ON testimonials
BEGIN
    INSERT INTO testimonial_search (testimonial_search, rowid, name, body)
    VALUES ('delete', OLD.rowid, OLD.name, OLD.body);
    INSERT INTO testimonial_search (rowid, name, body) VALUES (NEW.rowid, NEW.name, NEW.body);
END;
