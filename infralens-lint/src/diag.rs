//! Diagnostics: what `lint` and `check` find, located in a file, ready to render.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// How bad a finding is.
///
/// ```
/// use infralens_lint::diag::Severity;
/// assert_eq!(Severity::Error.as_str(), "error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The code is wrong: it would not compile, or would compute the wrong shape.
    Error,
    /// Worth a look (compiler warnings passed through by `check`).
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`, as in rustc and SARIF.
    ///
    /// ```
    /// use infralens_lint::diag::Severity;
    /// assert_eq!(Severity::Warning.as_str(), "warning");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A position in a file: line and column, both counted from 1, the column in characters.
///
/// ```
/// use infralens_lint::diag::Pos;
/// let p = Pos { line: 3, column: 9 };
/// assert_eq!(p.to_string(), "3:9");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The source lines a diagnostic points into, for the rustc-style snippet. It shares the
/// file's text instead of copying its lines, so that a finding costs the same memory on a
/// 150 KB line as on a short one.
///
/// ```
/// use infralens_lint::diag::Excerpt;
/// let e = Excerpt::new(10, "let q = x;\n".into());
/// assert_eq!((e.first_line, e.text()), (10, "let q = x;\n"));
/// ```
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// The number of the excerpt's first line.
    pub first_line: usize,
    source: Arc<str>,
    /// The number of `source`'s first line.
    source_line: usize,
    range: Range<usize>,
}

impl Excerpt {
    /// An excerpt of its own text: whole lines, the first numbered `first_line`.
    ///
    /// ```
    /// let e = infralens_lint::diag::Excerpt::new(3, "a\nb\n".into());
    /// assert_eq!(e.text().lines().count(), 2);
    /// ```
    pub fn new(first_line: usize, text: String) -> Self {
        let range = 0..text.len();
        Excerpt {
            first_line,
            source: text.into(),
            source_line: first_line,
            range,
        }
    }

    /// Lines `range` (a byte range on line boundaries) of a shared file text (the whole
    /// file).
    pub(crate) fn shared(first_line: usize, source: &Arc<str>, range: Range<usize>) -> Self {
        Excerpt {
            first_line,
            source: Arc::clone(source),
            source_line: 1,
            range,
        }
    }

    /// Lines `first..=last` of the same text, when it has them (a file's shared text has
    /// every line): where a fix elsewhere in the file is shown.
    pub(crate) fn lines(&self, first: usize, last: usize) -> Option<Excerpt> {
        if first < self.source_line || last < first {
            return None;
        }
        let (mut line, mut at, mut start) = (self.source_line, 0, None);
        for l in self.source.split_inclusive('\n') {
            if line == first {
                start = Some(at);
            }
            at += l.len();
            if line == last {
                return start.map(|start| Excerpt {
                    first_line: first,
                    source: Arc::clone(&self.source),
                    source_line: self.source_line,
                    range: start..at,
                });
            }
            line += 1;
        }
        None
    }

    /// Whole lines of the file, from `first_line` to the diagnostic's last line.
    ///
    /// ```
    /// assert_eq!(infralens_lint::diag::Excerpt::new(1, "x\n".into()).text(), "x\n");
    /// ```
    pub fn text(&self) -> &str {
        self.source.get(self.range.clone()).unwrap_or("")
    }
}

impl PartialEq for Excerpt {
    fn eq(&self, other: &Self) -> bool {
        self.first_line == other.first_line
            && ((Arc::ptr_eq(&self.source, &other.source) && self.range == other.range)
                || self.text() == other.text())
    }
}

impl Eq for Excerpt {}

/// One finding, located in a file.
///
/// ```
/// use infralens_lint::diag::{Diagnostic, Pos, Severity};
/// let d = Diagnostic::new("src/lib.rs", Pos { line: 1, column: 1 }, Pos { line: 1, column: 4 }, "unknown-dim", "unknown dim `T`");
/// assert_eq!(d.severity, Severity::Error);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given on the command line or relative to the current directory.
    pub file: String,
    /// Where the span starts.
    pub start: Pos,
    /// Where it ends (exclusive column).
    pub end: Pos,
    /// Error or warning.
    pub severity: Severity,
    /// The rule: `parse-error`, `annotation`, `dims`, `unknown-dim`, `shape-mismatch`, or a
    /// rustc code such as `E0308` for messages `check` passes through.
    pub code: String,
    /// The message, one line, naming the dims.
    pub message: String,
    /// A label under the carets.
    pub label: Option<String>,
    /// `note:` lines.
    pub notes: Vec<String>,
    /// The lab that teaches this mistake, such as `02`.
    pub lab: Option<String>,
    /// The source lines, when known.
    pub excerpt: Option<Excerpt>,
    /// Mechanical fixes: what `infralens lint --fix` applies.
    pub fixes: Vec<Fix>,
}

/// A replacement of the text from `start` to `end` (exclusive column) in the diagnostic's
/// file.
///
/// ```
/// use infralens_lint::diag::{Edit, Pos};
/// let e = Edit { start: Pos { line: 3, column: 14 }, end: Pos { line: 3, column: 15 }, replacement: "&w.t()".into() };
/// assert_eq!(e.replacement, "&w.t()");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Where the replaced text starts.
    pub start: Pos,
    /// Where it ends (exclusive column).
    pub end: Pos,
    /// The new text.
    pub replacement: String,
}

/// A mechanical fix for a finding: what it does, and its edits.
///
/// ```
/// use infralens_lint::diag::Fix;
/// let f = Fix { message: "read the weight transposed".into(), edits: Vec::new() };
/// assert!(f.edits.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, one line: "read the weight transposed: `&w.t()`".
    pub message: String,
    /// The replacements, in the diagnostic's file.
    pub edits: Vec<Edit>,
}

impl Diagnostic {
    /// An error with no label, notes, lab or excerpt.
    ///
    /// ```
    /// use infralens_lint::diag::{Diagnostic, Pos};
    /// let at = Pos { line: 2, column: 5 };
    /// let d = Diagnostic::new("a.rs", at, at, "dims", "`B` has size 0");
    /// assert_eq!(d.code, "dims");
    /// ```
    pub fn new(file: &str, start: Pos, end: Pos, code: &str, message: &str) -> Self {
        Diagnostic {
            file: file.to_owned(),
            start,
            end,
            severity: Severity::Error,
            code: code.to_owned(),
            message: message.to_owned(),
            label: None,
            notes: Vec::new(),
            lab: None,
            excerpt: None,
            fixes: Vec::new(),
        }
    }
}
