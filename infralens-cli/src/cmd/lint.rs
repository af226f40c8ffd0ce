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
    let mut refused = false;
    if fix {
        // A function's later mistakes show once its first is fixed: fix, lint again, until
        // nothing is left to fix (at most 16 rounds). Each file is rewritten once a round
        // (by identity: two names of one file are one file), only if it still holds the
        // bytes that were linted, through a temporary file and a rename.
        let here = cwd();
        let (mut made, mut files) = (0, std::collections::BTreeSet::new());
        for _ in 0..16 {
            // Identities first: a file replaced below gets a new one.
            let edits: Vec<_> = infralens_cli::fix::by_file(&report.diagnostics)
                .into_iter()
                .filter_map(|(file, edits)| {
                    let identity = infralens_cli::write::Identity::of(file.as_ref()).ok()?;
                    Some((identity, file, edits))
                })
                .collect();
            let mut fixed_now = std::collections::BTreeSet::new();
            for (identity, file, edits) in edits {
                let path = PathBuf::from(&file);
                let Some(&analysed) = report.analysed.get(&file) else {
                    continue;
                };
                if !fixed_now.insert(identity) {
                    continue;
                }
                let root = tree_of(&path, &here);
                let mut n = 0;
                let written = infralens_cli::write::replace(&path, analysed, &root, |bytes| {
                    match std::str::from_utf8(bytes) {
                        Ok(text) => {
                            let (fixed, count) = infralens_cli::fix::apply(text, &edits);
                            n = count;
                            fixed.into_bytes()
                        }
                        // Not UTF-8: the lint read it with replacement characters, so its
                        // positions are not this file's bytes. Left as it is.
                        Err(_) => bytes.to_vec(),
                    }
                });
                match written {
                    Ok(Some(_)) => {
                        made += n;
                        files.insert(file);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        eprintln!("infralens: {e}");
                        refused = true;
                    }
                }
            }
            if fixed_now.is_empty() || refused {
                break;
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
    if refused {
        ExitCode::from(2)
    } else if report.diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The tree a fix of `path` may write into: the current directory for a file in it, the
/// file's own directory for one named elsewhere. A link out of it is not written through.
fn tree_of(path: &std::path::Path, here: &std::path::Path) -> PathBuf {
    let parent = infralens_cli::write::dir_of(path);
    let inside = std::fs::canonicalize(parent)
        .ok()
        .zip(std::fs::canonicalize(here).ok())
        .is_some_and(|(p, h)| p.starts_with(h));
    if inside {
        here.to_path_buf()
    } else {
        parent.to_path_buf()
    }
}
