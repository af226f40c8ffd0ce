//! `infralens recheck`: every exercise marked done, checked again.

use super::out::{cwd, fail};
use infralens_cli::labs;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(id: Option<&str>) -> ExitCode {
    let (catalog, mut ws) =
        match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?))) {
            Ok(found) => found,
            Err(e) => return fail(&e),
        };
    let labs_to_check: Vec<&labs::Lab> = match id {
        Some(id) => match catalog.lab(id) {
            Ok(lab) => vec![lab],
            Err(e) => return fail(&e),
        },
        None => catalog.labs.iter().collect(),
    };
    let (mut passed, mut broken) = (0, Vec::new());
    for lab in labs_to_check {
        let done: Vec<&labs::Exercise> = catalog
            .exercises_of(lab)
            .filter(|e| ws.done.contains(&e.name))
            .collect();
        for ex in done {
            match labs::check_exercise(&mut ws, catalog, lab, ex, false) {
                Ok((labs::Outcome::Done, _)) => {
                    passed += 1;
                    outln!("✓ {}", ex.path());
                }
                Ok((labs::Outcome::CargoFailed, report)) => {
                    out!("{report}");
                    return ExitCode::from(2);
                }
                Ok(_) => {
                    outln!("✗ {}: fails now, and is to do again", ex.path());
                    broken.push(ex.path());
                }
                Err(e) => return fail(&e),
            }
        }
    }
    if passed + broken.len() == 0 {
        outln!("No exercise is done yet: nothing to check again.");
    } else {
        outln!("{passed} still pass, {} fail again.", broken.len());
    }
    if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
