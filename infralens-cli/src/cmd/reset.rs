//! `infralens reset EXERCISE`: the exercise as shipped, written back.

use super::out::{cwd, fail};
use infralens_cli::labs;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub(crate) fn run(selector: &str, yes: bool) -> ExitCode {
    let (catalog, mut ws) =
        match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?))) {
            Ok(found) => found,
            Err(e) => return fail(&e),
        };
    let ex = match catalog.exercise(selector) {
        Ok(ex) => ex,
        Err(e) => return fail(&e),
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            return fail(&format!(
                "`reset` loses your changes to {}: add `--yes` to go ahead",
                ex.path()
            ));
        }
        out!(
            "Put {} back as shipped? Your changes to it are lost. [y/N] ",
            ex.path()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err()
            || !matches!(answer.trim(), "y" | "Y" | "yes")
        {
            outln!("Left as it is.");
            return ExitCode::SUCCESS;
        }
    }
    match ws.reset(ex) {
        Ok(()) => {
            outln!("{} is as shipped again, and to do.", ex.path());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
