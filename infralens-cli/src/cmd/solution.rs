//! `infralens solution EXERCISE`: the shipped solution, shown.

use super::out::{cwd, fail, write_out};
use infralens_cli::labs;
use std::process::ExitCode;

pub(crate) fn run(selector: &str, force: bool) -> ExitCode {
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let ex = match catalog.exercise(selector) {
        Ok(ex) => ex,
        Err(e) => return fail(&e),
    };
    let done = labs::Workspace::find(&cwd()).is_ok_and(|ws| ws.done.contains(&ex.name));
    if !done && !force {
        return fail(&format!(
            "{} is not done yet: try `infralens lab {} --hint` first; `--force` shows the solution anyway",
            ex.name, ex.lab
        ));
    }
    match write_out(ex.solution()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
