//! The bar the long commands (`copy`, `import`, `export`, `invite`) draw on standard error. It
//! is drawn only when standard error is a terminal: indicatif's stderr target hides itself
//! otherwise (and when `TERM` is unset or `dumb`), so piped or redirected, a command prints
//! exactly what it always did, with no carriage returns or escape codes in a log.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;

pub(super) struct Bar(ProgressBar);

impl Bar {
    /// A bar on standard error, when it is a terminal.
    pub(super) fn on_stderr() -> Self {
        Self::drawn_to(ProgressDrawTarget::stderr())
    }

    /// [`Self::on_stderr`] unless standard output is a terminal too: a document written there
    /// would be torn up by a bar redrawn across it.
    pub(super) fn beside_stdout() -> Self {
        if std::io::stdout().is_terminal() {
            Self::drawn_to(ProgressDrawTarget::hidden())
        } else {
            Self::on_stderr()
        }
    }

    fn drawn_to(target: ProgressDrawTarget) -> Self {
        // The template is ours and constant; should it ever be refused, the default bar does.
        let style = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta} left)")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        Self(ProgressBar::with_draw_target(Some(0), target).with_style(style))
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        // The name first: each change redraws (at most 20 times a second).
        self.0.set_message(what.to_owned());
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.reset_eta();
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// The bar goes when the work ends, done or failed, before the command says what happened.
impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
