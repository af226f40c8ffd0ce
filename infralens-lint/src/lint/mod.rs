//! `infralens lint`: checks `dims!` blocks and `#[shapes]` annotations without compiling.

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::source::Source;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use syn::visit_mut::VisitMut;

/// What a lint run found.
///
/// ```
/// use infralens_lint::{lint::lint_sources, source::Source};
/// let report = lint_sources(vec![Source::new("a.rs", "fn main() {}".into())]);
/// assert_eq!((report.files, report.lines, report.diagnostics.len()), (1, 1, 0));
/// ```
#[derive(Debug, Default)]
pub struct Report {
    /// Files read.
    pub files: usize,
    /// Lines read.
    pub lines: usize,
    /// Findings, by file then position.
    pub diagnostics: Vec<Diagnostic>,
    /// A fingerprint of the bytes each file held when it was read, by the name its findings
    /// carry: a fix computed from them may replace those bytes and nothing else (`lint --fix`
    /// checks the file still holds them before writing). Empty for sources linted from
    /// memory.
    pub analysed: std::collections::BTreeMap<String, crate::source::Fingerprint>,
}

/// The largest file the lint reads; a bigger one is an error naming it.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The `.rs` files under `paths` (files as given, directories walked in name order,
/// skipping `target` and hidden directories). Symbolic links to directories are not
/// followed (as ripgrep does), so a link loop cannot make the walk repeat or explode;
/// FIFOs, sockets and devices met in a directory are skipped, and one given by name is an
/// error; a file name that is not UTF-8 is walked like any other. A walk also respects
/// `.gitignore` and `.ignore` files and leaves out trybuild's UI cases (an `x.rs` beside
/// its `x.stderr`); see [`collect_files_with`] for a configuration's `exclude`.
///
/// ```
/// use infralens_lint::lint::collect_files;
/// let files = collect_files(&["src".into()])?;
/// assert!(files.iter().any(|f| f.ends_with("render.rs")));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// A path that does not exist, is not a file or a directory, or a directory that cannot
/// be read; the message names the path.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    collect_files_with(paths, &Config::default())
}

/// [`collect_files`], leaving out of directory walks what `config` excludes. A file named
/// in `paths` is always read.
///
/// ```
/// use infralens_lint::{config::Config, lint::collect_files_with};
/// let config = Config::parse("exclude = [\"render.rs\"]", ".".as_ref(), "infralens.toml")?;
/// let files = collect_files_with(&["src".into()], &config)?;
/// assert!(!files.iter().any(|f| f.ends_with("render.rs")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`collect_files`].
pub fn collect_files_with(paths: &[PathBuf], config: &Config) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| named(path, e))?;
        if meta.is_dir() {
            walk(path, config, &mut out)?;
        } else if meta.is_file() {
            out.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "cannot read `{}`: not a regular file (a FIFO, socket or device); give a `.rs` file or a directory",
                    path.display()
                ),
            ));
        }
    }
    Ok(out)
}

/// The `.rs` files under `dir` (see [`collect_files`]).
fn walk(dir: &Path, config: &Config, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let walker = ignore::WalkBuilder::new(dir)
        .follow_links(false)
        .require_git(false)
        .git_global(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && entry.file_name() == "target")
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = match &e {
                ignore::Error::WithPath { path, .. } => path.clone(),
                _ => dir.to_path_buf(),
            };
            let kind = e
                .io_error()
                .map_or(std::io::ErrorKind::Other, std::io::Error::kind);
            std::io::Error::new(
                kind,
                format!("cannot read `{}`: {}", path.display(), plain(&e)),
            )
        })?;
        let path = entry.path();
        if entry.depth() == 0 || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        // A link to a regular file is read; a link to a directory is not walked (the
        // walker does not follow it), and FIFOs, sockets and devices are skipped.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if path.with_extension("stderr").is_file() || config.excludes(path) {
            continue;
        }
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// The walker's error without the path it prefixes (named once, by the caller): an
/// operating-system error as the system says it ("Permission denied (os error 13)").
fn plain(e: &ignore::Error) -> String {
    if let Some(io) = e.io_error() {
        if let Some(code) = io.raw_os_error() {
            return std::io::Error::from_raw_os_error(code).to_string();
        }
        // A directory walk's error: "IO error for operation on PATH: REASON".
        let text = io.to_string();
        if let Some((_, reason)) = text.rsplit_once(": ") {
            return reason.to_owned();
        }
    }
    match e {
        ignore::Error::WithPath { err, .. } => plain(err),
        ignore::Error::WithDepth { err, .. } => plain(err),
        ignore::Error::WithLineNumber { err, .. } => plain(err),
        e => e.to_string(),
    }
}

/// `e`, with the path it happened on: "cannot read `src/x.rs`: …".
fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot read `{}`: {e}", path.display()))
}

/// Reads a file the lint was given, refusing one larger than [`MAX_FILE_BYTES`] (which
/// `/dev/zero` behind a link, say, would be without end); the error names the file.
fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    read_capped(path).map_err(|e| named(path, e))
}

/// [`read_source`], its error not naming the file (for a caller that names it itself).
pub(crate) fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, more than any source file; is it generated?",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// Reads `paths` (see [`collect_files`]) and lints them together, as one crate: a dim
/// declared in any file's `dims!` is known in all of them.
///
/// ```no_run
/// let report = infralens_lint::lint::lint_paths(&["src".into()])?;
/// println!("{} findings", report.diagnostics.len());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// A path that cannot be read. A file that is not UTF-8 is a finding, not an error.
pub fn lint_paths(paths: &[PathBuf]) -> std::io::Result<Report> {
    lint_paths_with(paths, &Config::default())
}

/// [`lint_paths`] under a configuration: its `exclude` leaves files out of directory
/// walks, and findings of the rules it `allow`s are not reported.
///
/// ```no_run
/// use infralens_lint::{config::Config, lint::lint_paths_with};
/// let config = Config::find(".".as_ref()).map_err(std::io::Error::other)?;
/// let report = lint_paths_with(&["src".into()], &config)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// As [`lint_paths`].
pub fn lint_paths_with(paths: &[PathBuf], config: &Config) -> std::io::Result<Report> {
    let mut sources = Vec::new();
    let mut analysed = std::collections::BTreeMap::new();
    for path in collect_files_with(paths, config)? {
        let bytes = read_source(&path)?;
        let name = display_path(&path);
        analysed.insert(name.clone(), crate::source::Fingerprint::of(&bytes));
        sources.push(Source::from_bytes(&name, bytes));
    }
    let mut report = lint_sources(sources);
    report.analysed = analysed;
    report.diagnostics.retain(|d| !config.allows(&d.code));
    Ok(report)
}

/// `path` relative to the current directory when it is inside it, with `/` separators.
fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let rel = rel.strip_prefix(".").map(Path::to_path_buf).unwrap_or(rel);
    let text = rel.to_string_lossy();
    // `\` separates paths on Windows only; elsewhere it is part of a file's name.
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// Lints sources already in memory, as one crate.
///
/// ```
/// use infralens_lint::{lint::lint_sources, source::Source};
/// let code = r#"
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
/// #[shapes(x: [B, S, D], w: [D, D] -> [B, S, D])]
/// fn project(x: &Tensor, w: &Tensor) -> Tensor {
///     #[shape(B, S, D)]
///     let y = w.matmul(x);
///     y
/// }
/// "#;
/// let report = lint_sources(vec![Source::new("model.rs", code.into())]);
/// assert_eq!(
///     report.diagnostics[0].message,
///     "shape mismatch: matmul contracts `D` with `S`, but the left operand's last dim must be the right operand's row dim",
/// );
/// ```
pub fn lint_sources(sources: Vec<Source>) -> Report {
    let lines = sources.iter().map(|s| s.text.lines().count()).sum();
    let files = sources.len();
    let (krate, found) = two_passes(sources);
    let mut diagnostics = krate.diagnostics.clone();
    diagnostics.extend(found.into_iter().flatten());
    // `// infralens: allow(rule)` over the lines it covers.
    let allows: HashMap<&str, &[crate::config::Allow]> = krate
        .files
        .iter()
        .filter(|f| !f.allows.is_empty())
        .map(|f| (f.src.name.as_str(), f.allows.as_slice()))
        .collect();
    if !allows.is_empty() {
        diagnostics.retain(|d| {
            !allows.get(d.file.as_str()).is_some_and(|a| {
                a.iter().any(|a| {
                    crate::rules::covers(&a.rule, &d.code)
                        && (a.first..=a.last).contains(&d.start.line)
                })
            })
        });
    }
    diagnostics.sort_by(|a, b| (&a.file, a.start).cmp(&(&b.file, b.start)));
    diagnostics.dedup();
    Report {
        files,
        lines,
        diagnostics,
        analysed: Default::default(),
    }
}

/// Whether pass 2 looks at this file: one that names no annotation, tensor, layer or RoPE
/// table has nothing the lint follows, and is skipped.
fn worth_checking(src: &Source) -> bool {
    ["shapes", "Tensor", "Rope", "Linear", "Conv1D", "Norm"]
        .iter()
        .any(|w| src.text.contains(w))
}

/// Checks file `i` of `krate`, parsing it again (pass 2 of [`lint_sources`], for a file
/// whose tree pass 1 did not keep).
fn check_file(krate: &Crate, i: usize) -> Vec<Diagnostic> {
    let file = &krate.files[i];
    let src = &file.src;
    if !file.parsed || !worth_checking(src) {
        return Vec::new();
    }
    // A file pass 1 read in parts is checked part by part: one part's tree at a time.
    if let Some(parts) = &file.parts {
        let mut found = Vec::new();
        for range in parts {
            let part = src.part(range.start);
            if let Ok(mut ast) = syn::parse_file(&src.text[range.clone()]) {
                found.extend(check_tree(krate, i, &part, &mut ast));
            }
        }
        return found;
    }
    match syn::parse_file(&src.text) {
        Ok(mut ast) => check_tree(krate, i, src, &mut ast),
        Err(_) => Vec::new(),
    }
}

/// Checks file `i` of `krate` (or the part of it `src` reads), given its syntax tree.
fn check_tree(krate: &Crate, i: usize, src: &Source, ast: &mut syn::File) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Checker {
            krate,
            file: i,
            src,
            impl_generics: Vec::new(),
            impl_self: Vec::new(),
            out: &mut found,
            explain: None,
            sizes: krate.sizes_for(i),
            kinds: krate.kinds_for(i),
            run_time: krate.run_time_for(i),
        }
        .visit_file_mut(ast);
    }));
    match checked {
        Ok(()) => found,
        // A bug of ours must not cost the findings in the other files.
        Err(_) => {
            let at = crate::diag::Pos { line: 1, column: 1 };
            vec![Diagnostic::new(
                &src.name,
                at,
                at,
                "internal-error",
                "infralens could not analyse this file (an internal error); please report it with the file",
            )]
        }
    }
}

/// How much source (in bytes) the workers keep the syntax trees of, together, from pass 1
/// to pass 2; past it, a tree is dropped and pass 2 parses its file again. A syn tree
/// takes about 50 times its source on the heap (258 MB for the 4.6 MB of `tests/memory.rs`'s
/// 100,000 lines), and about twice that resident: so a crate of up to ≈ 12,000 lines is
/// parsed once, and 100,000 lines stay near the 100 MB resident the lint allows itself
/// (67 MB with no tree kept, 92–100 MB with this budget, 122–129 MB with twice it:
/// `/usr/bin/time -v infralens lint` on the benchmark's corpora).
const KEPT_SOURCE: usize = 1 << 19;

/// A file larger than this (in bytes) is parsed one range of top-level items at a time, in
/// both passes, so that no more than one item's tree is held at once: a 98,000-line file
/// whole took 341 MB at the peak and 2.3 s, in parts 52–55 MB and 0.9–1.3 s (`/usr/bin/time` of
/// a release `infralens lint` on one 2.3 MB file of 98,000 lines of annotated functions).
const PARSED_WHOLE: usize = KEPT_SOURCE;

/// The two passes of [`lint_sources`], spread over the cores: each worker parses files and
/// collects what they declare (pass 1); once the whole crate is merged, it checks the files
/// it parsed against it (pass 2), from the syntax trees it kept — a tree cannot move
/// between threads, and parsing is most of the lint's time, so each file is parsed once —
/// or, past [`KEPT_SOURCE`], by parsing them again. The results are in the order of the
/// files.
fn two_passes(sources: Vec<Source>) -> (Crate, Vec<Vec<Diagnostic>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, OnceLock, mpsc};
    let n = sources.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n)
        .min(64);
    let next = AtomicUsize::new(0);
    let kept_total = AtomicUsize::new(0);
    let krate: OnceLock<Crate> = OnceLock::new();
    let found: Mutex<Vec<Option<Vec<Diagnostic>>>> = Mutex::new((0..n).map(|_| None).collect());
    let record = |i: usize, diagnostics: Vec<Diagnostic>| {
        if let Ok(mut found) = found.lock() {
            found[i] = Some(diagnostics);
        }
    };
    let mut collected: Vec<Option<Collected>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (done, results) = mpsc::channel::<(usize, Collected)>();
        let mut go = Vec::new();
        for _ in 0..threads {
            let (start, wait) = mpsc::channel::<()>();
            let done = done.clone();
            let (sources, next, krate, record) = (&sources, &next, &krate, &record);
            let kept_total = &kept_total;
            // Reserves room for `len` bytes of source under [`KEPT_SOURCE`].
            let keep = move |len: usize| {
                kept_total
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |total| {
                        (total + len <= KEPT_SOURCE).then_some(total + len)
                    })
                    .is_ok()
            };
            let worker = move || {
                let mut kept: Vec<(usize, syn::File)> = Vec::new();
                let mut again = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(src) = sources.get(i) else { break };
                    let worth = worth_checking(src);
                    let (tree, c) = Crate::parse_one(src.clone());
                    match tree {
                        Some(tree) if worth && keep(src.text.len()) => kept.push((i, tree)),
                        _ => again.push(i),
                    }
                    if done.send((i, c)).is_err() {
                        return;
                    }
                }
                drop(done);
                // Pass 2 starts when the crate is merged.
                if wait.recv().is_err() {
                    return;
                }
                let Some(krate) = krate.get() else { return };
                for (i, mut tree) in kept {
                    record(i, check_tree(krate, i, &krate.files[i].src, &mut tree));
                }
                for i in again {
                    record(i, check_file(krate, i));
                }
            };
            let spawned = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, worker);
            if spawned.is_ok() {
                go.push(start);
            }
        }
        drop(done);
        // Ends when every worker has finished pass 1 (or stopped).
        for (i, c) in results {
            collected[i] = Some(c);
        }
        // A file no worker finished (none could start, or one hit a bug of ours): here.
        for (i, slot) in collected.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = Some(Crate::parse_one(sources[i].clone()).1);
            }
        }
        let _ = krate.set(Crate::merge(collected.drain(..).flatten().collect()));
        for start in go {
            let _ = start.send(());
        }
    });
    let krate = krate
        .into_inner()
        .unwrap_or_else(|| Crate::merge(Vec::new()));
    let found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // What a worker did not get to: here.
    let found = found
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.unwrap_or_else(|| check_file(&krate, i)))
        .collect();
    (krate, found)
}

/// The stack of the lint's worker threads: deeply nested code (up to the pre-scan's limit)
/// must not overflow syn's recursive parser.
const WORKER_STACK: usize = 256 << 20;

mod check;
mod collect;
#[cfg(test)]
mod tests;

pub use check::Row;
pub(crate) use check::{Checker, Explain};
pub(crate) use collect::*;
