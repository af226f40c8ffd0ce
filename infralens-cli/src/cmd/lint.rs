//! `infralens lint [PATHS]`: the analysis over files, `--fix`, the report.

use super::out::{color_out, cwd, fail, write_out};
use infralens_cli::lint::lint_paths_with;
use infralens_cli::render::{Format, render};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub(crate) fn run(
    mut paths: Vec<PathBuf>,
    format: Format,
    config: Option<PathBuf>,
    fix: bool,
) -> ExitCode {
    let config = match config {
        Some(file) => infralens_cli::config::Config::load(&file),
        None => infralens_cli::config::Config::find(&cwd()),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    if paths.is_empty() {
        paths = ["src", "examples", "tests"]
            .into_iter()
            .map(PathBuf::from)
            .filter(|p| p.exists())
            .collect();
        if paths.is_empty() {
            return fail(
                "nothing to lint: no src/, examples/ or tests/ here; run it in a crate or name the files: `infralens lint src/model.rs`",
            );
        }
    }
    let mut report = match lint_paths_with(&paths, &config) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    if fix {
        // A function's later mistakes show once its first is fixed: fix, lint again, until
        // nothing is left to fix (at most 16 rounds).
        let (mut made, mut files) = (0, std::collections::BTreeSet::new());
        for _ in 0..16 {
            let edits = infralens_cli::fix::by_file(&report.diagnostics);
            if edits.is_empty() {
                break;
            }
            for (file, edits) in edits {
                let text = match std::fs::read_to_string(&file) {
                    Ok(t) => t,
                    Err(e) => return fail(&format!("cannot read `{file}` to fix it: {e}")),
                };
                let (fixed, n) = infralens_cli::fix::apply(&text, &edits);
                if n > 0 {
                    if let Err(e) = std::fs::write(&file, fixed) {
                        return fail(&format!("cannot write the fixes to `{file}`: {e}"));
                    }
                    made += n;
                    files.insert(file);
                }
            }
            report = match lint_paths_with(&paths, &config) {
                Ok(r) => r,
                Err(e) => return fail(&e.to_string()),
            };
        }
        eprintln!(
            "infralens: applied {made} fix{} in {} file{}",
            if made == 1 { "" } else { "es" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
    }
    let color = format == Format::Human && color_out();
    // One finding at a time (but SARIF, one document): the output is never held whole.
    let written = if format == Format::Sarif {
        write_out(&render(&report.diagnostics, format, color))
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        report
            .diagnostics
            .iter()
            .try_for_each(|d| {
                out.write_all(render(std::slice::from_ref(d), format, color).as_bytes())
            })
            .and_then(|()| out.flush())
    };
    if written.is_err() {
        return ExitCode::from(2);
    }
    if format == Format::Human {
        let n = report.diagnostics.len();
        eprintln!(
            "infralens: {} files, {} lines: {}",
            report.files,
            report.lines,
            match n {
                0 => "no findings".to_owned(),
                1 => "1 finding".to_owned(),
                n => format!("{n} findings"),
            }
        );
    }
    if report.diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
