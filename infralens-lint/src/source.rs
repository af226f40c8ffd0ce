//! A source file in memory, and the translation of `proc_macro2` spans into positions.

use crate::diag::{Diagnostic, Excerpt, Pos};
use proc_macro2::Span;
use std::sync::Arc;

/// A file's text with the byte offset of each line, to locate spans and cut excerpts.
///
/// ```
/// use infralens_lint::source::Source;
/// let src = Source::new("a.rs", "fn f() {}\nfn g() {}\n".into());
/// assert_eq!(src.line(2), Some("fn g() {}"));
/// ```
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as reported.
    pub name: String,
    /// The text (shared with the excerpts of the findings in it).
    pub text: Arc<str>,
    /// The file's bytes were not UTF-8: `text` is empty and the lint reports it.
    pub not_utf8: bool,
    line_starts: Arc<[usize]>,
    /// Lines before the part of the file whose spans this value reads: a file too large to
    /// parse whole is parsed one range of items at a time, each range's spans counting
    /// lines from its own start (see [`Source::part`]).
    line_offset: usize,
}

impl Source {
    /// Indexes `text`.
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// assert_eq!(Source::new("a.rs", String::new()).line(1), Some(""));
    /// ```
    pub fn new(name: &str, text: String) -> Self {
        // A byte-order mark is not part of the code: `syn` parses without it, so every
        // position (and every fix) counts from after it.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            name: name.to_owned(),
            text: text.into(),
            not_utf8: false,
            line_starts: line_starts.into(),
            line_offset: 0,
        }
    }

    /// The same file, for the spans of the part of it that starts at byte `start` (on a
    /// line's start) and was parsed on its own: their lines count from that part's first
    /// line. Shares the text and its index.
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// let src = Source::new("a.rs", "fn f() {}\nfn g() {}\n".into());
    /// let part = src.part(10);
    /// let file = syn::parse_file(&src.text[10..])?;
    /// let syn::Item::Fn(g) = &file.items[0] else { unreachable!() };
    /// assert_eq!(part.positions(g.sig.ident.span()).0.line, 2);
    /// assert_eq!(part.text_of(g.sig.ident.span()), "g");
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn part(&self, start: usize) -> Source {
        let mut part = self.clone();
        part.line_offset = self.line_starts.partition_point(|&s| s <= start) - 1;
        part
    }

    /// A file whose bytes are not UTF-8: reported as such, never parsed.
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// assert!(Source::not_utf8("a.rs").not_utf8);
    /// ```
    pub fn not_utf8(name: &str) -> Self {
        let mut src = Source::new(name, String::new());
        src.not_utf8 = true;
        src
    }

    /// A file as read: its text when the bytes are UTF-8, else [`Source::not_utf8`].
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// assert_eq!(&*Source::from_bytes("a.rs", b"fn f() {}".to_vec()).text, "fn f() {}");
    /// assert!(Source::from_bytes("a.rs", vec![0xff, 0xfe]).not_utf8);
    /// ```
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Source::new(name, text),
            Err(_) => Source::not_utf8(name),
        }
    }

    /// Line `n` (from 1) without its line break.
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// let src = Source::new("a.rs", "x\r\ny".into());
    /// assert_eq!((src.line(1), src.line(2), src.line(3)), (Some("x"), Some("y"), None));
    /// ```
    pub fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(n)
            .map_or(self.text.len(), |&next| next - 1);
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// The byte offset of a position (1-based line and character column), clamped to the
    /// file.
    ///
    /// ```
    /// use infralens_lint::{diag::Pos, source::Source};
    /// let src = Source::new("a.rs", "é = 1;\nx".into());
    /// assert_eq!(src.offset(Pos { line: 1, column: 2 }), 2);
    /// assert_eq!(src.offset(Pos { line: 2, column: 1 }), 8);
    /// ```
    pub fn offset(&self, pos: Pos) -> usize {
        let Some(&start) = self.line_starts.get(pos.line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line = self.line(pos.line).unwrap_or("");
        start
            + line
                .char_indices()
                .nth(pos.column.saturating_sub(1))
                .map_or(line.len(), |(i, _)| i)
    }

    /// A diagnostic at `span` (a span of this file, parsed in this thread).
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// let src = Source::new("a.rs", "fn f() {}".into());
    /// let file = syn::parse_file(&src.text)?;
    /// let syn::Item::Fn(f) = &file.items[0] else { unreachable!() };
    /// let d = src.diagnostic(f.sig.ident.span(), "annotation", "here");
    /// assert_eq!((d.start.column, d.end.column), (4, 5));
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn diagnostic(&self, span: Span, code: &str, message: &str) -> Diagnostic {
        let (start, end) = self.positions(span);
        let mut d = Diagnostic::new(&self.name, start, end, code, message);
        d.excerpt = Some(self.excerpt(start, end));
        d
    }

    /// Whole lines `start.line..=end.line`.
    ///
    /// ```
    /// use infralens_lint::{diag::Pos, source::Source};
    /// let src = Source::new("a.rs", "a\nb\nc\n".into());
    /// let e = src.excerpt(Pos { line: 2, column: 1 }, Pos { line: 3, column: 2 });
    /// assert_eq!((e.first_line, e.text()), (2, "b\nc\n"));
    /// ```
    pub fn excerpt(&self, start: Pos, end: Pos) -> Excerpt {
        let first = start.line.max(1);
        let last = end.line.max(first);
        let at = |n: usize| self.line_starts.get(n - 1).copied();
        match at(first) {
            // To the end of line `last`, its line break included (or the end of the file);
            // `annotate-snippets` reads `\r\n` and a last line without a break alike.
            Some(from) => {
                let to = at(last + 1).unwrap_or(self.text.len());
                Excerpt::shared(first, &self.text, from..to)
            }
            None => Excerpt::new(first, String::new()),
        }
    }

    /// The positions a span covers (1-based lines and columns, the end exclusive).
    ///
    /// ```
    /// use infralens_lint::{diag::Pos, source::Source};
    /// let src = Source::new("a.rs", "let q = x;".into());
    /// let e: syn::Expr = syn::parse_str("x")?;
    /// let (start, _) = src.positions(syn::spanned::Spanned::span(&e));
    /// assert_eq!(start, Pos { line: 1, column: 1 });
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn positions(&self, span: Span) -> (Pos, Pos) {
        let (mut start, mut end) = span_pos(span);
        start.line += self.line_offset;
        end.line += self.line_offset;
        (start, end)
    }

    /// The text a span covers (empty when it is out of range).
    ///
    /// ```
    /// use infralens_lint::source::Source;
    /// let src = Source::new("a.rs", "let q = x.matmul(w);".into());
    /// let stmt: syn::Stmt = syn::parse_str(&src.text)?;
    /// let syn::Stmt::Local(l) = &stmt else { unreachable!() };
    /// let init = &l.init.as_ref().unwrap().expr;
    /// assert_eq!(src.text_of(syn::spanned::Spanned::span(init)), "x.matmul(w)");
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn text_of(&self, span: Span) -> &str {
        let (start, end) = self.positions(span);
        let (a, b) = (self.offset(start), self.offset(end));
        self.text.get(a..b.max(a)).unwrap_or("")
    }
}

/// The start and end positions of a span (1-based lines and columns).
fn span_pos(span: Span) -> (Pos, Pos) {
    let (s, e) = (span.start(), span.end());
    (
        Pos {
            line: s.line,
            column: s.column + 1,
        },
        Pos {
            line: e.line,
            column: e.column + 1,
        },
    )
}

/// What a file held when it was read, in 16 bytes: its length and a 64-bit hash of its
/// bytes. Two reads of a file that give equal fingerprints held the same bytes (short of a
/// collision made on purpose).
///
/// ```
/// use infralens_lint::source::Fingerprint;
/// assert_eq!(Fingerprint::of(b"fn f() {}"), Fingerprint::of(b"fn f() {}"));
/// assert_ne!(Fingerprint::of(b"fn f() {}"), Fingerprint::of(b"fn g() {}"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use std::hash::{DefaultHasher, Hasher};
        let mut h = DefaultHasher::new();
        h.write(bytes);
        Fingerprint {
            len: bytes.len(),
            hash: h.finish(),
        }
    }
}
