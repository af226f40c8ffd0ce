//! `infralens lab N`: a lab's page, `--check` its current exercise, `--hint`.

use super::out::{color_out, cwd, fail, page_out};
use crate::term;
use infralens_cli::labs;
use std::io::Write;
use std::process::ExitCode;

/// The embedded catalogue and its lab `id`.
pub(crate) fn catalog_and_lab(
    id: &str,
) -> Result<(&'static labs::Catalog, &'static labs::Lab), String> {
    let catalog = labs::catalog()?;
    Ok((catalog, catalog.lab(id)?))
}

pub(crate) fn run(id: &str, check: bool, hint: bool, exercise: Option<usize>) -> ExitCode {
    let (catalog, lab) = match catalog_and_lab(id) {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    let color = color_out();
    if !check && !hint {
        let page = labs::file(&format!("{}/README.md", lab.dir)).unwrap_or("");
        let dir = format!("labs/{}", lab.dir);
        let _ = page_out(&labs::render_page(page, &dir, color));
        return ExitCode::SUCCESS;
    }
    let mut ws = match labs::Workspace::find(&cwd()) {
        Ok(ws) => ws,
        Err(e) => return fail(&e),
    };
    let chosen = match exercise {
        None => None,
        Some(n) => match catalog.exercises_of(lab).nth(n.wrapping_sub(1)) {
            Some(ex) => Some(ex),
            None => {
                return fail(&format!(
                    "Lab {} has exercises 1 to {}, not {n}",
                    lab.id,
                    catalog.exercises_of(lab).count()
                ));
            }
        },
    };
    let mut code = ExitCode::SUCCESS;
    if check {
        let screen = term::Screen::cooked();
        let mut progress = term::Progress::new(&screen);
        let target = chosen.or_else(|| ws.current(catalog, lab)).cloned();
        let checked = match chosen {
            Some(ex) => labs::check_exercise_to(&mut ws, catalog, lab, ex, color, &mut progress),
            None => labs::check_to(&mut ws, catalog, lab, color, &mut progress),
        };
        drop(progress);
        if let (Ok(outcome), Some(ex)) = (&checked, &target) {
            screen.write(&labs::advice(outcome, lab, ex));
        }
        match checked {
            Ok(labs::Outcome::CompileError | labs::Outcome::TestsFail) => code = ExitCode::from(1),
            Ok(labs::Outcome::CargoFailed | labs::Outcome::Stopped) => return ExitCode::from(2),
            Ok(labs::Outcome::Done | labs::Outcome::LabComplete) => {}
            Err(e) => return fail(&e),
        }
    }
    if hint {
        match chosen.or_else(|| ws.current(catalog, lab)).cloned() {
            Some(ex) => match ws.next_hint(&ex) {
                Ok(text) => outln!("{text}"),
                Err(e) => return fail(&e),
            },
            None => outln!("Lab {} is complete: no hint needed.", lab.id),
        }
    }
    code
}
