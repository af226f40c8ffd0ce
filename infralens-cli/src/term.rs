//! The terminal as the labs runner uses it: output that reads right in raw mode (where a
//! line feed does not return the carriage), a spinner while cargo works, single keys.

use indicatif::{ProgressBar, ProgressStyle};
use infralens_cli::labs::Report;
use std::io::IsTerminal;
use std::time::Duration;

/// Standard output, raw-mode aware.
pub struct Screen {
    raw: Option<RawMode>,
}

impl Screen {
    /// Output as usual (no raw mode).
    pub fn cooked() -> Screen {
        Screen { raw: None }
    }

    /// Raw mode (single keys, no echo) when standard input and output are both terminals;
    /// it is left when the screen is dropped, also on an early return or a panic.
    pub fn keys() -> Screen {
        let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let raw = tty && crossterm::terminal::enable_raw_mode().is_ok();
        Screen {
            raw: raw.then_some(RawMode),
        }
    }

    /// Whether keys arrive one by one (raw mode), rather than as lines.
    pub fn single_keys(&self) -> bool {
        self.raw.is_some()
    }

    /// Writes `text` now; what cannot be written (a closed stdout) is dropped.
    pub fn write(&self, text: &str) {
        let _ = if self.raw.is_some() {
            crate::cmd::out::write_out(&text.replace('\n', "\r\n"))
        } else {
            crate::cmd::out::write_out(text)
        };
    }
}

/// Raw mode while it lives.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// A check's report on the screen as it comes, under a spinner on standard error (only
/// when that is a terminal) that says what cargo is doing.
pub struct Progress<'a> {
    screen: &'a Screen,
    bar: Option<ProgressBar>,
    /// Everything shown, for the caller to look back on.
    pub shown: String,
}

impl<'a> Progress<'a> {
    /// A report onto `screen`, with a spinner when standard error is a terminal.
    pub fn new(screen: &'a Screen) -> Progress<'a> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}") {
                bar.set_style(style);
            }
            bar.set_message("starting cargo…");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Progress {
            screen,
            bar,
            shown: String::new(),
        }
    }
}

impl Report for Progress<'_> {
    fn text(&mut self, text: &str) {
        self.shown.push_str(text);
        match &self.bar {
            Some(bar) => bar.suspend(|| self.screen.write(text)),
            None => self.screen.write(text),
        }
    }

    fn status(&mut self, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{status}…"));
        }
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a key means in `watch`: `h`, `l`, `c`, `q` as typed; Ctrl-C, Ctrl-D and Esc quit
/// (raw mode turns Ctrl-C into a key); other keys, `None` (ignored).
pub fn key_command(event: &crossterm::event::Event) -> Option<String> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
    let Event::Key(key) = event else { return None };
    if key.kind != KeyEventKind::Press {
        return None;
    }
    match key.code {
        KeyCode::Char('c' | 'd') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            Some("q".to_owned())
        }
        KeyCode::Esc => Some("q".to_owned()),
        KeyCode::Char(c) => Some(c.to_string()),
        _ => None,
    }
}
