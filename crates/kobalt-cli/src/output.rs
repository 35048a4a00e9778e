//! Program output on stdout. Every subcommand writes through [`emit`], never
//! `print!`: a reader that goes away (`kobalt ... | head`) or a full disk is an
//! error to handle, not a panic.

use std::io::Write;

/// Writing to stdout failed.
#[derive(Debug)]
pub(crate) struct OutputError(std::io::Error);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write output: {}", self.0)
    }
}

impl std::error::Error for OutputError {}

impl OutputError {
    /// The reader closed the pipe: nobody wants the rest, which is no failure
    /// of the program (ripgrep exits 0 here too).
    pub(crate) fn is_broken_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }

    /// `Ok` for a closed pipe, so that a command keeps its own exit code
    /// (2 for an invalid request) when nobody reads what it prints.
    pub(crate) fn unless_broken_pipe(self) -> Result<(), Self> {
        if self.is_broken_pipe() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Writes `text` to stdout through the lock and flushes it, so that every
/// write error is seen here rather than lost when stdout is dropped.
pub(crate) fn emit(text: &str) -> Result<(), OutputError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(OutputError)
}
