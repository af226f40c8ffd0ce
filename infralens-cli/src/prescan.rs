//! A cheap look at a file before syn parses it: nesting too deep for a recursive-descent
//! parser (which would overflow the stack and abort the process), and the lexer's problem
//! in words a reader can act on (syn's lexer says only "cannot parse string into token
//! stream").
//!
//! ```
//! use infralens_cli::prescan::{Problem, prescan};
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
    /// use infralens_cli::prescan::Problem;
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
    /// use infralens_cli::prescan::Problem;
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

/// Scans `text` once, in linear time; `None` when nothing stands in syn's way.
pub fn prescan(text: &str) -> Option<Problem> {
    let chars: Vec<char> = text.chars().collect();
    let (mut line, mut column) = (1, 1);
    let mut depth = 0usize;
    let mut run = 0usize;
    let mut i = 0;
    // Advances over `n` characters, keeping line and column.
    let step = |i: &mut usize, n: usize, line: &mut usize, column: &mut usize| {
        for _ in 0..n {
            if chars.get(*i) == Some(&'\n') {
                *line += 1;
                *column = 1;
            } else {
                *column += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    step(&mut i, 1, &mut line, &mut column);
                }
                continue;
            }
            '/' if next == Some('*') => {
                let at = (line, column);
                let mut open = 0usize;
                loop {
                    match (chars.get(i), chars.get(i + 1)) {
                        (Some('/'), Some('*')) => {
                            open += 1;
                            step(&mut i, 2, &mut line, &mut column);
                        }
                        (Some('*'), Some('/')) => {
                            open -= 1;
                            step(&mut i, 2, &mut line, &mut column);
                            if open == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => step(&mut i, 1, &mut line, &mut column),
                        (None, _) => {
                            return Some(Problem::UnterminatedComment {
                                line: at.0,
                                column: at.1,
                            });
                        }
                    }
                }
                continue;
            }
            '"' => {
                let at = (line, column);
                // A raw string `r#"…"#`: the hashes before the quote close it too.
                let mut hashes = 0;
                while i > hashes && chars[i - hashes - 1] == '#' {
                    hashes += 1;
                }
                let raw = i > hashes && chars[i - hashes - 1] == 'r';
                step(&mut i, 1, &mut line, &mut column);
                loop {
                    match chars.get(i) {
                        None => {
                            return Some(Problem::UnterminatedString {
                                line: at.0,
                                column: at.1,
                            });
                        }
                        Some('\\') if !raw => step(&mut i, 2, &mut line, &mut column),
                        Some('"')
                            if (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) || !raw =>
                        {
                            step(
                                &mut i,
                                1 + if raw { hashes } else { 0 },
                                &mut line,
                                &mut column,
                            );
                            break;
                        }
                        Some(_) => step(&mut i, 1, &mut line, &mut column),
                    }
                }
                run = 0;
                continue;
            }
            '\'' => {
                // A char literal `'x'`, `'\n'`, `'\u{1F600}'`; otherwise a lifetime.
                let end = if next == Some('\\') {
                    (i + 2..chars.len().min(i + 12)).find(|&k| chars[k] == '\'')
                } else if chars.get(i + 2) == Some(&'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                let n = end.map_or(1, |e| e + 1 - i);
                step(&mut i, n, &mut line, &mut column);
                run = 0;
                continue;
            }
            '(' | '[' | '{' => {
                depth += 1;
                if c == '{' {
                    run = 0;
                }
                if depth > MAX_BRACKET_DEPTH {
                    return Some(Problem::TooDeep { line, column });
                }
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                if c == '}' {
                    run = 0;
                }
            }
            ';' | ',' => run = 0,
            '!' | '-' | '*' | '&' | '|' => {
                run += 1;
                if run > MAX_OPERATOR_RUN {
                    return Some(Problem::TooDeep { line, column });
                }
            }
            '`' | '\\' | '\u{0}' => {
                return Some(Problem::StrayCharacter {
                    found: c,
                    line,
                    column,
                });
            }
            _ => {}
        }
        step(&mut i, 1, &mut line, &mut column);
    }
    None
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
fn f<'a>(x: &'a str) -> char { let _ = r#"a "quoted" }"#; let _ = "\" { ("; let _ = '\''; let _ = b'{'; /* a /* nested */ comment */ '{' }
"####;
        assert_eq!(prescan(ok), None);
    }
}
