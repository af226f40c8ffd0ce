//! A cheap look at a file before syn parses it: nesting too deep for a recursive-descent
//! parser (which would overflow the stack and abort the process), and the lexer's problem
//! in words a reader can act on (syn's lexer says only "cannot parse string into token
//! stream").
//!
//! ```
//! use infralens_lint::prescan::{Problem, prescan};
//! assert_eq!(prescan("fn f() { let s = \"open; }"), Some(Problem::UnterminatedString { line: 1, column: 18 }));
//! assert_eq!(prescan("fn f() {}"), None);
//! let deep = format!("fn f() {}{}", "{".repeat(5000), "}".repeat(5000));
//! assert!(matches!(prescan(&deep), Some(Problem::TooDeep { .. })));
//! ```

/// Brackets nested deeper than this are refused (real code stays below a hundred).
pub const MAX_BRACKET_DEPTH: usize = 1000;

/// Prefix operators and closure bars (`!`, `-`, `*`, `&`, `|`) in one run between `;`, `,`
/// and braces beyond this are refused: each is a level of syn's expression recursion.
pub const MAX_OPERATOR_RUN: usize = 4000;

/// What the pre-scan found, with its 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Nesting past [`MAX_BRACKET_DEPTH`] or [`MAX_OPERATOR_RUN`].
    TooDeep {
        /// Where the limit was passed.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// A `/*` comment never closed.
    UnterminatedComment {
        /// Where it opens.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// A `"` string never closed.
    UnterminatedString {
        /// Where it opens.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// A character that is no Rust token, such as a backtick.
    StrayCharacter {
        /// The character.
        found: char,
        /// Where it is.
        line: usize,
        /// Its column.
        column: usize,
    },
}

impl Problem {
    /// What to tell the reader, and where.
    ///
    /// ```
    /// use infralens_lint::prescan::Problem;
    /// let p = Problem::StrayCharacter { found: '`', line: 3, column: 7 };
    /// assert_eq!(p.message(), "this file does not parse as Rust: the character '`' is not part of any Rust token");
    /// ```
    pub fn message(&self) -> String {
        match self {
            Problem::TooDeep { .. } => format!(
                "this file nests brackets or operators too deeply to analyse (more than {MAX_BRACKET_DEPTH} levels, or {MAX_OPERATOR_RUN} operators in a row): the lint skips it"
            ),
            Problem::UnterminatedComment { .. } => {
                "this file does not parse as Rust: a `/*` comment is never closed".to_owned()
            }
            Problem::UnterminatedString { .. } => {
                "this file does not parse as Rust: a string literal is never closed".to_owned()
            }
            Problem::StrayCharacter { found, .. } => format!(
                "this file does not parse as Rust: the character {found:?} is not part of any Rust token"
            ),
        }
    }

    /// The 1-based line and column.
    ///
    /// ```
    /// use infralens_lint::prescan::Problem;
    /// assert_eq!(Problem::TooDeep { line: 2, column: 5 }.position(), (2, 5));
    /// ```
    pub fn position(&self) -> (usize, usize) {
        match *self {
            Problem::TooDeep { line, column }
            | Problem::UnterminatedComment { line, column }
            | Problem::UnterminatedString { line, column }
            | Problem::StrayCharacter { line, column, .. } => (line, column),
        }
    }
}

/// Scans `text` once, in linear time and without allocating; `None` when nothing stands
/// in syn's way. Works on bytes (every character it looks for is ASCII); columns count
/// characters, as rustc's do.
pub fn prescan(text: &str) -> Option<Problem> {
    scan(text, |_| {})
}

/// Where `text` can be cut into top-level items that parse on their own: the byte ranges,
/// each starting on a line of its own, cut after a `}` or `;` that closes an item at the
/// top level when nothing but white space follows it on its line. `None` when
/// [`prescan`] finds a problem. A file too large to parse whole within the lint's memory
/// is parsed range by range.
///
/// ```
/// use infralens_lint::prescan::top_level_ranges;
/// let text = "use a::b;\nfn f() {\n    let s = \"}\";\n}\nstruct S { x: u8 } // c\nfn g() {}\n";
/// let ranges = top_level_ranges(text).unwrap();
/// let parts: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
/// assert_eq!(parts, ["use a::b;\n", "fn f() {\n    let s = \"}\";\n}\n", "struct S { x: u8 } // c\nfn g() {}\n"]);
/// ```
pub fn top_level_ranges(text: &str) -> Option<Vec<std::ops::Range<usize>>> {
    let bytes = text.as_bytes();
    let mut cuts = vec![0];
    let problem = scan(text, |end| {
        // After the item's last byte: only spaces or tabs, then the line's end.
        let rest = &bytes[end..];
        let blank = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t' || b == b'\r')
            .count();
        if rest.get(blank) == Some(&b'\n') {
            cuts.push(end + blank + 1);
        }
    });
    if problem.is_some() {
        return None;
    }
    if cuts.last() != Some(&text.len()) {
        cuts.push(text.len());
    }
    Some(cuts.windows(2).map(|w| w[0]..w[1]).collect())
}

/// [`prescan`]'s one pass, calling `top_level_end` with the byte just past each `}` or `;`
/// that brings the bracket depth back to zero.
fn scan(text: &str, mut top_level_end: impl FnMut(usize)) -> Option<Problem> {
    let bytes = text.as_bytes();
    let mut at = Cursor {
        i: 0,
        line: 1,
        column: 1,
    };
    let mut depth = 0usize;
    let mut run = 0usize;
    while let Some(&c) = bytes.get(at.i) {
        let next = bytes.get(at.i + 1).copied();
        match c {
            b'/' if next == Some(b'/') => {
                while bytes.get(at.i).is_some_and(|&b| b != b'\n') {
                    at.step(bytes, 1);
                }
                continue;
            }
            b'/' if next == Some(b'*') => {
                let (line, column) = (at.line, at.column);
                let mut open = 0usize;
                loop {
                    match (bytes.get(at.i), bytes.get(at.i + 1)) {
                        (Some(b'/'), Some(b'*')) => {
                            open += 1;
                            at.step(bytes, 2);
                        }
                        (Some(b'*'), Some(b'/')) => {
                            open -= 1;
                            at.step(bytes, 2);
                            if open == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => at.step(bytes, 1),
                        (None, _) => return Some(Problem::UnterminatedComment { line, column }),
                    }
                }
                continue;
            }
            b'"' => {
                let (line, column) = (at.line, at.column);
                // A raw string `r#"…"#`: the hashes before the quote close it too.
                let hashes = bytes[..at.i]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b'#')
                    .count();
                let raw = at.i > hashes && bytes[at.i - hashes - 1] == b'r';
                at.step(bytes, 1);
                loop {
                    match bytes.get(at.i) {
                        None => return Some(Problem::UnterminatedString { line, column }),
                        Some(b'\\') if !raw => at.step(bytes, 2),
                        Some(b'"') if !raw => {
                            at.step(bytes, 1);
                            break;
                        }
                        Some(b'"') if (1..=hashes).all(|h| bytes.get(at.i + h) == Some(&b'#')) => {
                            at.step(bytes, 1 + hashes);
                            break;
                        }
                        Some(_) => at.step(bytes, 1),
                    }
                }
                run = 0;
                continue;
            }
            b'\'' => {
                // A char literal `'x'`, `'é'`, `'\n'`, `'\u{1F600}'`; otherwise a lifetime.
                let width = next.map_or(1, utf8_width);
                let end = if next == Some(b'\\') {
                    (at.i + 2..bytes.len().min(at.i + 12)).find(|&k| bytes[k] == b'\'')
                } else if bytes.get(at.i + 1 + width) == Some(&b'\'') {
                    Some(at.i + 1 + width)
                } else {
                    None
                };
                at.step(bytes, end.map_or(1, |e| e + 1 - at.i));
                run = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if c == b'{' {
                    run = 0;
                }
                if depth > MAX_BRACKET_DEPTH {
                    return Some(Problem::TooDeep {
                        line: at.line,
                        column: at.column,
                    });
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if c == b'}' {
                    run = 0;
                    if depth == 0 {
                        top_level_end(at.i + 1);
                    }
                }
            }
            b';' | b',' => {
                run = 0;
                if c == b';' && depth == 0 {
                    top_level_end(at.i + 1);
                }
            }
            b'!' | b'-' | b'*' | b'&' | b'|' => {
                run += 1;
                if run > MAX_OPERATOR_RUN {
                    return Some(Problem::TooDeep {
                        line: at.line,
                        column: at.column,
                    });
                }
            }
            b'`' | b'\\' | 0 => {
                return Some(Problem::StrayCharacter {
                    found: char::from(c),
                    line: at.line,
                    column: at.column,
                });
            }
            _ => {}
        }
        at.step(bytes, 1);
    }
    None
}

/// A position in the text: byte index, and the 1-based line and character column.
struct Cursor {
    i: usize,
    line: usize,
    column: usize,
}

impl Cursor {
    /// Moves over `n` bytes (at most to the end), counting lines and characters.
    fn step(&mut self, bytes: &[u8], n: usize) {
        let end = (self.i + n).min(bytes.len());
        for &b in &bytes[self.i..end] {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                self.column += 1;
            }
        }
        // Past the end by one at most, so that `bytes.get(i)` ends every loop.
        self.i = if self.i + n > bytes.len() {
            bytes.len()
        } else {
            self.i + n
        };
    }
}

/// The length in bytes of the UTF-8 character that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classes of the reliability issue: each now has its own finding.
    #[test]
    fn deep_nesting_and_lexer_problems_are_named() {
        let deep = |open: &str, close: &str| {
            format!(
                "fn f() {{ let x = {}0{}; }}",
                open.repeat(60_000),
                close.repeat(60_000)
            )
        };
        for (open, close) in [("{", "}"), ("[", "]"), ("(", ")")] {
            assert!(matches!(
                prescan(&deep(open, close)),
                Some(Problem::TooDeep { line: 1, .. })
            ));
        }
        for prefix in ["!", "-", "|x| "] {
            let text = format!("fn f() {{ let x = {}0; }}", prefix.repeat(200_000));
            assert!(
                matches!(prescan(&text), Some(Problem::TooDeep { .. })),
                "{prefix}"
            );
        }
        assert_eq!(
            prescan("fn f() {}\n/* open"),
            Some(Problem::UnterminatedComment { line: 2, column: 1 })
        );
        // Columns count characters, not bytes.
        assert_eq!(
            prescan("fn é() { `x` }"),
            Some(Problem::StrayCharacter {
                found: '`',
                line: 1,
                column: 10
            })
        );
        assert_eq!(
            prescan("fn f() { `x` }"),
            Some(Problem::StrayCharacter {
                found: '`',
                line: 1,
                column: 10
            })
        );
        // Valid code with every literal form stays clean.
        let ok = r####"
fn f<'a>(x: &'a str) -> char { let _ = r#"a "quoted" }"#; let _ = "\" { ("; let _ = '\''; let _ = b'{'; let _ = 'é'; let _ = "naïve {"; /* a /* nested */ comment */ '{' }
"####;
        assert_eq!(prescan(ok), None);
    }
}
