//! How far a long piece of work has come, told to whoever started it. It sits beneath the
//! layers, like [`crate::clock`]: storage (`fanfare copy`) and service operations (import,
//! export, invitations) report through [`Progress`], and only the command line draws it (a bar
//! on a terminal, `cli/progress.rs`). HTTP paths pass [`Silent`]: a browser shows its own.

/// Told as a long operation goes. Calls are cheap and may come once an item; what to show, and
/// how often to redraw, is the implementation's business.
pub trait Progress: Send + Sync {
    /// A step begins: `what` it does ("importing", a table's name), over `total` items.
    fn start(&self, what: &str, total: u64);
    /// `n` more items of the current step are done.
    fn advance(&self, n: u64);
}

/// Shows nothing: for work nobody watches on a terminal.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _what: &str, _total: u64) {}

    fn advance(&self, _n: u64) {}
}
