//! `infralens check`: `cargo check --message-format=json`, with InfraLens shape errors
//! rendered by InfraLens and every other message passed through.

use crate::diag::{Diagnostic, Excerpt, Pos, Severity};
use serde_json::Value;

/// A compiler message, turned into a diagnostic when it is an InfraLens shape error.
///
/// ```
/// use infralens_cli::check::Message;
/// let line = r#"{"reason":"compiler-message","message":{"message":"shape mismatch: x","level":"error","code":{"code":"E0277"},"spans":[],"children":[],"rendered":"error: shape mismatch: x\n"}}"#;
/// let Some(Message::Shape(d)) = Message::parse(line) else { panic!() };
/// assert_eq!(d.code, "E0277");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// An InfraLens shape error (its message starts with `shape mismatch`).
    Shape(Diagnostic),
    /// Any other compiler error or warning: the diagnostic, and rustc's own rendering.
    Other(Diagnostic, String),
}

impl Message {
    /// Reads one line of `cargo --message-format=json`; `None` for lines that are not
    /// compiler errors or warnings (artifacts, build-script output, notes).
    ///
    /// ```
    /// use infralens_cli::check::Message;
    /// assert!(Message::parse(r#"{"reason":"build-finished","success":true}"#).is_none());
    /// assert!(Message::parse("not json").is_none());
    ///
    /// // a message of several lines is its first line, the rest a note
    /// let line = r#"{"reason":"compiler-message","message":{"message":"unused\nsecond line","level":"warning","spans":[],"children":[]}}"#;
    /// let Some(Message::Other(d, _)) = Message::parse(line) else { panic!() };
    /// assert_eq!((d.message.as_str(), d.notes.as_slice()), ("unused", &["second line".to_owned()][..]));
    /// ```
    pub fn parse(line: &str) -> Option<Message> {
        let v: Value = serde_json::from_str(line).ok()?;
        if v["reason"] != "compiler-message" {
            return None;
        }
        let m = &v["message"];
        let severity = match m["level"].as_str()? {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => return None,
        };
        // A message is one line: rustc's later lines (some notes have them) become a note.
        let (text, more) = match m["message"].as_str()?.split_once('\n') {
            Some((first, rest)) => (first.to_owned(), Some(rest.trim_end().to_owned())),
            None => (m["message"].as_str()?.to_owned(), None),
        };
        let code = m["code"]["code"].as_str().unwrap_or("rustc").to_owned();
        let rendered = m["rendered"].as_str().unwrap_or("").to_owned();
        let spans = m["spans"].as_array().cloned().unwrap_or_default();
        let primary = spans
            .iter()
            .find(|s| s["is_primary"] == true)
            .or(spans.first());
        let at = |s: &Value, l: &str, c: &str| Pos {
            line: s[l].as_u64().unwrap_or(1) as usize,
            column: s[c].as_u64().unwrap_or(1) as usize,
        };
        let mut d = match primary {
            Some(s) => {
                let mut d = Diagnostic::new(
                    s["file_name"].as_str().unwrap_or("?"),
                    at(s, "line_start", "column_start"),
                    at(s, "line_end", "column_end"),
                    &code,
                    &text,
                );
                d.label = s["label"].as_str().map(str::to_owned);
                let lines: Vec<&str> = s["text"]
                    .as_array()
                    .map(|t| t.iter().filter_map(|l| l["text"].as_str()).collect())
                    .unwrap_or_default();
                if !lines.is_empty() {
                    d.excerpt = Some(Excerpt::new(
                        d.start.line,
                        lines.iter().map(|l| format!("{l}\n")).collect(),
                    ));
                }
                d
            }
            None => {
                let at = Pos { line: 1, column: 1 };
                Diagnostic::new("?", at, at, &code, &text)
            }
        };
        d.severity = severity;
        d.notes.extend(more);
        for child in m["children"].as_array().into_iter().flatten() {
            if let Some(note) = child["message"].as_str()
                && child["spans"].as_array().is_none_or(|s| s.is_empty())
            {
                d.notes.push(note.to_owned());
            }
        }
        if text.starts_with("shape mismatch") {
            d.lab = Some(crate::catalog::lab_for(&text));
            Some(Message::Shape(d))
        } else {
            Some(Message::Other(d, rendered))
        }
    }
}
