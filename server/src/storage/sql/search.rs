//! The moderators' search: words anywhere in a testimonial's name or text, case folded over all
//! of Unicode, the visitor's `%`, `_`, `\` and quotes taken literally.
//!
//! A `LIKE '%words%'` cannot use an ordinary index, so at a million rows it read every row
//! (seconds for a word no text holds). Each backend keeps a trigram index instead
//! (`*_search_index.sql`): PostgreSQL's `pg_trgm` under the same `LIKE`, SQLite's FTS5
//! `trigram` table, which triggers keep with every write. FTS5 matches only words of three
//! characters or more; shorter ones fall back to `LIKE` on SQLite (a word that short is found
//! within the first few rows of the list anyway).

use super::Backend;

/// How a list statement filters by search words: its SQL clause (parameter `$4`) and the value
/// bound there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SearchFilter {
    /// `lower(...) LIKE`: PostgreSQL, with its trigram indexes under it, and SQLite's short words.
    Like(String),
    /// SQLite's FTS5 phrase: the words as one quoted string.
    Trigrams(String),
}

/// The clause of the list statements that use `LIKE` (also every list without search words,
/// where `$4` is NULL and the clause lets every row through).
pub(super) const LIKE_CLAUSE: &str = "lower(name) LIKE $4 ESCAPE '\\' OR lower(body) LIKE $4 ESCAPE '\\'";

/// SQLite's index lookup. `rowid` is stable for `testimonials`: VACUUM and VACUUM INTO (our
/// backups) keep the rowids of a table that has indexes, as this one does.
const TRIGRAM_CLAUSE: &str =
    "rowid IN (SELECT rowid FROM testimonial_search WHERE testimonial_search MATCH $4)";

/// FTS5's trigram tokenizer matches nothing shorter than this.
const SHORTEST_TRIGRAM_WORDS: usize = 3;

impl SearchFilter {
    pub(super) fn new(backend: Backend, words: &str) -> Self {
        match backend {
            Backend::Sqlite if words.chars().count() >= SHORTEST_TRIGRAM_WORDS => {
                Self::Trigrams(quoted_phrase(words))
            }
            _ => Self::Like(contains_pattern(words)),
        }
    }

    pub(super) fn clause(&self) -> &'static str {
        match self {
            Self::Like(_) => LIKE_CLAUSE,
            Self::Trigrams(_) => TRIGRAM_CLAUSE,
        }
    }

    pub(super) fn into_parameter(self) -> String {
        match self {
            Self::Like(pattern) | Self::Trigrams(pattern) => pattern,
        }
    }
}

/// `%words%` for LIKE, with the visitor's own `%`, `_` and `\` matched literally.
pub(super) fn contains_pattern(words: &str) -> String {
    let mut pattern = String::from("%");
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The words as one FTS5 string (a phrase: with the trigram tokenizer, a substring), so none of
/// FTS5's query syntax (`OR`, `*`, `NEAR`, column filters) applies to what a visitor types.
fn quoted_phrase(words: &str) -> String {
    format!("\"{}\"", words.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_the_visitors_words_literally() {
        assert_eq!(contains_pattern("Beans"), "%beans%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(contains_pattern("CRÈME"), "%crème%");
    }

    #[test]
    fn sqlite_looks_up_words_of_three_letters_or_more_as_one_quoted_phrase() {
        let filter = |words| SearchFilter::new(Backend::Sqlite, words);
        assert_eq!(filter("say \"wow\" OR *"), SearchFilter::Trigrams("\"say \"\"wow\"\" OR *\"".into()));
        assert_eq!(filter("été"), SearchFilter::Trigrams("\"été\"".into()), "three letters, six bytes");
        assert_eq!(filter("ok"), SearchFilter::Like("%ok%".into()));
        assert_eq!(SearchFilter::new(Backend::Postgres, "Beans"), SearchFilter::Like("%beans%".into()));
    }
}
