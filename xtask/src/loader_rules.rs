//! The loader's copies of the shared rules, checked against `fanfare-protocol` before each build.
//!
//! `embed.js` must decide before downloading the widget whether a mount's `data-fanfare` value
//! and an arriving `?ref=` code are acceptable, so it carries its own copies of the mode list and
//! of the referral code's shape. Nothing else would notice when one of them drifts from the
//! protocol: a page would silently get no widget, or a valid code would never be recorded.

use std::collections::BTreeSet;

use anyhow::bail;
use fanfare_protocol::modes::Mode;
use fanfare_protocol::referrals::{CODE_ALPHABET, CODE_LENGTH};

const LOADER: &str = "widget/loader/embed.js";

/// Fails naming each difference between the loader's copies and the protocol's rules.
pub fn check(loader: &str) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    if let Err(problem) = check_modes(loader) {
        problems.push(format!("{problem:#}"));
    }
    if let Err(problem) = check_referral_code(loader) {
        problems.push(format!("{problem:#}"));
    }
    if !problems.is_empty() {
        bail!("{LOADER} disagrees with fanfare-protocol:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

fn check_modes(loader: &str) -> anyhow::Result<()> {
    // The same order too: page authors read the loader's list in its console warning.
    for (name, protocol_name, modes) in
        [("MODES", "ALL", &Mode::ALL[..]), ("VIEWS", "READ_ONLY", &Mode::READ_ONLY[..])]
    {
        let loader_modes = string_array(loader, name)?;
        let protocol_modes: Vec<&str> = modes.iter().map(|mode| mode.as_str()).collect();
        if loader_modes != protocol_modes {
            bail!(
                "its {name} are {loader_modes:?} but fanfare_protocol::modes::Mode::{protocol_name} is \
                 {protocol_modes:?} (the same names in the same order)"
            );
        }
    }
    Ok(())
}

/// The strings of the loader's `NAME = [...]` array literal (`MODES`, `VIEWS`).
fn string_array<'a>(loader: &'a str, array: &str) -> anyhow::Result<Vec<&'a str>> {
    let literals: Vec<&str> = loader
        .match_indices(array)
        .filter_map(|(at, name)| {
            let rest = loader[at + name.len()..].trim_start().strip_prefix('=')?.trim_start();
            let list = rest.strip_prefix('[')?;
            list.find(']').map(|end| &list[..end])
        })
        .collect();
    let [list] = literals.as_slice() else {
        bail!("expected one `{array} = [...]` array literal, found {}", literals.len());
    };
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    // A trailing comma leaves one empty item at the end, which is not a mode.
    let items = match items.split_last() {
        Some((&"", rest)) => rest,
        _ => &items[..],
    };
    items
        .iter()
        .map(|item| match item.as_bytes() {
            [quote @ (b'\'' | b'"'), .., last] if last == quote => Ok(&item[1..item.len() - 1]),
            _ => bail!("{array} holds {item:?}, which is not a plain string literal"),
        })
        .collect()
}

fn check_referral_code(loader: &str) -> anyhow::Result<()> {
    let (class, length) = code_pattern(loader)?;
    let allowed = expand_class(class)?;
    let alphabet: BTreeSet<u8> = CODE_ALPHABET.iter().copied().collect();
    let mut differences = Vec::new();
    let only_loader: String = allowed.difference(&alphabet).map(|&byte| char::from(byte)).collect();
    if !only_loader.is_empty() {
        differences.push(format!("it also allows {only_loader:?}"));
    }
    let only_protocol: String = alphabet.difference(&allowed).map(|&byte| char::from(byte)).collect();
    if !only_protocol.is_empty() {
        differences.push(format!("it does not allow {only_protocol:?}"));
    }
    if length != CODE_LENGTH {
        differences.push(format!("its length is {length} but CODE_LENGTH is {CODE_LENGTH}"));
    }
    if !differences.is_empty() {
        bail!(
            "its referral code pattern /^[{class}]{{{length}}}$/ is not fanfare_protocol::referrals::\
             CODE_ALPHABET {:?} × CODE_LENGTH {CODE_LENGTH}: {}",
            String::from_utf8_lossy(CODE_ALPHABET),
            differences.join("; ")
        );
    }
    Ok(())
}

/// The character class and the length of the loader's one `/^[…]{N}$/` regex literal.
fn code_pattern(loader: &str) -> anyhow::Result<(&str, usize)> {
    let patterns: Vec<(&str, usize)> = loader
        .match_indices("/^[")
        .filter_map(|(at, opening)| {
            let rest = &loader[at + opening.len()..];
            let (class, rest) = rest.split_once(']')?;
            let (count, _) = rest.strip_prefix('{')?.split_once("}$/")?;
            Some((class, count.parse().ok()?))
        })
        .collect();
    match patterns.as_slice() {
        [pattern] => Ok(*pattern),
        _ => bail!(
            "expected one regex literal shaped /^[…]{{N}}$/ (the referral code's), found {}",
            patterns.len()
        ),
    }
}

/// The bytes a regex character class such as `2-9A-HJK` matches. Only what a code alphabet
/// needs is understood (ASCII characters and ranges); anything else fails rather than being
/// misread.
fn expand_class(class: &str) -> anyhow::Result<BTreeSet<u8>> {
    if !class.is_ascii() || class.starts_with('^') || class.contains(['\\', '[']) {
        bail!("the character class [{class}] uses more than ASCII characters and ranges");
    }
    let bytes = class.as_bytes();
    let mut allowed = BTreeSet::new();
    let mut i = 0;
    while let Some(&first) = bytes.get(i) {
        // A '-' between two characters makes a range; at either end of the class it is itself.
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'-'), Some(&last)) => {
                if first > last {
                    bail!("the range {}-{} in [{class}] runs backwards", char::from(first), char::from(last));
                }
                allowed.extend(first..=last);
                i += 3;
            }
            _ => {
                allowed.insert(first);
                i += 1;
            }
        }
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(bytes: &[u8]) -> BTreeSet<u8> {
        bytes.iter().copied().collect()
    }

    #[test]
    fn the_real_loader_agrees_with_the_protocol() {
        let loader = include_str!("../../widget/loader/embed.js");
        check(loader).unwrap();
    }

    #[test]
    fn classes_expand_ranges_and_single_characters() {
        assert_eq!(expand_class("2-9A-HJKMNP-TV-Z").unwrap(), set(CODE_ALPHABET));
        assert_eq!(expand_class("a").unwrap(), set(b"a"));
        assert_eq!(expand_class("-a-c").unwrap(), set(b"-abc"));
        assert_eq!(expand_class("a-").unwrap(), set(b"a-"));
        // As in JavaScript: a '-' right after a range is itself.
        assert_eq!(expand_class("a-c-e").unwrap(), set(b"abc-e"));
        assert_eq!(expand_class("").unwrap(), set(b""));
    }

    #[test]
    fn classes_beyond_plain_ranges_are_refused() {
        for class in ["Z-A", "^A-Z", "\\d", "A-Zé", "[:alpha:]"] {
            assert!(expand_class(class).is_err(), "{class}");
        }
    }

    #[test]
    fn the_mode_list_is_read_with_either_quote_and_a_trailing_comma() {
        let modes = |loader| string_array(loader, "MODES");
        assert_eq!(modes("var MODES = ['wall', \"badge\",];").unwrap(), ["wall", "badge"]);
        assert_eq!(modes("var MODES=[];").unwrap(), Vec::<&str>::new());
        assert!(modes("var MODES = [wall];").is_err());
        assert!(modes("var modes = ['wall'];").is_err());
        assert!(modes("var MODES = ['a']; var MODES = ['b'];").is_err());
        let views = "var MODES = ['wall', 'collect'], VIEWS = ['wall']; if (MODES.indexOf(m) < 0 || VIEWS.indexOf(m)) {}";
        assert_eq!(string_array(views, "VIEWS").unwrap(), ["wall"]);
    }

    #[test]
    fn only_the_code_shaped_regex_is_taken() {
        let loader = "if (/^[a-z]+$/.test(x) && /^[2-9A-Z]{8}$/.test(y)) {}";
        assert_eq!(code_pattern(loader).unwrap(), ("2-9A-Z", 8));
        assert!(code_pattern("/^[a-z]+$/").is_err());
        assert!(code_pattern("/^[a]{1}$/ /^[b]{2}$/").is_err());
    }

    #[test]
    fn every_difference_fails_the_build_by_name() {
        let loader = "var MODES = ['wall', 'carousel', 'badge', 'collect', 'refer'];\n\
                      var VIEWS = ['wall', 'carousel', 'badge'];\n\
                      if (/^[2-9A-HJKMNP-TV-Z]{8}$/.test(arrived)) {}";
        check(loader).unwrap();

        // A read-only mode the loader would send to the wasm, which no longer has it.
        let view_missing = loader.replace("'carousel', 'badge'];", "'badge'];");
        let error = format!("{:#}", check(&view_missing).unwrap_err());
        assert!(
            error.contains("its VIEWS are [\"wall\", \"badge\"]") && error.contains("READ_ONLY"),
            "{error}"
        );

        let missing_mode = loader.replace(", 'refer'", "");
        let error = format!("{:#}", check(&missing_mode).unwrap_err());
        assert!(error.contains("[\"wall\", \"carousel\", \"badge\", \"collect\"]"), "{error}");
        assert!(error.contains("Mode::ALL is [\"wall\", \"carousel\", \"badge\", \"collect\", \"refer\"]"));

        // U is not in the alphabet: a class that lets it through must fail.
        let with_u = loader.replace("P-TV-Z", "P-Z");
        let error = format!("{:#}", check(&with_u).unwrap_err());
        assert!(error.contains("also allows \"U\"") && error.contains("CODE_ALPHABET"), "{error}");

        let without_2 = loader.replace("2-9", "3-9");
        let error = format!("{:#}", check(&without_2).unwrap_err());
        assert!(error.contains("does not allow \"2\""), "{error}");

        let longer = loader.replace("{8}", "{9}");
        let error = format!("{:#}", check(&longer).unwrap_err());
        assert!(error.contains("length is 9 but CODE_LENGTH is 8"), "{error}");
    }
}
