//! `cargo xtask …`: the project's own build, demo and test commands.

mod compression;
mod fuzz;
mod loader_rules;
mod names;
mod sizes;
mod tools;
mod widget;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};

use crate::sizes::BuildSizes;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  build   build the widget into target/widget and print its sizes
          (--wire-probe: the test-only widget of tests/tests/wire.rs, into target/widget-wire)
  demo    build, then run `fanfare demo` (extra arguments are passed on)
  test    every check and test: fmt, clippy, unit, API, CLI and browser tests
  fuzz    run every cargo-fuzz target for SECONDS each (default 600): cargo xtask fuzz [SECONDS]
  bench   measure sizes, browser timings, Lighthouse and server load (wrk, nginx); writes
          BENCHMARKS.md, then fails when a budget is missed. With FANFARE_WIDGET_DIR set, measures
          that widget build instead of building one. `--only PART,...` measures those parts alone
          and leaves BENCHMARKS.md as it was (parts: browser, read-only, lighthouse, video, server)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") if args.get(1).is_some_and(|arg| arg == "--wire-probe") => {
            widget::build_wire_probe(&workspace_root()).map(drop)
        }
        Some("build") => widget::build(&workspace_root()).map(drop),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&workspace_root(), args.get(1).map(String::as_str)),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command to completion, failing with the command line when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    let status = command.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root);
    command
}

/// Builds what is measured in release, installs wrk and nginx from Debian and the npm tools
/// (Lighthouse) when missing, then runs the measuring binary (`tests/src/bin/bench/`). That
/// binary writes BENCHMARKS.md first and fails after, when a budget is missed.
fn bench(extra: &[String]) -> anyhow::Result<()> {
    let root = workspace_root();
    tools::ensure_chromium()?;
    tools::ensure_debian_packages(&[("wrk", "wrk"), ("nginx", "nginx-light")])?;
    let widget_dir = widget_to_measure(&root)?;
    // Measured again here: a build made earlier may have been reported against older budgets.
    let sizes = BuildSizes::of_build(&widget_dir)?;
    std::fs::write(widget_dir.join("sizes.md"), sizes.markdown())
        .with_context(|| format!("writing the size table into {}", widget_dir.display()))?;
    println!("\n== building the release server and the benchmark");
    // One build for both, so their shared dependencies are compiled once.
    run(cargo(&root).args([
        "build",
        "--release",
        "--package",
        "fanfare-server",
        "--bin",
        "fanfare",
        "--package",
        "fanfare-tests",
        "--bin",
        "bench",
    ]))?;
    run(Command::new(target_dir(&root).join("release/bench"))
        .args(extra)
        .current_dir(&root)
        .env("FANFARE_WIDGET_DIR", &widget_dir))
}

/// The widget build the bench measures: the one `FANFARE_WIDGET_DIR` names, as it is, when that
/// is set; otherwise a fresh `cargo xtask build`.
fn widget_to_measure(root: &Path) -> anyhow::Result<PathBuf> {
    let Some(dir) = std::env::var_os("FANFARE_WIDGET_DIR").map(PathBuf::from) else {
        return Ok(widget::build(root)?.dir);
    };
    if !dir.join("embed.js").exists() {
        bail!("FANFARE_WIDGET_DIR is {}, which holds no widget build", dir.display());
    }
    println!(
        "== measuring the widget build in {} (FANFARE_WIDGET_DIR), without rebuilding it",
        dir.display()
    );
    // The build would have installed them; Lighthouse is among them.
    tools::ensure_node_tools(root)?;
    Ok(dir)
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` when set (relative to the workspace), else
/// `target` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}

fn demo(extra: &[String]) -> anyhow::Result<()> {
    let root = workspace_root();
    let output = widget::build(&root)?;
    run(cargo(&root)
        .args(["run", "--release", "--package", "fanfare-server", "--bin", "fanfare", "--", "demo"])
        .args(extra)
        .env("FANFARE_WIDGET_DIR", &output.dir))
}

fn test() -> anyhow::Result<()> {
    let root = workspace_root();
    tools::ensure_chromium()?;
    let output = widget::build(&root)?;
    println!("\n== the wire-probe widget, for the browser test of the wire format");
    let wire = widget::build_wire_probe(&root)?;

    println!("\n== formatting");
    run(cargo(&root).args(["fmt", "--all", "--", "--check"]))?;
    println!("\n== lints (host crates, then the widget for wasm32)");
    run(cargo(&root).args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    tools::ensure_wasm_target()?;
    // As shipped, and with the test-only wire probe.
    for features in ["", "wire-probe"] {
        run(cargo(&root).args([
            "clippy",
            "--package",
            "fanfare-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            features,
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    println!("\n== supply chain (cargo deny: licenses, bans, sources)");
    if tools::on_path("cargo-deny") {
        run(cargo(&root).args(["deny", "check", "licenses", "bans", "sources"]))?;
    } else {
        println!(
            "cargo-deny is not installed: skipped (install it with `cargo install cargo-deny --locked`)"
        );
    }
    println!("\n== tests on SQLite");
    // The default members are the host crates; the widget's logic (reducer, texts) runs as host
    // unit tests, its rendering through the browser tests.
    run(cargo(&root)
        .args(["test", "--no-fail-fast"])
        .env("FANFARE_WIDGET_DIR", &output.dir)
        .env("FANFARE_WIRE_WIDGET_DIR", &wire.dir))?;
    run(cargo(&root).args(["test", "--package", "fanfare-widget", "--lib"]))?;

    let postgres = tools::postgres_url();
    if tools::postgres_reachable() {
        println!("\n== the same suites on PostgreSQL ({postgres}), then the PostgreSQL-only tests");
        // The storage contract and service suites, API and CLI suites, the browser flows, and
        // what needs PostgreSQL itself.
        for suites in [
            &[
                "--package",
                "fanfare-server",
                "--test",
                "api",
                "--test",
                "below_http",
                "--test",
                "cli",
                "--test",
                "durability",
            ][..],
            &["--package", "fanfare-tests"],
        ] {
            run(cargo(&root)
                .args(["test", "--no-fail-fast"])
                .args(suites)
                .env("FANFARE_TEST_BACKEND", "postgres")
                .env("FANFARE_WIDGET_DIR", &output.dir)
                .env("FANFARE_WIRE_WIDGET_DIR", &wire.dir))?;
        }
        run(cargo(&root).args([
            "test",
            "--package",
            "fanfare-server",
            "--test",
            "postgres",
            "--",
            "--ignored",
        ]))?;
        println!("\nxtask test: all checks passed, on SQLite and on PostgreSQL");
    } else {
        println!(
            "\n== PostgreSQL is NOT reachable at {postgres}: its suites did not run.\n   \
             Start it (e.g. `pg_ctlcluster 15 main start`) or point FANFARE_TEST_POSTGRES_URL at one."
        );
        println!("\nxtask test: all checks passed on SQLite; PostgreSQL was not tested");
    }
    Ok(())
}
