//! `infralens labs`: the list with progress, or `--init DIR`, a new working crate.

use super::out::{cwd, fail};
use infralens_cli::labs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

pub(crate) fn run(
    init: Option<PathBuf>,
    infralens_path: Option<PathBuf>,
    no_build: bool,
) -> ExitCode {
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let Some(dir) = init else {
        let ws = labs::Workspace::find(&cwd()).ok();
        out!("{}", labs::list(catalog, ws.as_ref()));
        return ExitCode::SUCCESS;
    };
    let checkout = infralens_path.or_else(|| std::env::var_os("INFRALENS_PATH").map(PathBuf::from));
    let dep = match checkout {
        None => None,
        Some(checkout) => match checkout.canonicalize() {
            Ok(p) if p.join("Cargo.toml").is_file() => Some(labs::path_dependency(
                &p.to_string_lossy().replace('\\', "/"),
            )),
            _ => {
                return fail(&format!(
                    "no infralens checkout at `{}`: pass `--infralens-path PATH` (the directory with infralens' Cargo.toml)",
                    checkout.display()
                ));
            }
        },
    };
    if let Err(e) = labs::init(&dir, dep.as_deref()) {
        return fail(&e);
    }
    outln!(
        "Made the working crate {}: {} exercises to fix.",
        dir.display(),
        catalog.exercises.len()
    );
    if !no_build {
        // Build the library once now, with cargo's own progress, so that the first check
        // takes seconds.
        outln!("Building InfraLens for it, once (cargo's progress below)…");
        let _ = std::io::stdout().flush();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let built = Command::new(&cargo)
            // The library alone: the exercises' test builds reuse it (a dependency is built alike
            // for `build` and `test`); its own tests are not the learner's.
            .args(["build", "-p", "infralens"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status();
        match built {
            Ok(s) if s.success() => outln!("Built."),
            Ok(_) => outln!(
                "cargo could not build InfraLens yet (above); the first `infralens lab 01 --check` will try again."
            ),
            Err(e) => outln!(
                "cannot run `{}`: {e}; install Rust from https://rustup.rs, then check an exercise.",
                cargo.to_string_lossy()
            ),
        }
    }
    outln!(
        "Next:\n  cd {}\n  infralens lab 01          # read the lab page\n  infralens lab 01 --check  # check the first exercise",
        dir.display()
    );
    ExitCode::SUCCESS
}
