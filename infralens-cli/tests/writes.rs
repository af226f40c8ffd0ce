//! Every write of a user's file keeps it whole: `lint --fix` once per file identity, only
//! over the bytes it linted, never through a link out of the tree, with the byte-order mark
//! counted right; `book` and `labs reset` replace only their own files. Each case is one
//! that lost or misplaced a file before (issue 27).

mod common;

use common::infralens;
use std::path::Path;

/// A file with one fixable finding: the weight read the wrong way round.
const BUGGY: &str = "use infralens::prelude::*;\n\
    dims! { pub S = 4; pub D = 8; pub F = 16; }\n\
    #[shapes(x: [S, D], w: [F, D] -> [S, F])]\n\
    fn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w) }\n";
const FIXED_LINE: &str = "fn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(&w.t()) }";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("readable")
}

#[test]
fn one_file_under_several_names_is_fixed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    let file = dir.path().join("src/a.rs");
    std::fs::write(&file, BUGGY).expect("write");
    std::fs::hard_link(&file, dir.path().join("src/hard.rs")).expect("hard link");
    #[cfg(unix)]
    std::os::unix::fs::symlink("a.rs", dir.path().join("src/soft.rs")).expect("symlink");
    let (code, _, err) = infralens(
        dir.path(),
        &[
            "lint",
            "--fix",
            "src/a.rs",
            "src//a.rs",
            "./src/a.rs",
            "src/hard.rs",
            "src/soft.rs",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = read(&file);
    assert!(text.contains(FIXED_LINE), "{text}");
    assert_eq!(text.matches(".t()").count(), 1, "{text}");
    assert!(syn::parse_file(&text).is_ok());
    // nothing left beside it
    let names: Vec<String> = std::fs::read_dir(dir.path().join("src"))
        .expect("listable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[cfg(unix)]
#[test]
fn a_fix_keeps_the_file_s_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a.rs");
    std::fs::write(&file, BUGGY).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let (code, _, err) = infralens(dir.path(), &["lint", "--fix", "a.rs"]);
    assert_eq!(code, 0, "{err}");
    assert!(read(&file).contains(FIXED_LINE));
    let mode = std::fs::metadata(&file)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_byte_order_mark_does_not_move_a_fix_on_line_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a.rs");
    let one_line = format!("\u{feff}{}", BUGGY.replace('\n', " "));
    std::fs::write(&file, &one_line).expect("write");
    let (code, _, err) = infralens(dir.path(), &["lint", "--fix", "a.rs"]);
    assert_eq!(code, 0, "{err}");
    let text = read(&file);
    assert!(text.starts_with('\u{feff}'), "the mark is kept");
    assert!(text.contains("x.matmul(&w.t())"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_fix_is_not_written_through_a_link_out_of_the_tree() {
    let notes = tempfile::tempdir().expect("temp dir");
    let outside = notes.path().join("a.rs");
    std::fs::write(&outside, BUGGY).expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(&outside, dir.path().join("a.rs")).expect("symlink");
    let (code, _, err) = infralens(dir.path(), &["lint", "--fix", "a.rs"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`a.rs` is a link to") && err.contains("not written through it"),
        "{err}"
    );
    assert_eq!(read(&outside), BUGGY, "the file outside is untouched");
}

#[test]
fn the_handbook_replaces_its_own_files_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let book = dir.path().join("book");
    std::fs::create_dir(&book).expect("mkdir");
    std::fs::write(book.join("index.html"), "my own page").expect("write");
    let (code, _, err) = infralens(dir.path(), &["book", "book"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("index.html` exists and was not written by infralens"),
        "{err}"
    );
    assert_eq!(read(&book.join("index.html")), "my own page");
    // into an empty directory, and again over its own output
    let fresh = dir.path().join("fresh");
    for _ in 0..2 {
        let (code, _, err) = infralens(dir.path(), &["book", "fresh"]);
        assert_eq!(code, 0, "{err}");
    }
    assert!(read(&fresh.join("index.html")).contains("infralens book"));
    // a file where the directory should be
    std::fs::write(dir.path().join("file"), "x").expect("write");
    let (code, _, err) = infralens(dir.path(), &["book", "file"]);
    assert_ne!(code, 0);
    assert!(err.contains("`file` is a file: give a directory"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_handbook_does_not_write_through_a_link_out_of_its_directory() {
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let victim = elsewhere.path().join("style.css");
    std::fs::write(&victim, "body {}").expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let book = dir.path().join("book");
    std::fs::create_dir(&book).expect("mkdir");
    std::os::unix::fs::symlink(&victim, book.join("style.css")).expect("symlink");
    let (code, _, err) = infralens(dir.path(), &["book", "book"]);
    assert_ne!(code, 0);
    assert!(err.contains("not written through it"), "{err}");
    assert_eq!(read(&victim), "body {}");
}

#[cfg(unix)]
#[test]
fn reset_does_not_write_through_a_link_into_the_learner_s_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path().join("work");
    let (code, _, err) = infralens(dir.path(), &["labs", "--init", "work"]);
    assert_eq!(code, 0, "{err}");
    let notes = tempfile::tempdir().expect("temp dir");
    let mine = notes.path().join("my-answer.rs");
    std::fs::write(&mine, "// my notes").expect("write");
    let exercise = std::fs::read_dir(work.join("exercises"))
        .expect("exercises")
        .flat_map(|lab| std::fs::read_dir(lab.expect("lab").path()).expect("files"))
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("01_"))
        })
        .expect("an exercise");
    std::fs::remove_file(&exercise).expect("rm");
    std::os::unix::fs::symlink(&mine, &exercise).expect("symlink");
    let name = exercise
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("a name");
    let (code, _, err) = infralens(&work, &["reset", &name, "--yes"]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("not written through it"), "{err}");
    assert_eq!(read(&mine), "// my notes");
}
