//! Embeds the source of the `infralens` library this binary was built with (the facade,
//! core, macros and syntax crates and the lock file), which `labs --init` writes into a
//! working crate so that it builds without any checkout — when it is built in a checkout of
//! the InfraLens repository. Built from a registry, there is no checkout: `LIBRARY` is empty
//! and a working crate depends on the `infralens` of the registry, of this binary's version.
//! (The labs themselves come from the `infralens-lab-data` package.)

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

/// The crates a working crate needs, by their directories in the repository.
const LIBRARY_CRATES: [&str; 4] = ["", "infralens-core", "infralens-macros", "infralens-syntax"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("..");
    // A checkout: the workspace around this crate holds each library crate's manifest and
    // `src/`. (A registry's source directory holds `infralens-core-0.1.0/`, never these.)
    let checkout = root.join("Cargo.lock").is_file()
        && LIBRARY_CRATES
            .iter()
            .all(|krate| root.join(krate).join("src/lib.rs").is_file());
    let mut code = String::from(
        "/// The `infralens` library's source: (path relative to the repository, contents); empty\n/// when built outside a checkout.\npub(crate) static LIBRARY: &[(&str, &str)] = &[\n",
    );
    if checkout {
        let mut sources = Vec::new();
        for krate in LIBRARY_CRATES {
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
        for file in sources {
            let abs = file
                .canonicalize()
                .expect("a file of the checkout, readable");
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
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("library.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
