//! Raw, gzip and brotli sizes of the built files, against PRODUCT.md's budgets.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// `embed.js`, brotli.
pub const LOADER_BUDGET: usize = 2 * 1024;
/// wasm + JS glue + CSS, brotli.
pub const WIDGET_BUDGET: usize = 90 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl Sizes {
    pub fn of(bytes: &[u8]) -> Self {
        Self { raw: bytes.len(), gzip: gzip_len(bytes), brotli: brotli_len(bytes) }
    }

    pub fn plus(self, other: Sizes) -> Sizes {
        Sizes { raw: self.raw + other.raw, gzip: self.gzip + other.gzip, brotli: self.brotli + other.brotli }
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    gzip(bytes).len()
}

fn brotli_len(bytes: &[u8]) -> usize {
    brotli(bytes).len()
}

/// The best gzip compression, as served to browsers without brotli.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// The best brotli compression, as served to browsers that accept it.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let mut input = bytes;
    match brotli::BrotliCompress(&mut input, &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}

/// Bytes as people read them: `12.3 KB` (1 KB = 1024 bytes, as the budgets are written).
pub fn human(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

pub fn verdict(brotli: usize, budget: usize) -> &'static str {
    if brotli <= budget {
        "OK"
    } else {
        "OVER"
    }
}

/// Fails, naming each file over its budget with exact byte counts, when one is.
pub fn within_budgets(loader: Sizes, widget: Sizes) -> anyhow::Result<()> {
    let over: Vec<String> =
        [("embed.js", loader.brotli, LOADER_BUDGET), ("the widget", widget.brotli, WIDGET_BUDGET)]
            .into_iter()
            .filter(|(_, brotli, budget)| brotli > budget)
            .map(|(what, brotli, budget)| {
                format!("{what} is {brotli} bytes of brotli, {} over its budget of {budget}", brotli - budget)
            })
            .collect();
    if over.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("over budget (PRODUCT.md): {}", over.join("; "))
    }
}

/// The table `cargo xtask build` prints.
pub fn table(rows: &[(String, Sizes)], loader: Sizes, widget: Sizes) -> String {
    let mut out = format!("{:<34} {:>10} {:>10} {:>10}\n", "file", "raw", "gzip", "brotli");
    for (name, sizes) in rows {
        out += &format!(
            "{name:<34} {:>10} {:>10} {:>10}\n",
            human(sizes.raw),
            human(sizes.gzip),
            human(sizes.brotli)
        );
    }
    out += &format!(
        "\nembed.js brotli {} of {} budget: {}\nwidget (wasm + glue + css) brotli {} of {} budget: {}\n",
        human(loader.brotli),
        human(LOADER_BUDGET),
        verdict(loader.brotli, LOADER_BUDGET),
        human(widget.brotli),
        human(WIDGET_BUDGET),
        verdict(widget.brotli, WIDGET_BUDGET),
    );
    out
}

/// The same figures as a Markdown table, for BENCHMARKS.md.
pub fn markdown(rows: &[(String, Sizes)], loader: Sizes, widget: Sizes) -> String {
    let mut out = String::from("| file | raw | gzip | brotli | budget (brotli) |\n|---|---|---|---|---|\n");
    for (name, sizes) in rows {
        out += &format!(
            "| `{name}` | {} | {} | {} | |\n",
            human(sizes.raw),
            human(sizes.gzip),
            human(sizes.brotli)
        );
    }
    out += &format!(
        "| **embed.js** | | | {} | {} {} |\n| **widget (wasm + glue + CSS)** | {} | {} | {} | {} {} |\n",
        human(loader.brotli),
        human(LOADER_BUDGET),
        verdict(loader.brotli, LOADER_BUDGET),
        human(widget.raw),
        human(widget.gzip),
        human(widget.brotli),
        human(WIDGET_BUDGET),
        verdict(widget.brotli, WIDGET_BUDGET),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_shrinks_repetitive_input() {
        let sizes = Sizes::of(&b"fanfare ".repeat(1000));
        assert_eq!(sizes.raw, 8000);
        assert!(sizes.gzip < 200 && sizes.brotli < 200, "{sizes:?}");
    }

    #[test]
    fn human_sizes_use_binary_kilobytes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(2048), "2.0 KB");
        assert_eq!(human(92_160), "90.0 KB");
    }

    #[test]
    fn a_build_over_either_budget_fails_with_its_figures() {
        let sizes = |brotli| Sizes { raw: 0, gzip: 0, brotli };
        assert!(within_budgets(sizes(LOADER_BUDGET), sizes(WIDGET_BUDGET)).is_ok());
        let error = within_budgets(sizes(LOADER_BUDGET), sizes(WIDGET_BUDGET + 10)).unwrap_err().to_string();
        assert!(
            error.contains("the widget is 92170 bytes of brotli, 10 over its budget of 92160"),
            "{error}"
        );
        assert!(!error.contains("embed.js"), "{error}");
        assert!(within_budgets(sizes(LOADER_BUDGET + 1), sizes(0))
            .unwrap_err()
            .to_string()
            .contains("embed.js"));
    }

    #[test]
    fn budgets_are_inclusive() {
        assert_eq!(verdict(WIDGET_BUDGET, WIDGET_BUDGET), "OK");
        assert_eq!(verdict(WIDGET_BUDGET + 1, WIDGET_BUDGET), "OVER");
    }
}
