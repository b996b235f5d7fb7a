//! Where output goes: data on stdout, diagnostics on stderr, and the console width that
//! the original's tables are laid out for (`COLUMNS`, else the terminal's, else 80).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to standard output failed because its reader went away.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output, where every command writes its data. A write that fails because the
/// reader closed the pipe (`tcbench … | head`) is remembered, whatever error type later
/// wraps it on its way up (serde_json's, anyhow's context), so that `main` ends quietly
/// with exit 0 as a Unix filter does. Write through this, never `print!`/`println!`
/// (which panic on a closed pipe).
pub struct Stdout(std::io::StdoutLock<'static>);

/// Locks standard output for a command's data (wrap it in a `BufWriter` for many small
/// writes).
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// True when standard output's reader went away during this process.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

fn noting_closed<T>(r: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(e) = &r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
    }
    r
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        noting_closed(self.0.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        noting_closed(self.0.flush())
    }
}

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

/// An error on stderr (the command then fails).
pub fn error(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "tcbench: error: {msg}");
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
