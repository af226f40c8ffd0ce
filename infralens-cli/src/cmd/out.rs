//! Writing to the terminal: colours, the pager, one-line failures, the working directory.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

/// Colours on standard output: a terminal, and no `NO_COLOR` (<https://no-color.org>).
pub(crate) fn color_out() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Says what went wrong on one line of stderr; exit code 2.
pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("infralens: {message}");
    ExitCode::from(2)
}

/// `text` through `$PAGER` (else `less -R`) when it is longer than a screen and standard
/// output is a terminal; written directly otherwise, or when the pager cannot start.
/// `PAGER=` (empty) or `PAGER=cat` turns paging off.
pub(crate) fn page_out(text: &str) -> std::io::Result<()> {
    if !std::io::stdout().is_terminal() || text.lines().count() <= 40 {
        return write_out(text);
    }
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -R".to_owned());
    let mut words = pager.split_whitespace();
    let Some(program) = words.next() else {
        return write_out(text);
    };
    let child = Command::new(program)
        .args(words)
        .stdin(Stdio::piped())
        .spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                // The reader may quit before the end: a broken pipe is not an error here.
                let _ = stdin.write_all(text.as_bytes());
            }
            child.wait().map(|_| ())
        }
        Err(_) => write_out(text),
    }
}

/// Writes `text` to standard output at once.
pub(crate) fn write_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The working directory (`.` when it cannot be read).
pub(crate) fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}
