//! `cargo xtask build`: the widget for the browser.
//!
//! wasm32 in the size profile, with the standard library rebuilt for size on the pinned nightly
//! ([`tools::WIDGET_TOOLCHAIN`]) → wasm-bindgen (as a library, pinned to the widget's
//! `wasm-bindgen`) → short import/export names ([`crate::names`]) → binaryen's wasm-opt and
//! terser and csso → content-hashed names in `target/widget`, with the loader pointed at those names.
//! Fails before compiling when the loader's copies of shared rules drift ([`crate::loader_rules`]).
//! Fails when a file is over the limit the build enforces ([`crate::sizes::WIDGET_BUILD_LIMIT`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::compression;
use crate::loader_rules;
use crate::names;
use crate::run;
use crate::sizes::BuildSizes;
use crate::tools;

/// The placeholders in `widget/loader/embed.js` that name the hashed files.
const GLUE_PLACEHOLDER: &str = "__FANFARE_GLUE__";
const WASM_PLACEHOLDER: &str = "__FANFARE_WASM__";
const CSS_PLACEHOLDER: &str = "__FANFARE_CSS__";
const VIEWS_PLACEHOLDER: &str = "__FANFARE_VIEWS__";
const RECORDER_PLACEHOLDER: &str = "__FANFARE_RECORDER__";

/// Flags for the size build (all need [`tools::WIDGET_TOOLCHAIN`]): panics abort without a
/// message, and neither panic locations nor `Debug` output are compiled in.
const WIDGET_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none";

pub struct BuildOutput {
    pub dir: PathBuf,
}

/// Which widget a build makes: the one that ships, or one for tests only.
struct Variant {
    /// Cargo features of `fanfare-widget`.
    features: &'static str,
    /// Under `target/`: the finished files, and the intermediate ones.
    out: &'static str,
    work: &'static str,
    /// Whether PRODUCT.md's size budgets apply (they do to what ships).
    budgeted: bool,
}

const SHIPPED: Variant = Variant { features: "", out: "widget", work: "widget-work", budgeted: true };

/// The widget with json.rs's readers and writers exported (`wire-probe`), for the browser test
/// of the wire format (`tests/tests/wire.rs`); never served to anyone else.
const WIRE_PROBE: Variant =
    Variant { features: "wire-probe", out: "widget-wire", work: "widget-wire-work", budgeted: false };

/// The widget as it ships, into `target/widget`.
pub fn build(root: &Path) -> anyhow::Result<BuildOutput> {
    build_variant(root, &SHIPPED)
}

/// The wire-probe widget, into `target/widget-wire` (tests only; not size-budgeted).
pub fn build_wire_probe(root: &Path) -> anyhow::Result<BuildOutput> {
    build_variant(root, &WIRE_PROBE)
}

fn build_variant(root: &Path, variant: &Variant) -> anyhow::Result<BuildOutput> {
    // First: a loader that disagrees with the protocol fails in a second, not after the build.
    let loader_source = root.join("widget/loader/embed.js");
    let loader_text = std::fs::read_to_string(&loader_source)
        .with_context(|| format!("reading {}", loader_source.display()))?;
    loader_rules::check(&loader_text)?;

    tools::ensure_widget_toolchain()?;
    let bin = tools::ensure_node_tools(root)?;
    let target_dir = root.join("target");
    // Its own directory: the nightly and its rebuilt standard library would otherwise
    // invalidate the stable builds that share `target`.
    let size_target_dir = target_dir.join("widget-size");
    let work = target_dir.join(variant.work);
    let out = target_dir.join(variant.out);
    std::fs::create_dir_all(&work)?;

    println!("== compiling the widget for {} (features: {:?})", tools::WASM_TARGET, variant.features);
    // The standard library as shipped is built for speed and carries panic messages, their
    // locations and the formatting machinery behind them; rebuilt for size, with panics that
    // abort at once (the widget never unwinds), it is about 20 KB of brotli smaller.
    run(Command::new("cargo")
        .current_dir(root)
        .arg(["+", tools::WIDGET_TOOLCHAIN].concat())
        .args(["build", "--package", "fanfare-widget", "--target", tools::WASM_TARGET])
        .args(["--features", variant.features])
        .args(["--profile", "wasm-release", "-Zbuild-std=std,panic_abort"])
        .arg("-Zbuild-std-features=optimize_for_size")
        .env("CARGO_TARGET_DIR", &size_target_dir)
        .env("RUSTFLAGS", WIDGET_RUSTFLAGS)
        // Set by the outer `cargo xtask`; it would pin the inner cargo to the stable rustc.
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN"))?;
    let compiled = size_target_dir.join(tools::WASM_TARGET).join("wasm-release/fanfare_widget.wasm");

    println!("== generating the JavaScript glue");
    let bindgen_dir = work.join("bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&compiled)
        .out_name("fanfare")
        .web(true)?
        .typescript(false)
        // The loader passes the hashed wasm URL explicitly; the glue must not guess one.
        .omit_default_module_path(true)
        .generate(&bindgen_dir)
        .context("running wasm-bindgen")?;

    println!("== shortening import and export names");
    let (short_wasm, short_glue) = names::shorten(
        &std::fs::read(bindgen_dir.join("fanfare_bg.wasm"))?,
        &std::fs::read_to_string(bindgen_dir.join("fanfare.js"))?,
    )?;
    let short_wasm_path = work.join("fanfare_short.wasm");
    let short_glue_path = work.join("fanfare_short.js");
    std::fs::write(&short_wasm_path, short_wasm)?;
    std::fs::write(&short_glue_path, short_glue)?;

    println!("== optimising with wasm-opt");
    let optimised = work.join("fanfare_opt.wasm");
    run(Command::new(bin.join("wasm-opt"))
        .arg(&short_wasm_path)
        .args([
            "-Oz",
            "--converge",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
        ])
        .args([
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            "--strip-debug",
        ])
        .args(["--strip-producers", "-o"])
        .arg(&optimised))?;

    println!("== minifying the loader, the read-only views, the video recorder, the glue and the stylesheet");
    let minified = work.join("embed.min.js");
    run(Command::new(bin.join("terser"))
        .arg(&loader_source)
        .args(["--compress", "--mangle", "--ecma", "2017", "--output"])
        .arg(&minified))?;
    let minified_views = work.join("views.min.js");
    run(Command::new(bin.join("terser"))
        .arg(root.join("widget/loader/views.js"))
        .args(["--module", "--compress", "--mangle", "--ecma", "2017", "--output"])
        .arg(&minified_views))?;
    // Loaded only when a visitor chooses to add a video (by the widget and the collection page).
    let minified_recorder = work.join("recorder.min.js");
    run(Command::new(bin.join("terser"))
        .arg(root.join("widget/loader/recorder.js"))
        .args(["--module", "--compress", "--mangle", "--ecma", "2017", "--output"])
        .arg(&minified_recorder))?;
    let minified_glue = work.join("fanfare.min.js");
    run(Command::new(bin.join("terser"))
        .arg(&short_glue_path)
        .args(["--module", "--compress", "--mangle", "--ecma", "2020", "--output"])
        .arg(&minified_glue))?;

    // Without restructuring: rules keep their order, so the cascade is exactly the source's.
    let css_source = work.join("fanfare.min.css");
    run(Command::new(bin.join("csso"))
        .arg(root.join("widget/style/widget.css"))
        .args(["--no-restructure", "--output"])
        .arg(&css_source))?;
    let glue = std::fs::read(&minified_glue)?;
    let wasm = std::fs::read(&optimised)?;
    let css = std::fs::read(&css_source).with_context(|| format!("reading {}", css_source.display()))?;
    let glue_name = hashed_name("fanfare", &glue, ".js");
    let wasm_name = hashed_name("fanfare", &wasm, "_bg.wasm");
    let css_name = hashed_name("fanfare", &css, ".css");
    let views = std::fs::read(&minified_views)?;
    let views_name = hashed_name("views", &views, ".js");
    let recorder = std::fs::read(&minified_recorder)?;
    let recorder_name = hashed_name("recorder", &recorder, ".js");
    let loader = point_loader(
        &std::fs::read_to_string(&minified)?,
        &[
            (GLUE_PLACEHOLDER, &glue_name),
            (WASM_PLACEHOLDER, &wasm_name),
            (CSS_PLACEHOLDER, &css_name),
            (VIEWS_PLACEHOLDER, &views_name),
            (RECORDER_PLACEHOLDER, &recorder_name),
        ],
    )?;

    // Replace the previous build whole, so stale hashed files never linger.
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    // The loader first, then the widget (glue, wasm, stylesheet), then the read-only views and
    // the video recorder.
    let files: [(&str, &[u8]); 6] = [
        ("embed.js", loader.as_bytes()),
        (&glue_name, &glue),
        (&wasm_name, &wasm),
        (&css_name, &css),
        (&views_name, &views),
        (&recorder_name, &recorder),
    ];
    for (name, bytes) in files {
        std::fs::write(out.join(name), bytes)?;
        // Compressed once here, so the server sends them without compressing on each request.
        std::fs::write(out.join(format!("{name}.br")), compression::brotli(bytes))?;
        std::fs::write(out.join(format!("{name}.gz")), compression::gzip(bytes))?;
    }
    let manifest = format!(
        "{{\"glue\":\"{glue_name}\",\"wasm\":\"{wasm_name}\",\"css\":\"{css_name}\",\"views\":\"{views_name}\",\"recorder\":\"{recorder_name}\"}}\n"
    );
    std::fs::write(out.join("manifest.json"), manifest)?;

    // The loader, the widget (glue, wasm, stylesheet), then the read-only views and the recorder,
    // outside its budget (each on its own line).
    let sizes = BuildSizes::of(files[0], &files[1..4], &files[4..]);
    println!("\n== widget build in {}\n", out.display());
    print!("{}", sizes.table());
    std::fs::write(out.join("sizes.md"), sizes.markdown())?;
    if variant.budgeted {
        sizes.within_build_limits()?;
    } else {
        println!("(a test-only build, never shipped: the budgets above do not apply to it)");
    }
    Ok(BuildOutput { dir: out })
}

/// `fanfare-1a2b3c4d.js`: the first 8 hex digits of the content's SHA-256.
pub fn hashed_name(stem: &str, content: &[u8], suffix: &str) -> String {
    let digest = Sha256::digest(content);
    let mut hex = String::new();
    for byte in &digest[..4] {
        let _ = write!(hex, "{byte:02x}");
    }
    format!("{stem}-{hex}{suffix}")
}

/// Writes the hashed names into the loader (placeholder → name), insisting each placeholder is
/// there exactly once so a renamed placeholder cannot silently ship a loader pointing nowhere.
pub fn point_loader(loader: &str, names: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut pointed = loader.to_owned();
    for &(placeholder, name) in names {
        let count = pointed.matches(placeholder).count();
        if count != 1 {
            bail!("widget/loader/embed.js must contain {placeholder} exactly once (found {count})");
        }
        pointed = pointed.replace(placeholder, name);
    }
    Ok(pointed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_follow_content() {
        let a = hashed_name("fanfare", b"one", ".js");
        assert!(
            a.starts_with("fanfare-") && a.ends_with(".js") && a.len() == "fanfare-".len() + 8 + 3,
            "{a}"
        );
        assert_eq!(a, hashed_name("fanfare", b"one", ".js"));
        assert_ne!(a, hashed_name("fanfare", b"two", ".js"));
    }

    #[test]
    fn the_loader_is_pointed_at_each_file() {
        let loader = "g='__FANFARE_GLUE__';w='__FANFARE_WASM__';c='__FANFARE_CSS__'";
        let names = [(GLUE_PLACEHOLDER, "a.js"), (WASM_PLACEHOLDER, "b.wasm"), (CSS_PLACEHOLDER, "c.css")];
        let pointed = point_loader(loader, &names).unwrap();
        assert_eq!(pointed, "g='a.js';w='b.wasm';c='c.css'");
    }

    #[test]
    fn a_missing_or_doubled_placeholder_fails_the_build() {
        let names = [(GLUE_PLACEHOLDER, "a"), (WASM_PLACEHOLDER, "b"), (CSS_PLACEHOLDER, "c")];
        assert!(point_loader("no placeholders", &names).is_err());
        let doubled = "__FANFARE_GLUE__ __FANFARE_GLUE__ __FANFARE_WASM__ __FANFARE_CSS__";
        assert!(point_loader(doubled, &names).is_err());
    }
}
