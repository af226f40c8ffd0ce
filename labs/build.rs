//! Embeds every file of this package's directory — the labs — as `FILES`: (path relative to
//! the labs directory, contents), sorted. Only this package's own files are read (never
//! `..`), so a build from a registry has them all; a build that finds no `info.toml` fails,
//! rather than give an empty catalogue.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

include!("not_data.rs");

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read the labs directory {}", dir.display());
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || (dir == root && NOT_DATA.contains(&name)) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    assert!(
        root.join("info.toml").is_file() && files.len() > 1,
        "the labs are missing from {}: no `info.toml` beside this package's manifest",
        root.display()
    );
    let mut code = String::from(
        "/// Every file of the labs: (path relative to the labs directory, contents), sorted.\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .expect("under the labs directory")
            .to_string_lossy()
            .replace('\\', "/");
        let abs = file.canonicalize().expect("readable");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.to_string_lossy()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("files.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
