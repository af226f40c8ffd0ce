//! `infralens check`: `cargo check --message-format=json`, with InfraLens shape errors
//! rendered by InfraLens and every other message passed through.

use crate::diag::{Diagnostic, Excerpt, Pos, Severity};

/// A compiler message, turned into a diagnostic when it is an InfraLens shape error.
///
/// ```
/// use infralens_cli::check::Message;
/// let line = r#"{"reason":"compiler-message","package_id":"path+file:///w/app#0.1.0","manifest_path":"/w/app/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"app","src_path":"/w/app/src/lib.rs","edition":"2024","doc":true,"doctest":true,"test":true},"message":{"$message_type":"diagnostic","message":"shape mismatch: x","code":{"code":"E0277","explanation":null},"level":"error","spans":[],"children":[],"rendered":"error: shape mismatch: x\n"}}"#;
/// let Some(Message::Shape(d)) = Message::parse(line) else { panic!() };
/// assert_eq!(d.code, "E0277");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// An InfraLens shape error (its message starts with `shape mismatch`, or is another of
    /// the rules' messages).
    Shape(Diagnostic),
    /// Any other compiler error or warning: the diagnostic, and rustc's own rendering.
    Other(Diagnostic, String),
}

impl Message {
    /// Reads one line of `cargo --message-format=json` (through `cargo_metadata`'s types);
    /// `None` for lines that are not compiler errors or warnings (artifacts, build-script
    /// output, notes) or not cargo's JSON at all.
    ///
    /// ```
    /// use infralens_cli::check::Message;
    /// assert!(Message::parse(r#"{"reason":"build-finished","success":true}"#).is_none());
    /// assert!(Message::parse("not json").is_none());
    /// ```
    pub fn parse(line: &str) -> Option<Message> {
        match serde_json::from_str::<cargo_metadata::Message>(line).ok()? {
            cargo_metadata::Message::CompilerMessage(m) => Message::from_diagnostic(&m.message),
            _ => None,
        }
    }

    /// The message for one of rustc's diagnostics; `None` for levels other than errors and
    /// warnings.
    ///
    /// ```
    /// use cargo_metadata::diagnostic::Diagnostic;
    /// use infralens_cli::check::Message;
    /// // a message of several lines is its first line, the rest a note
    /// let rustc = r#"{"message":"unused\nsecond line","code":null,"level":"warning","spans":[],"children":[],"rendered":null}"#;
    /// let d: Diagnostic = serde_json::from_str(rustc)?;
    /// let Some(Message::Other(d, _)) = Message::from_diagnostic(&d) else { panic!() };
    /// assert_eq!((d.message.as_str(), d.notes.as_slice()), ("unused", &["second line".to_owned()][..]));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_diagnostic(m: &cargo_metadata::diagnostic::Diagnostic) -> Option<Message> {
        use cargo_metadata::diagnostic::DiagnosticLevel;
        let severity = match m.level {
            DiagnosticLevel::Error => Severity::Error,
            DiagnosticLevel::Warning => Severity::Warning,
            _ => return None,
        };
        // A message is one line: rustc's later lines (some notes have them) become a note.
        let (text, more) = match m.message.split_once('\n') {
            Some((first, rest)) => (first.to_owned(), Some(rest.trim_end().to_owned())),
            None => (m.message.clone(), None),
        };
        let code = m
            .code
            .as_ref()
            .map_or_else(|| "rustc".to_owned(), |c| c.code.clone());
        let rendered = m.rendered.clone().unwrap_or_default();
        let primary = m.spans.iter().find(|s| s.is_primary).or(m.spans.first());
        let mut d = match primary {
            Some(s) => {
                let mut d = Diagnostic::new(
                    &s.file_name,
                    Pos {
                        line: s.line_start,
                        column: s.column_start,
                    },
                    Pos {
                        line: s.line_end,
                        column: s.column_end,
                    },
                    &code,
                    &text,
                );
                d.label.clone_from(&s.label);
                if !s.text.is_empty() {
                    d.excerpt = Some(Excerpt::new(
                        d.start.line,
                        s.text.iter().map(|l| format!("{}\n", l.text)).collect(),
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
        for child in &m.children {
            if child.spans.is_empty() {
                d.notes.push(child.message.clone());
            }
        }
        // A shape rule's message: "shape mismatch: …", or one of the usage rules
        // (`static-shape`, `shape-on-non-tensor`).
        let stated = crate::rules::RULES
            .iter()
            .any(|r| r.shape.is_some_and(|s| s.matches(&text)));
        if text.starts_with("shape mismatch") || stated {
            d.lab = Some(crate::catalog::lab_for(&text));
            Some(Message::Shape(d))
        } else {
            Some(Message::Other(d, rendered))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Message;

    /// A line `cargo check --message-format=json` wrote (rustc 1.95) for a weight stored the
    /// wrong way round: read whole, as a shape error with its place, label and notes.
    #[test]
    fn a_real_cargo_line_is_a_shape_error() {
        let line = include_str!("../tests/fixtures/cargo-shape-error.json");
        let Some(Message::Shape(d)) = Message::parse(line.trim_end()) else {
            panic!("not a shape error: {line}");
        };
        assert_eq!(d.code, "E0277");
        assert!(
            d.message
                .starts_with("shape mismatch: matmul contracts `D` with `H`")
        );
        assert_eq!((d.file.as_str(), d.start.line), ("src/lib.rs", 4));
        assert!(d.excerpt.is_some() && d.label.is_some(), "{d:?}");
        assert!(!d.notes.is_empty());
        // `matmul-contraction` is taught in Lab 01 (one projection).
        assert_eq!(d.lab.as_deref(), Some("01"));
    }
}
