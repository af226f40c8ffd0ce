//! `infralens lint --fix`: the findings' mechanical fixes, applied to the files.

use crate::diag::{Diagnostic, Edit};
use crate::source::Source;
use std::collections::BTreeMap;

/// `text` with `edits` made. Edits are applied from the last to the first; one that
/// overlaps an edit already made is left out. Returns the new text and the number of edits
/// made.
///
/// ```
/// use infralens_lint::{diag::{Edit, Pos}, fix::apply};
/// let at = |column| Pos { line: 1, column };
/// let edits = [Edit { start: at(10), end: at(11), replacement: "&w.t()".into() }];
/// assert_eq!(apply("x.matmul(w)", &edits), ("x.matmul(&w.t())".to_owned(), 1));
/// ```
pub fn apply(text: &str, edits: &[Edit]) -> (String, usize) {
    // A byte-order mark is not a column of line 1: the positions were counted without it.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        let (fixed, made) = apply(rest, edits);
        return (format!("\u{feff}{fixed}"), made);
    }
    let src = Source::new("", text.to_owned());
    let mut ranges: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let (a, b) = (src.offset(e.start), src.offset(e.end));
            (a, b.max(a), e.replacement.as_str())
        })
        .collect();
    ranges.sort_by_key(|&(a, b, _)| std::cmp::Reverse((a, b)));
    let mut out = text.to_owned();
    let mut made = 0;
    let mut limit = usize::MAX;
    for (a, b, replacement) in ranges {
        if b > limit || !out.is_char_boundary(a) || !out.is_char_boundary(b) {
            continue;
        }
        out.replace_range(a..b, replacement);
        limit = a;
        made += 1;
    }
    (out, made)
}

/// The first fix of each finding, grouped by file: what one round of `--fix` makes.
///
/// ```
/// use infralens_lint::diag::{Diagnostic, Pos};
/// let at = Pos { line: 1, column: 1 };
/// assert!(infralens_lint::fix::by_file(&[Diagnostic::new("a.rs", at, at, "dims", "m")]).is_empty());
/// ```
pub fn by_file(diagnostics: &[Diagnostic]) -> BTreeMap<String, Vec<Edit>> {
    let mut files: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for d in diagnostics {
        if let Some(fix) = d.fixes.first() {
            files
                .entry(d.file.clone())
                .or_default()
                .extend(fix.edits.iter().cloned());
        }
    }
    files
}
