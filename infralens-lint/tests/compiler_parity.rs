//! The lint equals the compiler: every UI case (`ui-tests/tests/ui/**`, with the compiler's
//! output pinned beside it) and every lab exercise (`labs/*/errors/*.txt`) is linted, and
//! the lint's first finding must be the compiler's first error — on the same line, with
//! the same text. Where the compiler reports a plain type mismatch (E0308, "mismatched
//! types", which names no rule), the lint's finding must be on that line and be a shape
//! rule, which names the dims.
//!
//! A case the lint cannot follow carries a marker in [`NOT_FOLLOWED`], with the reason; the
//! test prints how many there are, and fails when a marked case starts to agree (so that a
//! marker never outlives its reason).
//!
//! Nothing is compiled here: the compiler's output is the pinned snapshots, which the UI
//! test and the labs test keep current.
//!
//! `cargo test -p infralens-lint --test compiler_parity -- --nocapture` prints the table.

use infralens_lint::diag::Diagnostic;
use infralens_lint::lint::lint_sources;
use infralens_lint::source::Source;
use std::path::{Path, PathBuf};

/// Cases the lint does not follow, and why: (path from the repository root, reason).
const NOT_FOLLOWED: &[(&str, &str)] = &[
    (
        "ui-tests/tests/ui/annotations/unclosed-bracket.rs",
        "a file that does not parse: the lint reports it on the same line, in words of its own (rustc's parser's are not the grammar's)",
    ),
    (
        "ui-tests/tests/ui/runtime/reshape-with-a-generic-dim.rs",
        "a reshape into an inferred `_`: the lint does not infer a type from its later use",
    ),
    (
        "ui-tests/tests/ui/shapes/generic-function-without-its-relation.rs",
        "a function generic over its dims: the lint does not check the bounds a generic body needs",
    ),
    (
        "ui-tests/tests/ui/shapes/where-relation-broken-at-the-call.rs",
        "a `where` relation of a generic function, broken at a call: the lint does not instantiate generics",
    ),
];

/// Rules stated as a trait that the compiler never shows first, and why.
const NEVER_FIRST: &[(&str, &str)] = &[(
    "cat-same-except",
    "rustc infers `cat`'s second operand from `SameExcept`'s one impl and reports the difference as E0308 at the argument",
)];

/// The compiler's first error in a pinned output: (code, message, line).
fn first_error(stderr: &str) -> Option<(String, String, usize)> {
    let mut lines = stderr.lines();
    let head = lines.find(|l| l.starts_with("error"))?;
    let (code, message) = match head.strip_prefix("error[") {
        Some(rest) => {
            let (code, message) = rest.split_once("]: ")?;
            (code.to_owned(), message.to_owned())
        }
        None => (String::new(), head.strip_prefix("error: ")?.to_owned()),
    };
    let at = lines.find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let line = at.rsplit(':').nth(1)?.parse().ok()?;
    Some((code, message, line))
}

/// Every case: (its path from the root, the source, the compiler's pinned output).
fn cases() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let mut out = Vec::new();
    let mut ui: Vec<PathBuf> = Vec::new();
    let ui_root = root.join("ui-tests/tests/ui");
    for topic in std::fs::read_dir(&ui_root).expect("ui cases") {
        let topic = topic.expect("entry").path();
        for case in std::fs::read_dir(&topic).expect("topic") {
            let case = case.expect("entry").path();
            if case.extension().is_some_and(|e| e == "rs") && case.with_extension("stderr").exists()
            {
                ui.push(case);
            }
        }
    }
    for lab in std::fs::read_dir(root.join("labs")).expect("labs") {
        let lab = lab.expect("entry").path();
        let Ok(exercises) = std::fs::read_dir(lab.join("exercises")) else {
            continue;
        };
        for ex in exercises {
            let ex = ex.expect("entry").path();
            let stem = ex.file_stem().expect("name").to_string_lossy().into_owned();
            let error = lab.join("errors").join(format!("{stem}.txt"));
            if error.exists() {
                ui.push(ex);
            }
        }
    }
    ui.sort();
    for case in ui {
        let pinned = if case.starts_with(&ui_root) {
            case.with_extension("stderr")
        } else {
            let stem = case
                .file_stem()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            case.parent()
                .and_then(Path::parent)
                .expect("lab")
                .join("errors")
                .join(format!("{stem}.txt"))
        };
        let rel = case
            .strip_prefix(&root)
            .expect("in the repository")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&case).expect("case");
        let pinned = std::fs::read_to_string(&pinned).expect("pinned output");
        out.push((rel, text, pinned));
    }
    out
}

/// The lint's first finding (by position) on `text`.
fn first_finding(name: &str, text: &str) -> Option<Diagnostic> {
    let mut found = lint_sources(vec![Source::new(name, text.to_owned())]).diagnostics;
    found.sort_by_key(|d| d.start);
    found.into_iter().next()
}

/// How the lint's first finding stands to the compiler's first error.
fn agrees(compiler: &(String, String, usize), lint: Option<&Diagnostic>) -> Result<(), String> {
    let (code, message, line) = compiler;
    let Some(d) = lint else {
        return Err("the lint finds nothing".to_owned());
    };
    if d.start.line != *line {
        return Err(format!(
            "the lint's first finding is on line {}, the compiler's on line {line}: {}",
            d.start.line, d.message
        ));
    }
    if d.message == *message {
        return Ok(());
    }
    // rustc's "mismatched types" names no rule: a shape finding on its line is the same
    // mistake, in words that name the dims.
    let shape_rule = infralens_core::rules::rule(&d.code).is_some();
    if code == "E0308" && shape_rule {
        return Ok(());
    }
    Err(format!("the lint says “{}”", d.message))
}

#[test]
fn the_lint_says_what_the_compiler_says() {
    let cases = cases();
    assert!(cases.len() > 100, "found {} cases", cases.len());
    let mut agree = 0;
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    let mut shapes = 0;
    for (path, text, pinned) in &cases {
        let Some(compiler) = first_error(pinned) else {
            failures.push(format!("{path}: no error in the pinned output"));
            continue;
        };
        if compiler.1.starts_with("shape mismatch") || compiler.0 == "E0308" {
            shapes += 1;
        }
        let lint = first_finding(path, text);
        let result = agrees(&compiler, lint.as_ref());
        let marker = NOT_FOLLOWED.iter().find(|(p, _)| p == path);
        match (result, marker) {
            (Ok(()), None) => agree += 1,
            (Ok(()), Some(_)) => stale.push(path.clone()),
            (Err(_), Some(_)) => {}
            (Err(why), None) => failures.push(format!(
                "{path}:{}: the compiler says “{}”; {why}",
                compiler.2, compiler.1
            )),
        }
    }
    println!(
        "lint = compiler on {agree} of {} cases ({} of them shape errors); {} marked as not followed:",
        cases.len(),
        shapes,
        NOT_FOLLOWED.len()
    );
    for (path, why) in NOT_FOLLOWED {
        println!("  {path}: {why}");
    }
    assert!(
        stale.is_empty(),
        "the lint now agrees on these marked cases: remove their markers: {stale:#?}"
    );
    assert!(
        failures.is_empty(),
        "{} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every shape rule the compiler checks with a trait is some pinned case's first error, in
/// its declared words: the declaration is what the compiler prints.
#[test]
fn every_trait_rule_is_what_the_compiler_prints() {
    let firsts: Vec<String> = cases()
        .iter()
        .filter_map(|(_, _, pinned)| first_error(pinned).map(|e| e.1))
        .collect();
    let missing: Vec<&str> = infralens_core::rules::RULES
        .iter()
        .filter(|r| r.relation.is_some())
        .filter(|r| !NEVER_FIRST.iter().any(|(id, _)| *id == r.id))
        .filter(|r| !firsts.iter().any(|m| r.matches(m)))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "no pinned compiler output shows these rules first: {missing:?}"
    );
}
