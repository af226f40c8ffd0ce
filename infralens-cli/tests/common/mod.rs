//! Running the built `infralens` binary from the integration tests, and the crates they
//! run it on. (Each test binary uses a part of this module.)
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `program`, with the tests' environment: no colours, builds in one shared target
/// directory (`fixture-target`), offline.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("NO_COLOR", "1")
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .env("CARGO_NET_OFFLINE", "true");
    cmd
}

/// Runs `infralens args…` in `dir`: (exit code, stdout, stderr). Builds that it starts
/// (`check`, `lab --check`) share one target directory and stay offline.
pub fn infralens(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = command(env!("CARGO_BIN_EXE_infralens"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the infralens binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// This repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// A fresh crate `CARGO_TARGET_TMPDIR/name` that depends on this checkout (from
/// `tests/fixtures/Cargo.toml.in`, with this workspace's lock file, so that its builds stay
/// offline), holding `files` (path in the crate, contents).
pub fn fixture_crate(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = repo();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("temp dir");
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/Cargo.toml.in");
    let manifest = std::fs::read_to_string(template)
        .expect("template")
        .replace("@NAME@", name)
        .replace("@INFRALENS@", &root.to_string_lossy().replace('\\', "/"));
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock file");
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// The compiler the pinned compiler errors (the UI snapshots, the labs' `errors/*.txt`)
/// were made with; on another, their comparison is skipped.
pub const PINNED_RUSTC: &str = "rustc 1.95.";

/// Whether this compiler is [`PINNED_RUSTC`].
pub fn pinned_rustc() -> bool {
    std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with(PINNED_RUSTC))
}
