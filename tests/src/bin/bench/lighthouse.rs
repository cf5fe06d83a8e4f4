//! Lighthouse (npm, pinned in tools/package.json) on Debian's Chromium, headless: one run per
//! page, form factor and variant.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use fanfare_tests::browser::CHROMIUM;
use serde_json::Value;

/// Lighthouse's two form factors: its default (a throttled mobile phone) and its desktop preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFactor {
    Mobile,
    Desktop,
}

impl FormFactor {
    pub const ALL: [FormFactor; 2] = [FormFactor::Mobile, FormFactor::Desktop];

    pub fn label(self) -> &'static str {
        match self {
            FormFactor::Mobile => "mobile",
            FormFactor::Desktop => "desktop",
        }
    }

    fn arguments(self) -> &'static [&'static str] {
        match self {
            FormFactor::Mobile => &[],
            FormFactor::Desktop => &["--preset=desktop"],
        }
    }
}

/// What the report shows of one Lighthouse run.
#[derive(Debug, Clone, Copy)]
pub struct Scores {
    /// 0–100.
    pub performance: f64,
    pub cumulative_layout_shift: f64,
    /// Lighthouse's total byte weight: every response's transferred bytes.
    pub transferred_bytes: f64,
    /// 0–100.
    pub seo: f64,
}

/// `tools/node_modules/.bin/lighthouse`, which `cargo xtask bench` installs with `npm ci`.
pub fn lighthouse_bin(root: &Path) -> anyhow::Result<PathBuf> {
    let bin = root.join("tools/node_modules/.bin/lighthouse");
    if !bin.exists() {
        bail!("{} is missing: run `cargo xtask bench` (its `npm ci` in tools/ installs it)", bin.display());
    }
    Ok(bin)
}

/// The installed Lighthouse's version, for the report.
pub fn version(lighthouse: &Path) -> String {
    lighthouse
        .parent()
        .and_then(|bin| std::fs::read_to_string(bin.join("../lighthouse/package.json")).ok())
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "(unknown version)".to_owned())
}

/// One Lighthouse run on `url`, performance and SEO categories.
pub async fn audit(lighthouse: &Path, url: &str, form_factor: FormFactor) -> anyhow::Result<Scores> {
    let out = tempfile::tempdir()?;
    let report = out.path().join("report.json");
    let output = tokio::process::Command::new(lighthouse)
        .arg(url)
        .args(form_factor.arguments())
        .args([
            "--output=json",
            "--quiet",
            "--only-categories=performance,seo",
            "--disable-full-page-screenshot",
        ])
        .arg(format!("--output-path={}", report.display()))
        // The machine reaches nothing but loopback: background networking only makes noise.
        .arg(
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
             --disable-background-networking --disable-component-update --disable-sync --no-first-run",
        )
        .env("CHROME_PATH", CHROMIUM)
        .output()
        .await
        .context("starting Lighthouse")?;
    if !output.status.success() {
        bail!(
            "Lighthouse on {url} ({}) failed ({}): {}",
            form_factor.label(),
            output.status,
            String::from_utf8_lossy(&output.stderr).lines().rev().take(5).collect::<Vec<_>>().join(" / ")
        );
    }
    let text = std::fs::read_to_string(&report).with_context(|| format!("reading {}", report.display()))?;
    let json: Value = serde_json::from_str(&text).context("parsing Lighthouse's report")?;
    scores(&json).with_context(|| format!("Lighthouse's report on {url} ({})", form_factor.label()))
}

fn scores(report: &Value) -> anyhow::Result<Scores> {
    if let Some(error) = report.get("runtimeError").filter(|error| !error.is_null()) {
        bail!("Lighthouse could not measure the page: {error}");
    }
    let number = |pointer: &str| {
        report.pointer(pointer).and_then(Value::as_f64).with_context(|| format!("no {pointer} in the report"))
    };
    Ok(Scores {
        performance: 100.0 * number("/categories/performance/score")?,
        cumulative_layout_shift: number("/audits/cumulative-layout-shift/numericValue")?,
        transferred_bytes: number("/audits/total-byte-weight/numericValue")?,
        seo: 100.0 * number("/categories/seo/score")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_are_read_from_the_report() {
        let report = json!({
            "categories": { "performance": { "score": 0.97 }, "seo": { "score": 0.9 } },
            "audits": {
                "cumulative-layout-shift": { "numericValue": 0.01 },
                "total-byte-weight": { "numericValue": 12345 },
            },
        });
        let scores = scores(&report).unwrap();
        assert_eq!((scores.performance.round(), scores.seo.round()), (97.0, 90.0));
        assert_eq!((scores.cumulative_layout_shift, scores.transferred_bytes), (0.01, 12345.0));
    }

    #[test]
    fn a_page_lighthouse_could_not_measure_is_an_error() {
        let report = json!({ "runtimeError": { "code": "NO_FCP" }, "categories": { "performance": { "score": null } } });
        assert!(scores(&report).unwrap_err().to_string().contains("NO_FCP"));
    }
}
