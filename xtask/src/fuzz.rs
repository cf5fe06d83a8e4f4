//! `cargo xtask fuzz [SECONDS]`: every cargo-fuzz target in turn, from the seeds in
//! `fuzz/seeds/<target>`, for a fixed time each. Needs the nightly toolchain and cargo-fuzz
//! (installed from crates.io when missing). Not part of `cargo xtask test`: it takes a while.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::{run, tools};

pub const TARGETS: [&str; 3] = ["submission", "fields", "photo"];

pub fn fuzz(root: &Path, seconds: Option<&str>) -> anyhow::Result<()> {
    let seconds: u32 = match seconds {
        None => 600,
        Some(raw) => raw.parse().with_context(|| format!("SECONDS must be a whole number, not {raw:?}"))?,
    };
    let nightly = Command::new("rustup").args(["run", "nightly", "rustc", "--version"]).output();
    if !nightly.is_ok_and(|output| output.status.success()) {
        bail!("the nightly toolchain is missing: run `rustup toolchain install nightly`");
    }
    if !tools::on_path("cargo-fuzz") {
        println!("== installing cargo-fuzz from crates.io");
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz_dir = root.join("fuzz");
    for target in TARGETS {
        println!("\n== fuzzing {target} for {seconds} s");
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        run(Command::new("cargo")
            .current_dir(&fuzz_dir)
            .args(["+nightly", "fuzz", "run", target])
            .arg(&corpus)
            .arg(fuzz_dir.join("seeds").join(target))
            .args(["--", &format!("-max_total_time={seconds}"), "-rss_limit_mb=2048", "-timeout=10"]))
        .with_context(|| format!("fuzz target {target} found a failure; see fuzz/artifacts/{target}"))?;
    }
    println!("\nxtask fuzz: no failure in {} targets × {seconds} s", TARGETS.len());
    Ok(())
}
