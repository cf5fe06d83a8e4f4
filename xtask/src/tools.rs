//! Tools the build and tests need, installed from the registries this machine reaches, or a
//! clear message saying which command installs them.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::run;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Adds the wasm32 target through rustup when it is missing.
pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (install Rust with rustup to build the widget)")?;
    if String::from_utf8_lossy(&installed.stdout).lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    println!("adding the {WASM_TARGET} target with rustup");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The toolchain the widget is built with: a pinned nightly, because rebuilding the standard
/// library for size (`-Zbuild-std`) is what brings the widget within its budget. Pinned, so
/// that the measured sizes do not move with whatever nightly a machine happens to have.
pub const WIDGET_TOOLCHAIN: &str = "nightly-2026-05-20";

/// Installs [`WIDGET_TOOLCHAIN`] with the standard library's source through rustup when it is
/// missing (a minimal profile: about 70 MB).
pub fn ensure_widget_toolchain() -> anyhow::Result<()> {
    let toolchain = ["+", WIDGET_TOOLCHAIN].concat();
    let has_source = Command::new("rustup")
        .args([toolchain.as_str(), "component", "list", "--installed"])
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).contains("rust-src"));
    if has_source {
        return Ok(());
    }
    println!("installing the widget's toolchain {WIDGET_TOOLCHAIN} (minimal, with rust-src) with rustup");
    run(Command::new("rustup").args([
        "toolchain",
        "install",
        WIDGET_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))
    .with_context(|| {
        format!(
            "installing {WIDGET_TOOLCHAIN}; run `rustup toolchain install {WIDGET_TOOLCHAIN} \
             --profile minimal --component rust-src` and try again"
        )
    })
}

/// Installs the pinned npm tools into `tools/node_modules`: binaryen, terser and csso for the build,
/// axe-core for the accessibility tests, swagger-parser for the OpenAPI test, Bootstrap and Bulma
/// for the demo's hostile-CSS page, Lighthouse for the bench.
pub fn ensure_node_tools(root: &Path) -> anyhow::Result<PathBuf> {
    let tools = root.join("tools");
    let bin = tools.join("node_modules/.bin");
    let needed = [
        "axe-core/axe.min.js",
        "bootstrap/dist/css/bootstrap.min.css",
        "bulma/css/bulma.min.css",
        "@apidevtools/swagger-parser/package.json",
        "lighthouse/package.json",
    ];
    let all_there = needed.iter().all(|file| tools.join("node_modules").join(file).exists());
    let tools_there = ["wasm-opt", "terser", "csso"].iter().all(|tool| bin.join(tool).exists());
    if tools_there && all_there {
        return Ok(bin);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is missing: run `apt-get install -y nodejs npm` and try again");
    }
    println!("installing the pinned build tools from npm into tools/node_modules");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&tools))?;
    Ok(bin)
}

/// Debian's Chromium and its WebDriver, installed with apt-get when running as root.
pub fn ensure_chromium() -> anyhow::Result<()> {
    let present = |path: &str| Path::new(path).exists();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    let install = "apt-get update && apt-get install -y chromium chromium-driver";
    if !is_root() {
        bail!("the browser tests need Debian's Chromium and ChromeDriver; run as root: {install}");
    }
    println!("installing chromium and chromium-driver with apt-get");
    run(Command::new("sh").args(["-c", install]).env("DEBIAN_FRONTEND", "noninteractive"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// The PostgreSQL server the tests use: `FANFARE_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_url() -> String {
    std::env::var("FANFARE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Whether something listens at the test PostgreSQL server's host and port.
pub fn postgres_reachable() -> bool {
    let url = postgres_url();
    let authority = url.split("://").nth(1).unwrap_or_default().split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok())
}

/// Whether an executable of that name is on `PATH` (cargo subcommands live there too).
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Debian packages a command needs, as (executable, package): installed with apt-get when
/// running as root, otherwise the exact command to run.
pub fn ensure_debian_packages(needed: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> =
        needed.iter().filter(|(command, _)| !on_path(command)).map(|(_, package)| *package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!("apt-get install -y {}", missing.join(" "));
    if !is_root() {
        bail!("missing tools: run `{install}` as root, then try again");
    }
    println!("installing {} with apt-get", missing.join(", "));
    run(Command::new("sh")
        .args(["-c", &format!("apt-get update && DEBIAN_FRONTEND=noninteractive {install}")]))
}
