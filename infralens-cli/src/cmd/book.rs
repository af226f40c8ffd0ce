//! `infralens book DIR`: the handbook site.

use super::out::fail;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Writes the site into `dir` and says where to open it.
pub(crate) fn run(dir: &Path) -> ExitCode {
    match infralens_cli::book::build(dir) {
        Ok(files) => {
            outln!(
                "wrote {} files to {}: open {} in a browser",
                files.len(),
                dir.display(),
                dir.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
