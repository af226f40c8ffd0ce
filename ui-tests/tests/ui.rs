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
        if !topic.is_dir() {
            continue; // tests/ui-candle/.gitignore
        }
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

/// The one line a program changes to move to the candle backend: its prelude.
const NATIVE_PRELUDE: &str = "use infralens::prelude::*;";
const CANDLE_PRELUDE: &str = "use infralens::prelude::candle::*;";

/// Each case of `tests/ui` again on the candle backend: `tests/ui-candle/<topic>/<case>.rs`
/// is the native case with its prelude changed, written from it (not committed: see
/// `tests/ui-candle/.gitignore`), so the two cannot drift; its `.stderr` is committed.
#[cfg_attr(not(feature = "candle"), allow(dead_code))]
fn write_candle_twins() -> usize {
    let mut written = 0;
    for topic in TOPICS {
        let dir = std::path::Path::new("tests/ui-candle").join(topic);
        std::fs::create_dir_all(&dir).expect("tests/ui-candle is writable");
        for file in std::fs::read_dir(format!("tests/ui/{topic}")).expect("readable topic") {
            let native = file.expect("readable entry").path();
            if native.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&native).expect("readable case");
            assert_eq!(
                text.matches(NATIVE_PRELUDE).count(),
                1,
                "{}: a case imports the prelude once, as `{NATIVE_PRELUDE}`",
                native.display()
            );
            let twin = dir.join(native.file_name().expect("a file name"));
            let candle = text.replacen(NATIVE_PRELUDE, CANDLE_PRELUDE, 1);
            if std::fs::read_to_string(&twin).ok().as_deref() != Some(candle.as_str()) {
                std::fs::write(&twin, candle).expect("tests/ui-candle is writable");
            }
            written += 1;
        }
    }
    written
}

/// Every case's error on the candle backend begins with the same line as on the native
/// backend: a program moved to candle keeps every compile-time shape error, word for word.
/// (The snapshots are made by `on_the_candle_backend` below, with the feature `candle`.)
#[test]
fn the_candle_errors_begin_as_the_native_ones() {
    let mut compared = 0;
    for topic in TOPICS {
        let mut native: Vec<_> = std::fs::read_dir(format!("tests/ui/{topic}"))
            .expect("readable topic")
            .map(|f| f.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "stderr"))
            .collect();
        let mut candle: Vec<_> = std::fs::read_dir(format!("tests/ui-candle/{topic}"))
            .expect("every topic has its candle twin")
            .map(|f| f.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "stderr"))
            .collect();
        native.sort();
        candle.sort();
        assert_eq!(
            native.iter().map(|p| p.file_name()).collect::<Vec<_>>(),
            candle.iter().map(|p| p.file_name()).collect::<Vec<_>>(),
            "tests/ui-candle/{topic} holds a snapshot for each case of tests/ui/{topic}"
        );
        for (a, b) in native.iter().zip(&candle) {
            let first = |p: &std::path::PathBuf| {
                let text = std::fs::read_to_string(p).expect("readable snapshot");
                text.lines().next().unwrap_or_default().to_owned()
            };
            assert_eq!(first(a), first(b), "{}", b.display());
            compared += 1;
        }
    }
    assert!(compared >= 80, "only {compared} snapshots compared");
}

/// Every mistake again on the candle backend (feature `candle`): the cases written by
/// [`write_candle_twins`], their errors pinned in `tests/ui-candle`.
#[cfg(feature = "candle")]
#[test]
fn on_the_candle_backend() {
    if let Some(why) = skip_reason() {
        eprintln!("{why}");
        return;
    }
    assert!(write_candle_twins() >= 80);
    trybuild::TestCases::new().compile_fail("tests/ui-candle/*/*.rs");
}
