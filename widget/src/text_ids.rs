//! Every text id the widget asks for is in the English table (`server/src/texts/en.rs`, the ids
//! every language translates). [`crate::texts::Texts::get`] answers "" for an unknown id, so a
//! misspelt id would show nothing, in every language, and no other test would notice.
//!
//! The widget's sources are read as tokens, so ids mentioned in comments do not count and a
//! bracket inside a string cannot end an argument early. A lookup whose id is built at run time
//! must be listed in [`BUILT`] with the ids it can build; an unlisted one fails the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fanfare_protocol::FieldError;

/// From the workspace root.
const ENGLISH: &str = "server/src/texts/en.rs";

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    /// An identifier, keyword or number.
    Word(String),
    Punct(char),
}

/// Rust source as tokens, without comments. Only as much of the language as the widget's
/// sources need: strings (raw and byte too), char literals and lifetimes, nested block comments.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        match (c, at(i + 1)) {
            (c, _) if c.is_whitespace() => i += 1,
            ('/', Some('/')) => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                let mut depth = 0;
                loop {
                    match (at(i), at(i + 1)) {
                        (Some('/'), Some('*')) => (depth, i) = (depth + 1, i + 2),
                        (Some('*'), Some('/')) => (depth, i) = (depth - 1, i + 2),
                        (Some(_), _) => i += 1,
                        (None, _) => break,
                    }
                    if depth == 0 {
                        break;
                    }
                }
            }
            ('"', _) => {
                let (text, end) = quoted(&chars, i + 1);
                tokens.push(Token::Str(text));
                i = end;
            }
            // A char literal ('a', '\n', '\''), or else a lifetime or label ('static).
            ('\'', Some('\\')) => {
                i += 3;
                while at(i).is_some_and(|c| c != '\'') {
                    i += 1;
                }
                i += 1;
            }
            ('\'', Some(_)) if at(i + 2) == Some('\'') => i += 3,
            (c, _) if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
                if matches!(word.as_str(), "r" | "br") && at(i + hashes) == Some('"') {
                    let body = i + hashes + 1;
                    let closing: String = std::iter::once('"').chain("#".repeat(hashes).chars()).collect();
                    let rest: String = chars[body..].iter().collect();
                    let length = rest.find(&closing).unwrap_or(rest.len());
                    tokens.push(Token::Str(rest[..length].to_owned()));
                    i = body + rest[..length].chars().count() + closing.chars().count();
                } else if word == "b" && at(i) == Some('"') {
                    let (text, end) = quoted(&chars, i + 1);
                    tokens.push(Token::Str(text));
                    i = end;
                } else {
                    tokens.push(Token::Word(word));
                }
            }
            (c, _) => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
        }
    }
    tokens
}

/// The text of the string whose body starts at `start`, and where the string ends.
fn quoted(chars: &[char], start: usize) -> (String, usize) {
    let mut text = String::new();
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => return (text, i + 1),
            '\\' => {
                text.extend(chars.get(i + 1));
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    (text, i)
}

/// The arguments of the call whose `(` is at `open`, split at its top-level commas.
fn arguments(tokens: &[Token], open: usize) -> Vec<&[Token]> {
    let mut arguments = Vec::new();
    let (mut depth, mut start) = (0usize, open + 1);
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    arguments.push(&tokens[start..i]);
                    break;
                }
            }
            Token::Punct(',') if depth == 1 => {
                arguments.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    arguments
}

/// An argument as written, give or take spaces: how [`BUILT`] names it.
fn written(argument: &[Token]) -> String {
    let mut text = String::new();
    for (i, token) in argument.iter().enumerate() {
        match token {
            Token::Word(word) => {
                if i > 0 && matches!(argument[i - 1], Token::Word(_)) {
                    text.push(' ');
                }
                text.push_str(word);
            }
            Token::Str(string) => text.extend(['"'].into_iter().chain(string.chars()).chain(['"'])),
            Token::Punct(c) => text.push(*c),
        }
    }
    text
}

/// The ids an argument can be when it is a literal, or an `if` whose every branch is one
/// (`if sending { "a" } else { "b" }`); `None` when the id is built at run time.
fn literal_ids(argument: &[Token]) -> Option<Vec<String>> {
    let argument = match argument {
        [Token::Punct('&'), rest @ ..] => rest,
        _ => argument,
    };
    match argument {
        [Token::Str(id)] => Some(vec![id.clone()]),
        [Token::Word(word), ..] if word == "if" => {
            let mut ids = Vec::new();
            let mut i = 0;
            while let Some(token) = argument.get(i) {
                match (token, argument.get(i + 1), argument.get(i + 2)) {
                    (Token::Punct('{'), Some(Token::Str(id)), Some(Token::Punct('}'))) => {
                        ids.push(id.clone());
                        i += 3;
                    }
                    // A branch that is more than a literal, or a literal in a condition (which
                    // would not be the id): treat the whole lookup as built at run time.
                    (Token::Punct('{') | Token::Str(_), _, _) => return None,
                    _ => i += 1,
                }
            }
            Some(ids)
        }
        _ => None,
    }
}

/// The lookups whose id is built at run time, as written, each with what it builds.
const BUILT: [(&str, Built); 2] = [
    (r#"&["field.",field].concat()"#, Built::FieldLabel),
    (r#"&["error.",error.code()].concat()"#, Built::ErrorCode),
];

#[derive(Debug, Clone, Copy)]
enum Built {
    /// `Texts::refusal`: `field.<name>` for every field a form shows refusals under. Any other
    /// field falls back to `field.other`, itself a literal lookup.
    FieldLabel,
    /// `Texts::field_error`: `error.<code>` for every refusal of the shared rules.
    ErrorCode,
}

/// Fields a form shows refusals under that have no label of their own, on purpose: their
/// refusal reads "This field …" (`field.other`).
const UNLABELLED_FIELDS: [&str; 1] = [
    // The loader's random id for this browser: the visitor never sees or types it.
    "device",
];

/// Every refusal of the shared rules.
fn every_field_error() -> [FieldError; 8] {
    use FieldError::*;
    let every = [
        Required,
        TooShort { min: 1 },
        TooLong { max: 1 },
        ControlCharacters,
        InvalidEmail,
        RatingOutOfRange,
        ConsentNotBoolean,
        InvalidReference,
    ];
    // A new variant stops this match compiling: add it to the list above too.
    for error in every {
        match error {
            Required | TooShort { .. } | TooLong { .. } | ControlCharacters | InvalidEmail => {}
            RatingOutOfRange | ConsentNotBoolean | InvalidReference => {}
        }
    }
    every
}

/// What the sources ask for.
#[derive(Debug, Default)]
struct Scan {
    /// Every id asked for, with the file that asks.
    asked: Vec<(String, String)>,
    /// Lookups whose id is built at run time but not listed in [`BUILT`], as "lookup in file".
    unlisted: Vec<String>,
    /// Entries of [`BUILT`] and [`UNLABELLED_FIELDS`] that the sources no longer use.
    stale: Vec<String>,
}

fn scan(files: &[(String, Vec<Token>)]) -> Scan {
    let mut scan = Scan::default();
    let mut built = Vec::new();
    let mut fields = BTreeSet::new();
    for (file, tokens) in files {
        for (i, window) in tokens.windows(3).enumerate() {
            let open = i + 2;
            let receiver = i.checked_sub(1).and_then(|before| tokens.get(before));
            match window {
                [Token::Punct('.'), Token::Word(method), Token::Punct('(')] if method == "get" => {
                    let arguments = arguments(tokens, open);
                    let texts = match receiver {
                        Some(Token::Word(word)) => word == "texts" || (word == "self" && file == "texts.rs"),
                        _ => false,
                    };
                    // Also any `.get("x.y")`, so a lookup through a differently named `Texts`
                    // is still checked.
                    let looks_like_id =
                        matches!(arguments.as_slice(), [[Token::Str(id)]] if id.contains('.'));
                    if !(texts || looks_like_id) {
                        continue;
                    }
                    let argument = arguments.first().copied().unwrap_or_default();
                    if let Some(ids) = literal_ids(argument) {
                        scan.asked.extend(ids.into_iter().map(|id| (id, file.clone())));
                    } else {
                        match BUILT.iter().find(|(as_written, _)| *as_written == written(argument)) {
                            Some((as_written, how)) => built.push((*as_written, *how, file.clone())),
                            None => {
                                scan.unlisted.push([written(argument), " in ".into(), file.clone()].concat())
                            }
                        }
                    }
                }
                // The fields whose refusals a form shows: the first argument of these, when a
                // literal.
                [Token::Word(function), Token::Punct('('), Token::Str(field)]
                    if function == "text_field" || function == "error_text" =>
                {
                    fields.insert(field.clone());
                }
                [Token::Punct('.'), Token::Word(method), Token::Punct('(')] if method == "refusal" => {
                    if let Some([Token::Str(field)]) = arguments(tokens, open).first() {
                        fields.insert(field.clone());
                    }
                }
                _ => {}
            }
        }
    }
    for (as_written, _) in BUILT {
        if !built.iter().any(|(seen, _, _)| *seen == as_written) {
            scan.stale.push(["BUILT lists ", as_written, ", which no lookup uses any more"].concat());
        }
    }
    for unlabelled in UNLABELLED_FIELDS {
        if !fields.remove(unlabelled) {
            scan.stale.push(["UNLABELLED_FIELDS lists ", unlabelled, ", which no form shows"].concat());
        }
    }
    for (_, how, file) in built {
        let ids: Vec<String> = match how {
            Built::FieldLabel => fields.iter().map(|field| ["field.", field].concat()).collect(),
            Built::ErrorCode => {
                every_field_error().iter().map(|error| ["error.", error.code()].concat()).collect()
            }
        };
        scan.asked.extend(ids.into_iter().map(|id| (id, file.clone())));
    }
    scan
}

/// The ids of a table written as `&[("id", "text"), …]`.
fn table_ids(tokens: &[Token]) -> BTreeSet<String> {
    tokens
        .windows(5)
        .filter_map(|window| match window {
            [Token::Punct('('), Token::Str(id), Token::Punct(','), Token::Str(_), Token::Punct(')')] => {
                Some(id.clone())
            }
            _ => None,
        })
        .collect()
}

/// The ids asked for that the table lacks, as "id (file)".
fn missing(asked: &[(String, String)], table: &BTreeSet<String>) -> Vec<String> {
    let mut missing: Vec<String> = asked
        .iter()
        .filter(|(id, _)| !table.contains(id))
        .map(|(id, file)| [id.as_str(), " (", file, ")"].concat())
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()));
    for path in entries.map(|entry| entry.unwrap().path()) {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn every_text_id_the_widget_asks_for_is_in_the_english_table() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("src");
    let mut paths = Vec::new();
    rust_files(&source, &mut paths);
    paths.sort();
    let files: Vec<(String, Vec<Token>)> = paths
        .iter()
        .map(|path| {
            let name = path.strip_prefix(&source).unwrap().to_string_lossy().into_owned();
            (name, tokens(&std::fs::read_to_string(path).unwrap()))
        })
        // This file's own patterns are not lookups.
        .filter(|(name, _)| name != "text_ids.rs")
        .collect();
    let scan = scan(&files);
    assert!(
        scan.unlisted.is_empty(),
        "texts looked up by an id built at run time, not listed in BUILT (widget/src/text_ids.rs) \
         with the ids it can build: {}",
        scan.unlisted.join("; ")
    );
    assert!(scan.stale.is_empty(), "widget/src/text_ids.rs: {}", scan.stale.join("; "));

    let english_path = manifest.join("..").join(ENGLISH);
    let english = std::fs::read_to_string(&english_path)
        .unwrap_or_else(|error| panic!("reading the English table {}: {error}", english_path.display()));
    let table = table_ids(&tokens(&english));
    assert!(table.len() > 10, "found only {} ids in {ENGLISH}: has its format changed?", table.len());

    let missing = missing(&scan.asked, &table);
    assert!(missing.is_empty(), "text ids the widget asks for but {ENGLISH} lacks: {}", missing.join(", "));
}

/// The ids the video recorder asks for: it calls `t('record')` for `collect.video_record`, always
/// with a literal (a call with anything else is returned as an error).
fn recorder_ids(source: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("t(") {
        let standalone =
            !rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        let after = &rest[at + 2..];
        rest = after;
        if !standalone || rest.is_empty() {
            continue;
        }
        let Some(quoted) = after.strip_prefix('\'') else {
            return Err(["t(", &after[..after.len().min(30)]].concat());
        };
        let end = quoted.find('\'').ok_or_else(|| "an unterminated t('…".to_owned())?;
        ids.push(["collect.video_", &quoted[..end]].concat());
    }
    Ok(ids)
}

#[test]
fn every_text_the_video_recorder_asks_for_is_in_the_english_table_and_each_is_asked_for() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorder = std::fs::read_to_string(manifest.join("loader/recorder.js")).unwrap();
    let asked = recorder_ids(&recorder).unwrap_or_else(|call| {
        panic!("widget/loader/recorder.js looks up a text by an id built at run time: {call}")
    });
    assert!(asked.len() > 10, "found only {} texts in recorder.js: has `t('…')` changed?", asked.len());
    let english = std::fs::read_to_string(manifest.join("..").join(ENGLISH)).unwrap();
    let table = table_ids(&tokens(&english));
    let pairs: Vec<(String, String)> =
        asked.iter().map(|id| (id.clone(), "recorder.js".to_owned())).collect();
    let missing = missing(&pairs, &table);
    assert!(missing.is_empty(), "texts the recorder asks for but {ENGLISH} lacks: {}", missing.join(", "));

    // The other way round: every recorder text is shown, by it or by the widget's own video
    // button (in `collect.rs`), so none is sent to every visitor for nothing.
    let collect = std::fs::read_to_string(manifest.join("src/collect.rs")).unwrap();
    let unused: Vec<&String> = table
        .iter()
        .filter(|id| id.starts_with("collect.video_"))
        .filter(|id| !asked.contains(id) && !collect.contains(&["\"", id, "\""].concat()))
        .collect();
    assert!(unused.is_empty(), "{ENGLISH} has recorder texts nothing shows: {unused:?}");
}

mod tests {
    use super::*;

    #[test]
    fn recorder_lookups_are_read_and_built_ones_refused() {
        let source = "var t = function (id) {}; say(t('a')); x.set(y); quiet ? t('b') : t('c'); wait(1)";
        assert_eq!(recorder_ids(source).unwrap(), ["collect.video_a", "collect.video_b", "collect.video_c"]);
        assert!(recorder_ids("t(name)").is_err());
    }

    fn file(name: &str, source: &str) -> (String, Vec<Token>) {
        (name.to_owned(), tokens(source))
    }

    fn ids(files: &[(String, Vec<Token>)]) -> Vec<String> {
        let scan = scan(files);
        assert!(scan.unlisted.is_empty(), "{:?}", scan.unlisted);
        let mut ids: Vec<String> = scan.asked.into_iter().map(|(id, _)| id).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn comments_and_strings_are_not_mistaken_for_code() {
        let source = r####"
            // texts.get("in.a.comment")
            /* texts.get("in.a /* nested */ block") */
            let quote = '"'; let escaped = '\''; fn f<'a>(x: &'a str) {}
            texts.get("a.b"); props.texts.get(r#"c.d"#); texts.get("with ) paren");
        "####;
        assert_eq!(ids(&[file("x.rs", source)]), ["a.b", "c.d", "with ) paren"]);
    }

    #[test]
    fn branches_are_each_an_id_and_other_gets_are_ignored() {
        let source = r#"
            texts.get(if sending { "collect.sending" } else { "collect.submit" });
            refusals.get("name"); items.get(0); renamed.get("wall.title");
        "#;
        assert_eq!(ids(&[file("x.rs", source)]), ["collect.sending", "collect.submit", "wall.title"]);
    }

    #[test]
    fn an_id_built_at_run_time_must_be_listed() {
        for source in [
            r#"texts.get(&["collect.", name].concat())"#,
            "texts.get(key)",
            r#"texts.get(if name == "a" { "b" } else { "c" })"#,
        ] {
            let scan = scan(&[file("x.rs", source)]);
            assert!(scan.asked.is_empty(), "{source}: {:?}", scan.asked);
            assert_eq!(scan.unlisted.len(), 1, "{source}");
            assert!(scan.unlisted[0].ends_with(" in x.rs"), "{:?}", scan.unlisted);
        }
    }

    #[test]
    fn listed_lookups_expand_to_every_id_they_can_build() {
        let texts = file(
            "texts.rs",
            r#"self.get(&["field.", field].concat()); self.get(&["error.", error.code()].concat());"#,
        );
        let forms =
            file("form.rs", r#"text_field("name", x); error_text("device", e); t.refusal("photo", m);"#);
        let ids = ids(&[texts, forms]);
        assert!(ids.contains(&"field.name".to_owned()) && ids.contains(&"field.photo".to_owned()));
        assert!(!ids.contains(&"field.device".to_owned()), "{ids:?}");
        assert!(
            ids.contains(&"error.too_long".to_owned()) && ids.contains(&"error.invalid_reference".to_owned())
        );
        assert_eq!(ids.len(), 2 + every_field_error().len());
    }

    #[test]
    fn listings_nothing_uses_any_more_are_reported() {
        let stale = scan(&[file("x.rs", r#"texts.get("a.b");"#)]).stale;
        assert_eq!(stale.len(), BUILT.len() + UNLABELLED_FIELDS.len(), "{stale:?}");
    }

    #[test]
    fn the_missing_ids_are_named_with_where_they_are_asked_for() {
        let table = table_ids(&tokens(r#"pub const EN: &[(&str, &str)] = &[("a.b", "A (b)"), ("c", "C")];"#));
        assert_eq!(table, BTreeSet::from(["a.b".to_owned(), "c".to_owned()]));
        let asked = [("a.b".to_owned(), "x.rs".to_owned()), ("a.c".to_owned(), "y.rs".to_owned())];
        assert_eq!(missing(&asked, &table), ["a.c (y.rs)"]);
    }
}
