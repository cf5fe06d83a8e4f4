//! Short import and export names for the widget's wasm and its glue.
//!
//! wasm-bindgen names every import after its function plus a 16-digit hash
//! (`__wbg_set_1a2b3c4d5e6f7a8b`) and every closure shim after its whole type; each name is
//! stored in the wasm and again in the glue, where minifiers must leave it alone because it is
//! a property name. About a hundred and thirty of them cost ~2 KB of brotli. This renames them
//! to `_0`, `_1`, … in both files at once, and fails the build if the glue does not mention a
//! renamed name, so a change in wasm-bindgen's output cannot ship a half-renamed pair.

use anyhow::{bail, Context};

/// Names wasm-bindgen generates; `mount` (our API) and `memory` keep theirs.
fn is_generated(name: &str) -> bool {
    ["__wbg_", "__wbindgen_", "wasm_bindgen_"].iter().any(|prefix| name.starts_with(prefix))
}

/// Renames the generated imports and exports of `wasm` and every mention of them in `glue`.
pub fn shorten(wasm: &[u8], glue: &str) -> anyhow::Result<(Vec<u8>, String)> {
    let mut module = walrus::Module::from_buffer(wasm).context("reading the wasm-bindgen output")?;
    let mut taken = 0usize;
    let mut fresh_name = |glue: &str| loop {
        let name = short_name(taken);
        taken += 1;
        if find_identifier(glue, &name).is_none() {
            break name;
        }
    };
    let mut renames = Vec::new();
    for import in module.imports.iter_mut().filter(|import| is_generated(&import.name)) {
        let short = fresh_name(glue);
        renames.push((std::mem::replace(&mut import.name, short.clone()), short));
    }
    for export in module.exports.iter_mut().filter(|export| is_generated(&export.name)) {
        let short = fresh_name(glue);
        renames.push((std::mem::replace(&mut export.name, short.clone()), short));
    }
    // Longest first, so a name that begins another is never replaced inside it.
    renames.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    let mut glue = glue.to_owned();
    for (old, new) in &renames {
        let renamed = replace_identifier(&glue, old, new);
        if renamed == glue {
            bail!(
                "the wasm-bindgen glue never mentions {old}: its output changed; update xtask/src/names.rs"
            );
        }
        glue = renamed;
    }
    Ok((module.emit_wasm(), glue))
}

/// `_0` … `_9`, `_a` … `_z`, `_10` …: base 36 after an underscore.
fn short_name(mut index: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut digits = Vec::new();
    loop {
        digits.push(char::from(DIGITS[index % 36]));
        index /= 36;
        if index == 0 {
            break;
        }
    }
    std::iter::once('_').chain(digits.into_iter().rev()).collect()
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The first place `name` appears in `text` as a whole identifier.
fn find_identifier(text: &str, name: &str) -> Option<usize> {
    text.match_indices(name).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
    })
}

/// `text` with every whole-identifier `old` replaced by `new`.
fn replace_identifier(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_identifier(rest, old) {
        out.push_str(&rest[..at]);
        out.push_str(new);
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_count_in_base_36() {
        let names: Vec<String> = [0, 9, 10, 35, 36, 37].into_iter().map(short_name).collect();
        assert_eq!(names, ["_0", "_9", "_a", "_z", "_10", "_11"]);
    }

    #[test]
    fn only_whole_identifiers_are_replaced() {
        let glue = "wasm.__wbg_a(x); wasm.__wbg_ab(y); const q = '__wbg_a'; x__wbg_a";
        assert_eq!(
            replace_identifier(glue, "__wbg_a", "_0"),
            "wasm._0(x); wasm.__wbg_ab(y); const q = '_0'; x__wbg_a"
        );
    }

    #[test]
    fn the_wasm_and_the_glue_are_renamed_together() {
        let mut module = walrus::Module::default();
        let type_id = module.types.add(&[], &[]);
        let (imported, _) = module.add_import_func("./fanfare_bg.js", "__wbg_log_0123456789abcdef", type_id);
        module.exports.add("__wbindgen_start", imported);
        module.exports.add("mount", imported);
        let glue =
            "const _0 = 1; imports.__wbg_log_0123456789abcdef = log; wasm.__wbindgen_start(); wasm.mount();";

        let (wasm, glue) = shorten(&module.emit_wasm(), glue).unwrap();

        let renamed = walrus::Module::from_buffer(&wasm).unwrap();
        let import_names: Vec<&str> = renamed.imports.iter().map(|import| import.name.as_str()).collect();
        let mut export_names: Vec<&str> = renamed.exports.iter().map(|export| export.name.as_str()).collect();
        export_names.sort_unstable();
        assert_eq!(import_names, ["_1"], "`_0` is taken by the glue itself");
        assert_eq!(export_names, ["_2", "mount"]);
        assert_eq!(glue, "const _0 = 1; imports._1 = log; wasm._2(); wasm.mount();");
    }

    #[test]
    fn a_name_the_glue_never_mentions_fails_the_build() {
        let mut module = walrus::Module::default();
        let type_id = module.types.add(&[], &[]);
        module.add_import_func("./fanfare_bg.js", "__wbg_gone_0123456789abcdef", type_id);
        assert!(shorten(&module.emit_wasm(), "nothing here").is_err());
    }
}
