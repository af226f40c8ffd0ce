//! `infralens next`: the next exercise to do.

use super::out::{cwd, fail};
use infralens_cli::labs;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run() -> ExitCode {
    let (catalog, ws) = match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?)))
    {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    let next = catalog
        .labs
        .iter()
        .find_map(|lab| Some((lab, ws.current(catalog, lab)?)));
    match next {
        Some((lab, ex)) => outln!(
            "Next: {} (Lab {} — {})\n{}\nCheck it with `infralens lab {} --check`; `--hint` for a hint.",
            ex.path(),
            lab.id,
            lab.title,
            ex.concept,
            lab.id
        ),
        None => outln!("Every exercise of every lab is done."),
    }
    ExitCode::SUCCESS
}
