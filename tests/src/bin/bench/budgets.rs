//! PRODUCT.md's budgets as the bench checks them: each check gives the word the report shows
//! (`OK` or `MISSED`) and remembers what was missed, for the end-of-run summary.

#[derive(Default)]
pub struct Budgets {
    missed: Vec<String>,
}

impl Budgets {
    /// `OK` when `met`; otherwise `MISSED`, remembering `what` (the budget and the figure).
    pub fn check(&mut self, met: bool, what: impl FnOnce() -> String) -> &'static str {
        if met {
            "OK"
        } else {
            self.missed.push(what());
            "MISSED"
        }
    }

    /// Remembers the rows of the size table (written by xtask) that say MISSED.
    pub fn note_size_table(&mut self, table: &str) {
        for row in table.lines().filter(|row| row.contains("MISSED")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).filter(|cell| !cell.is_empty()).collect();
            let (Some(what), Some(brotli), Some(budget)) =
                (cells.first(), cells.get(cells.len().saturating_sub(2)), cells.last())
            else {
                continue;
            };
            let budget = budget.trim_end_matches("MISSED").trim();
            self.missed.push(format!("{}: {brotli} of brotli, budget {budget}", what.trim_matches('*')));
        }
    }

    pub fn any_missed(&self) -> bool {
        !self.missed.is_empty()
    }

    pub fn missed_count(&self) -> usize {
        self.missed.len()
    }

    /// One line per missed budget, or a line saying none was.
    pub fn summary(&self) -> String {
        if self.missed.is_empty() {
            return "Every budget met.".to_owned();
        }
        let mut out = format!("{} budget(s) MISSED:\n", self.missed.len());
        for missed in &self.missed {
            out += &format!("- MISSED {missed}\n");
        }
        out
    }

    /// The run's last line: what it comes to, red when a budget was missed (green when none
    /// was) if `colour`, which a terminal gets and a pipe does not.
    pub fn verdict_line(&self, colour: bool) -> String {
        let (text, code) = if self.missed.is_empty() {
            ("bench: OK, every budget met".to_owned(), "32")
        } else {
            (format!("bench: FAILED, {} budget(s) MISSED (listed above)", self.missed.len()), "1;31")
        };
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_budget_is_named_in_the_summary() {
        let mut budgets = Budgets::default();
        assert_eq!(budgets.check(true, || unreachable!()), "OK");
        assert!(!budgets.any_missed());
        assert_eq!(budgets.check(false, || "CLS ≤ 0.05 on a.html: 0.20".into()), "MISSED");
        assert!(budgets.any_missed());
        assert!(budgets.summary().contains("- MISSED CLS ≤ 0.05 on a.html: 0.20"), "{}", budgets.summary());
    }

    #[test]
    fn the_last_line_fails_in_red_when_a_budget_is_missed() {
        let mut budgets = Budgets::default();
        assert_eq!(budgets.verdict_line(false), "bench: OK, every budget met");
        assert_eq!(budgets.verdict_line(true), "\x1b[32mbench: OK, every budget met\x1b[0m");
        budgets.check(false, || "p99 ≤ 10 ms: 12 ms".into());
        assert_eq!(budgets.verdict_line(false), "bench: FAILED, 1 budget(s) MISSED (listed above)");
        assert_eq!(
            budgets.verdict_line(true),
            "\x1b[1;31mbench: FAILED, 1 budget(s) MISSED (listed above)\x1b[0m"
        );
    }

    #[test]
    fn the_size_tables_missed_rows_are_remembered() {
        let mut budgets = Budgets::default();
        budgets.note_size_table(
            "| **embed.js** | | | 1.7 KB | ≤ 2.0 KB OK |\n\
             | **interactive widget (wasm + glue + CSS)** | 262.7 KB | 106.4 KB | 87.7 KB | ≤ 80.0 KB MISSED |\n",
        );
        assert_eq!(
            budgets.summary(),
            "1 budget(s) MISSED:\n- MISSED interactive widget (wasm + glue + CSS): 87.7 KB of brotli, budget ≤ 80.0 KB\n"
        );
    }
}
