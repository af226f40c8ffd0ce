//! Embeds the labs (`../labs`: `info.toml`, the lab pages, the starters, the exercises and
//! their solutions) in the binary, so an installed `infralens` carries them; and the source
//! of the `infralens` library it was built with (the facade, core, macros and syntax crates
//! and the lock file), which `labs --init` writes into a working crate so that it builds
//! without any checkout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let labs = manifest.join("../labs");
    println!("cargo:rerun-if-changed={}", labs.display());
    let mut files = Vec::new();
    walk(&labs, &mut files);
    let mut code = String::from(
        "/// Every file under `labs/`: (path relative to `labs/`, contents).\npub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let rel = file
            .strip_prefix(&labs)
            .expect("under labs/")
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

    // The library's source: each crate's manifest and `src/`, and the workspace lock file.
    let root = manifest.join("..");
    let mut sources = Vec::new();
    for krate in ["", "infralens-core", "infralens-macros", "infralens-syntax"] {
        let dir = root.join(krate);
        println!("cargo:rerun-if-changed={}", dir.join("src").display());
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("Cargo.toml").display()
        );
        sources.push(dir.join("Cargo.toml"));
        walk(&dir.join("src"), &mut sources);
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    sources.push(root.join("Cargo.lock"));
    code.push_str(
        "/// The `infralens` library's source: (path relative to the repository, contents).\npub(crate) static LIBRARY: &[(&str, &str)] = &[\n",
    );
    for file in sources {
        let Ok(abs) = file.canonicalize() else {
            continue;
        };
        let rel = file
            .strip_prefix(&root)
            .expect("under the repository")
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.to_string_lossy()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("labs.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
