//! Running the built `infralens` binary from the integration tests.

use std::path::Path;
use std::process::Command;

/// Runs `infralens args…` in `dir`: (exit code, stdout, stderr). Builds that it starts
/// (`check`, `lab --check`) share one target directory and stay offline.
pub fn infralens(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infralens"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .expect("the infralens binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
