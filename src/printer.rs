//! Where output goes: data on stdout, diagnostics on stderr, and the console width that
//! the original's tables are laid out for (`COLUMNS`, else the terminal's, else 80).

use std::io::{IsTerminal, Write};

/// Console width as rich computes it.
pub fn console_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        if cols > 0 {
            return cols;
        }
    }
    if std::io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w);
        }
    }
    80
}

/// A warning on stderr.
pub fn warn(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "tcbench: warning: {msg}");
}

/// A note on stderr.
pub fn note(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "tcbench: {msg}");
}

/// Redraws the progress line on stderr (callers draw it only when stderr is a terminal);
/// an empty `line` erases it.
pub fn progress(line: &str) {
    let mut err = std::io::stderr();
    let _ = write!(err, "\r\x1b[K{line}");
    let _ = err.flush();
}
