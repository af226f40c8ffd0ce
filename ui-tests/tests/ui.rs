//! The compile errors a learner reads, pinned with trybuild: one mistake per file under
//! `tests/ui/<topic>/<the-mistake>.rs`, its error in the `.stderr` beside it.
//!
//! The text of rustc's errors changes between compiler releases, so the snapshots are
//! kept for one compiler (see `PINNED`); on another the test prints why it skips.
//! Regenerate with `TRYBUILD=overwrite cargo test -p infralens-ui-tests`, then read every changed
//! `.stderr` as a learner would.

use std::process::Command;

/// The compiler the snapshots were made with.
const PINNED: &str = "rustc 1.95.";

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    Command::new(rustc)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|err| format!("an unknown rustc ({err})"))
}

/// `Some(why)` when the snapshots cannot be compared on this compiler.
fn skip_reason() -> Option<String> {
    let version = rustc_version();
    (!version.starts_with(PINNED)).then(|| {
        format!(
            "skipping the UI tests: their snapshots are pinned to {PINNED}x, this is {version}. \
             Run them on that compiler, or regenerate with TRYBUILD=overwrite and review every .stderr."
        )
    })
}

fn topic(name: &str) {
    if let Some(why) = skip_reason() {
        eprintln!("{why}");
        return;
    }
    trybuild::TestCases::new().compile_fail(format!("tests/ui/{name}/*.rs"));
}

/// One test per topic, so that `cargo test` reports them one by one as they pass (trybuild
/// runs them one after another: they share one build directory and its lock), and
/// `TOPICS`, their names.
macro_rules! topics {
    ($($name:ident)*) => {
        const TOPICS: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                topic(stringify!($name));
            }
        )*
    };
}

topics!(annotations attention decoder dims gqa heads kinds mask matmul reshape runtime shapes sums transpose);

/// Every folder under `tests/ui` is a topic with its test above: none is skipped unseen.
#[test]
fn every_topic_folder_has_its_test() {
    let mut folders: Vec<String> = std::fs::read_dir("tests/ui")
        .expect("tests/ui exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    folders.sort();
    assert_eq!(folders, TOPICS, "add the new topic to `topics!`");
}

/// Every pinned error reads in the learner's words: no type-level internals.
#[test]
fn snapshots_show_no_typenum_internals() {
    let mut checked = 0;
    let topics = std::fs::read_dir("tests/ui")
        .expect("tests/ui exists")
        .chain(std::fs::read_dir("tests/ui-candle").expect("tests/ui-candle exists"));
    for topic in topics {
        let topic = topic.expect("readable entry").path();
        for file in std::fs::read_dir(&topic).expect("readable topic") {
            let path = file.expect("readable entry").path();
            if path.extension().is_some_and(|e| e == "stderr") {
                let text = std::fs::read_to_string(&path).expect("readable snapshot");
                for word in [
                    "UInt",
                    "UTerm",
                    "B0",
                    "B1",
                    "typenum",
                    "PhantomData",
                    "panicked",
                ] {
                    assert!(!text.contains(word), "{} shows `{word}`", path.display());
                }
                let first = text.lines().next().unwrap_or_default();
                assert!(
                    first.contains("shape mismatch")
                        || first.contains("mask mismatch")
                        || first.contains("mismatched types")
                        // a compile-time constructor called for a shape with a run-time dim
                        || first.contains("has a run-time dim")
                        // `dims!` and annotation mistakes are macro errors that say what to write
                        || path.starts_with("tests/ui/dims")
                        || path.starts_with("tests/ui/annotations")
                        || path.starts_with("tests/ui-candle/dims")
                        || path.starts_with("tests/ui-candle/annotations"),
                    "{}: the first line does not say what is wrong: {first}",
                    path.display()
                );
                let errors = text.lines().filter(|l| l.starts_with("error")).count();
                assert!(
                    (1..=2).contains(&errors),
                    "{}: {errors} errors for one mistake",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 14, "only {checked} snapshots found");
}

/// Each case of `tests/ui` is in `tests/ui-candle` with one line changed — the prelude,
/// `use infralens::prelude::candle::*;` — and its error there begins with the same line: a
/// program moved to the candle backend keeps every compile-time shape error, word for word.
/// (The snapshots are made by `on_the_candle_backend` below, with the feature `candle`.)
#[test]
fn the_candle_cases_are_the_native_ones_with_the_same_first_error() {
    let mut compared = 0;
    for topic in TOPICS {
        for file in std::fs::read_dir(format!("tests/ui/{topic}")).expect("readable topic") {
            let native = file.expect("readable entry").path();
            let candle = std::path::Path::new("tests/ui-candle")
                .join(topic)
                .join(native.file_name().expect("a file name"));
            let (a, b) = (
                std::fs::read_to_string(&native).expect("readable case"),
                std::fs::read_to_string(&candle)
                    .unwrap_or_else(|_| panic!("{} has no candle twin", native.display())),
            );
            if native.extension().is_some_and(|e| e == "rs") {
                assert_eq!(
                    a.replacen(
                        "use infralens::prelude::*;",
                        "use infralens::prelude::candle::*;",
                        1
                    ),
                    b,
                    "{}: the candle twin must differ by its prelude only",
                    candle.display()
                );
            } else {
                let (first_a, first_b) = (a.lines().next(), b.lines().next());
                assert_eq!(first_a, first_b, "{}", candle.display());
            }
            compared += 1;
        }
    }
    assert!(compared >= 2 * 80, "only {compared} files compared");
}

/// Every mistake again on the candle backend (feature `candle`): `tests/ui-candle` holds
/// each case of `tests/ui` with `use infralens::prelude::candle::*;` for the prelude, the
/// one line a program changes to move to candle.
#[cfg(feature = "candle")]
#[test]
fn on_the_candle_backend() {
    if let Some(why) = skip_reason() {
        eprintln!("{why}");
        return;
    }
    trybuild::TestCases::new().compile_fail("tests/ui-candle/*/*.rs");
}
