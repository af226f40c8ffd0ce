//! `infralens lint`: checks `dims!` blocks and `#[shapes]` annotations without compiling.

use crate::config::Config;
use crate::decls::DimSites;
use crate::diag::Diagnostic;
use crate::infer::{Cost, Field, Infer, Kinds, Shape, Sizes, field_type, tensor_type, tuple};
use crate::source::Source;
use crate::trace::{Node, Tracer};
use infralens_core::rules;
use infralens_syntax::dims::DimsBlock;
use infralens_syntax::function::{apply_signature, pat_name, walk_lets};
use infralens_syntax::shapes::ShapesArgs;
use proc_macro2::{Span, TokenStream};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Attribute, FnArg, ItemFn, Meta, Stmt};

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
/// assert!(files.iter().any(|f| f.ends_with("lint.rs")));
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
/// let config = Config::parse("exclude = [\"lint.rs\"]", ".".as_ref(), "infralens.toml")?;
/// let files = collect_files_with(&["src".into()], &config)?;
/// assert!(!files.iter().any(|f| f.ends_with("lint.rs")));
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
/// `/dev/zero` behind a link, say, would be without end).
fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| named(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| named(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "cannot read `{}`: larger than {} MiB, more than any source file; is it generated?",
                path.display(),
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
    for path in collect_files_with(paths, config)? {
        let bytes = read_source(&path)?;
        let name = display_path(&path);
        sources.push(Source::from_bytes(&name, bytes));
    }
    let mut report = lint_sources(sources);
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

/// A parsed file.
pub(crate) struct File {
    pub src: Source,
    /// The file parsed (else its `parse-error` is in the crate's diagnostics).
    parsed: bool,
    /// Names brought in by `use`.
    imported: HashSet<String>,
    /// The sizes declared in this file's own `dims!` blocks.
    pub own_sizes: Sizes,
    /// The kinds declared in this file's own `dims!` blocks.
    pub own_kinds: Kinds,
    /// The structs this file declares, which win over the crate's (two modules may each
    /// have a `Block`).
    pub own_structs: HashMap<String, HashMap<String, Field>>,
    /// Where this file's `dims!` blocks declare their dims (for fixes there).
    pub decls: DimSites,
    /// `// infralens: allow(rule)` comments: the rule and the lines they cover.
    allows: Vec<crate::config::Allow>,
    /// For a file too large to parse whole, the ranges of top-level items pass 1 parsed
    /// one at a time; pass 2 reads it the same way.
    parts: Option<Vec<std::ops::Range<usize>>>,
}

/// Everything the files declare together.
pub(crate) struct Crate {
    pub files: Vec<File>,
    pub sizes: Sizes,
    /// Each dim's kind, crate-wide (a dim declared with two kinds is left out).
    pub kinds: Kinds,
    returns: HashMap<String, Shape>,
    /// The parameter shapes of the crate's functions (`None` for a parameter that is not a
    /// known tensor), by name.
    params: HashMap<String, Vec<Option<Shape>>>,
    /// The fields the lint follows, by struct name (a name declared twice with other
    /// fields is left out).
    structs: HashMap<String, HashMap<String, Field>>,
    diagnostics: Vec<Diagnostic>,
}

fn is_shapes_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "shapes")
}

/// The `#[shapes(...)]` arguments, as the macro would parse them.
fn shapes_args(attr: &Attribute) -> syn::Result<ShapesArgs> {
    parse_shapes_args(attr).map_err(|e| {
        // An error about the annotation as a whole points at the attribute.
        e.into_iter()
            .map(|e| {
                if e.span().byte_range() == (0..0) {
                    syn::Error::new_spanned(attr, e.to_string())
                } else {
                    e
                }
            })
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .unwrap_or_else(|| syn::Error::new_spanned(attr, "malformed annotation"))
    })
}

fn parse_shapes_args(attr: &Attribute) -> syn::Result<ShapesArgs> {
    match &attr.meta {
        Meta::List(list) => ShapesArgs::from_tokens(list.tokens.clone()),
        Meta::Path(_) => syn::parse2(TokenStream::new()),
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            "write the shapes in parentheses, as in `#[shapes(x: [B, S, D] -> [B, S, D])]`",
        )),
    }
}

fn push_errors(out: &mut Vec<Diagnostic>, src: &Source, code: &str, err: syn::Error) {
    for e in err {
        out.push(src.diagnostic(e.span(), code, &e.to_string()));
    }
}

/// Pass 1: each file's `dims!`, `use` names and annotated return shapes.
struct Collector<'a> {
    src: &'a Source,
    /// Where this file's `dims!` blocks declare each dim.
    decls: DimSites,
    /// The `Self` type of each enclosing impl block, when it is a plain name.
    impl_self: Vec<Option<String>>,
    sizes: Sizes,
    kinds: Vec<(String, Option<String>)>,
    imported: HashSet<String>,
    returns: Vec<(String, Shape)>,
    params: Vec<(String, Vec<Option<Shape>>)>,
    structs: Vec<(String, HashMap<String, Field>)>,
    out: Vec<Diagnostic>,
}

impl<'a> Collector<'a> {
    /// Nothing collected yet, from `src`.
    fn new(src: &'a Source) -> Self {
        Collector {
            src,
            decls: DimSites::default(),
            impl_self: Vec::new(),
            sizes: Sizes::new(),
            kinds: Vec::new(),
            imported: HashSet::new(),
            returns: Vec::new(),
            params: Vec::new(),
            structs: Vec::new(),
            out: Vec::new(),
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    // `dims!` and annotated functions are items (or statements of a block): expressions
    // never hold one worth a look, so they are not walked.
    fn visit_expr(&mut self, _: &'ast syn::Expr) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac.path.segments.last().is_some_and(|s| s.ident == "dims") {
            match mac.parse_body::<DimsBlock>() {
                Err(e) => push_errors(&mut self.out, self.src, "dims", e),
                Ok(block) => {
                    let (sizes, result) = block.resolve_lenient();
                    if let Err(e) = result {
                        let before = self.out.len();
                        push_errors(&mut self.out, self.src, "dims", e);
                        for d in &mut self.out[before..] {
                            if d.message.contains("divisible") {
                                d.lab = Some("02".to_owned());
                            }
                        }
                    }
                    for (decl, size) in block.decls.iter().zip(sizes) {
                        let name = decl.name.to_string();
                        self.decls.note(self.src, decl);
                        self.kinds
                            .push((name.clone(), decl.kind.as_ref().map(ToString::to_string)));
                        let entry = self.sizes.entry(name).or_insert(size);
                        if *entry != size {
                            *entry = None;
                        }
                    }
                }
            }
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_use_name(&mut self, u: &'ast syn::UseName) {
        self.imported.insert(u.ident.to_string());
    }

    fn visit_use_rename(&mut self, u: &'ast syn::UseRename) {
        self.imported.insert(u.rename.to_string());
    }

    fn visit_item_fn(&mut self, f: &'ast ItemFn) {
        self.note_signature(&f.attrs, &f.sig);
        syn::visit::visit_item_fn(self, f);
    }

    /// `#[shapes]` on a struct, an impl block, …: the macro's own error.
    fn visit_item(&mut self, item: &'ast syn::Item) {
        use syn::Item;
        let attrs: &[Attribute] = match item {
            Item::Struct(i) => &i.attrs,
            Item::Enum(i) => &i.attrs,
            Item::Impl(i) => &i.attrs,
            Item::Trait(i) => &i.attrs,
            Item::Const(i) => &i.attrs,
            Item::Static(i) => &i.attrs,
            Item::Mod(i) => &i.attrs,
            _ => &[],
        };
        if attrs.iter().any(is_shapes_attr) {
            push_errors(
                &mut self.out,
                self.src,
                "annotation",
                infralens_syntax::not_a_function(item),
            );
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let fields: HashMap<String, Field> = s
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                // A tuple struct's fields by position: `self.ln_1.0`.
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), ToString::to_string);
                Some((name, field_type(&f.ty)?))
            })
            .collect();
        if !fields.is_empty() && s.generics.params.is_empty() {
            self.structs.push((s.ident.to_string(), fields));
        }
        syn::visit::visit_item_struct(self, s);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.impl_self.push(self_type_name(&i.self_ty));
        syn::visit::visit_item_impl(self, i);
        self.impl_self.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.note_signature(&f.attrs, &f.sig);
        syn::visit::visit_impl_item_fn(self, f);
    }
}

impl Collector<'_> {
    /// A non-generic function's signature, so that a call to it is followed: its parameter
    /// shapes (annotated, or written in full), against which the compiler checks the
    /// arguments, and its return shape (annotated; written in full when it is not
    /// annotated).
    fn note_signature(&mut self, attrs: &[Attribute], sig: &syn::Signature) {
        if !sig.generics.params.is_empty() {
            return;
        }
        let args = attrs.iter().find(|a| is_shapes_attr(a)).map(shapes_args);
        let annotation = match &args {
            Some(Ok(a)) => Some(a),
            _ => None,
        };
        // A method is also known by its type: `Attention::forward`, for
        // `self.attn.forward(…)` and `Self::forward(…)`.
        let mut names = vec![sig.ident.to_string()];
        if let Some(Some(ty)) = self.impl_self.last() {
            names.insert(0, format!("{ty}::{}", sig.ident));
        }
        let params: Vec<Option<Shape>> = sig
            .inputs
            .iter()
            .map(|arg| {
                let FnArg::Typed(t) = arg else { return None };
                let name = pat_name(&t.pat).map(ToString::to_string);
                let annotated = annotation.and_then(|a| {
                    a.params
                        .iter()
                        .find(|p| Some(p.name.to_string()) == name)
                        .map(|p| p.shape.dims.iter().map(ToString::to_string).collect())
                });
                annotated.or_else(|| tensor_type(&t.ty).map(|(s, _)| s))
            })
            .collect();
        if sig.receiver().is_none() && params.iter().any(Option::is_some) {
            for name in &names {
                self.params.push((name.clone(), params.clone()));
            }
        }
        let ret: Option<Shape> = match (&args, &sig.output) {
            (Some(Ok(a)), _) => a
                .ret
                .as_ref()
                .map(|r| r.dims.iter().map(ToString::to_string).collect()),
            (None, syn::ReturnType::Type(_, ty)) => tensor_type(ty).map(|(s, _)| s),
            _ => None,
        };
        if let Some(shape) = ret {
            for name in names {
                self.returns.push((name, shape.clone()));
            }
        }
    }
}

/// One file after the first pass: what it declares, for the whole crate to merge.
pub(crate) struct Collected {
    file: File,
    sizes: Sizes,
    kinds: Vec<(String, Option<String>)>,
    returns: Vec<(String, Shape)>,
    params: Vec<(String, Vec<Option<Shape>>)>,
    structs: Vec<(String, HashMap<String, Field>)>,
    diagnostics: Vec<Diagnostic>,
}

impl Crate {
    /// Parses every source: the crate's declarations, and each file's syntax tree (`None`
    /// for a file that does not parse; its diagnostic is in the crate).
    pub(crate) fn parse(sources: Vec<Source>) -> (Crate, Vec<Option<syn::File>>) {
        let (asts, collected): (Vec<_>, Vec<_>) = sources.into_iter().map(Crate::parse_one).unzip();
        (Crate::merge(collected), asts)
    }

    /// Parses one source and collects what it declares: its `dims!`, `use` names, struct
    /// fields, annotated return shapes and allow comments.
    pub(crate) fn parse_one(src: Source) -> (Option<syn::File>, Collected) {
        if src.text.len() > PARSED_WHOLE
            && !src.not_utf8
            && let Some(ranges) = crate::prescan::top_level_ranges(&src.text)
            && let Some(collected) = Crate::parse_parts(&src, ranges)
        {
            return (None, collected);
        }
        let problem = crate::prescan::prescan(&src.text);
        let parsed = if src.not_utf8 {
            let at = crate::diag::Pos { line: 1, column: 1 };
            Err(Diagnostic::new(
                &src.name,
                at,
                at,
                "parse-error",
                "this file is not UTF-8 text, so it is not Rust source",
            ))
        } else if let Some(problem @ crate::prescan::Problem::TooDeep { .. }) = problem {
            let (line, column) = problem.position();
            let at = crate::diag::Pos { line, column };
            Err(Diagnostic::new(
                &src.name,
                at,
                at,
                "parse-error",
                &problem.message(),
            ))
        } else {
            syn::parse_file(&src.text).map_err(|e| {
                // The lexer's own message says nothing a reader can act on.
                let lexer = e.to_string() == "cannot parse string into token stream";
                let (message, label) = if lexer && let Some(p) = problem {
                    let (line, column) = p.position();
                    let at = crate::diag::Pos { line, column };
                    let mut d = Diagnostic::new(&src.name, at, at, "parse-error", &p.message());
                    d.excerpt = Some(src.excerpt(at, at));
                    return d;
                } else if lexer {
                    (
                        "this file does not parse as Rust: a bracket, brace or parenthesis is not closed, or is closed by the wrong one".to_owned(),
                        "the lexer stopped here".to_owned(),
                    )
                } else {
                    (
                        format!("this file does not parse as Rust: {e}"),
                        e.to_string(),
                    )
                };
                let mut d = src.diagnostic(e.span(), "parse-error", &message);
                d.label = Some(label);
                d
            })
        };
        let ast = match parsed {
            Ok(ast) => ast,
            Err(d) => {
                let file = File {
                    src,
                    parsed: false,
                    imported: HashSet::new(),
                    own_sizes: Sizes::new(),
                    own_kinds: Kinds::new(),
                    own_structs: HashMap::new(),
                    decls: DimSites::default(),
                    allows: Vec::new(),
                    parts: None,
                };
                let collected = Collected {
                    file,
                    sizes: Sizes::new(),
                    kinds: Vec::new(),
                    returns: Vec::new(),
                    params: Vec::new(),
                    structs: Vec::new(),
                    diagnostics: vec![d],
                };
                return (None, collected);
            }
        };
        let mut c = Collector::new(&src);
        c.visit_file(&ast);
        let collected = Crate::collected(&src, c, None, || {
            let mut spans = ItemSpans(&src, Vec::new());
            spans.visit_file(&ast);
            spans.1
        });
        (Some(ast), collected)
    }

    /// Pass 1 of a file too large to parse whole, one range of top-level items at a time
    /// (a syn tree takes about 50 times its source: a 2.3 MB file would hold 340 MB at
    /// once). `None` when a range does not parse on its own: the file is then parsed whole,
    /// so that its error is reported as for any file.
    fn parse_parts(src: &Source, ranges: Vec<std::ops::Range<usize>>) -> Option<Collected> {
        let parts: Vec<Source> = ranges.iter().map(|r| src.part(r.start)).collect();
        let mut c = Collector::new(src);
        let mut spans = Vec::new();
        for (range, part) in ranges.iter().zip(&parts) {
            let ast = syn::parse_file(&src.text[range.clone()]).ok()?;
            c.src = part;
            c.visit_file(&ast);
            let mut item_spans = ItemSpans(part, Vec::new());
            item_spans.visit_file(&ast);
            spans.extend(item_spans.1);
        }
        Some(Crate::collected(src, c, Some(ranges), || spans))
    }

    /// What pass 1 found in a file: `c`'s declarations, its allow comments (`item_spans`
    /// gives the lines of its items, asked for only when it has one), and how pass 2 reads
    /// it (`parts`).
    fn collected(
        src: &Source,
        c: Collector<'_>,
        parts: Option<Vec<std::ops::Range<usize>>>,
        item_spans: impl FnOnce() -> Vec<(usize, usize)>,
    ) -> Collected {
        let Collector {
            sizes,
            kinds,
            imported,
            returns,
            params,
            structs,
            mut out,
            decls,
            ..
        } = c;
        let (allows, bad) = crate::config::inline_allows(&src.text, item_spans);
        for (line, message) in bad {
            let at = crate::diag::Pos { line, column: 1 };
            let mut d = Diagnostic::new(&src.name, at, at, "annotation", &message);
            d.excerpt = Some(src.excerpt(at, at));
            out.push(d);
        }
        let own_kinds = kinds.iter().cloned().collect();
        let file = File {
            // Shares the text and its index.
            src: src.clone(),
            parsed: true,
            imported,
            own_sizes: sizes.clone(),
            own_kinds,
            own_structs: structs.iter().cloned().collect(),
            decls,
            allows,
            parts,
        };
        Collected {
            file,
            sizes,
            kinds,
            returns,
            params,
            structs,
            diagnostics: out,
        }
    }

    /// The crate of the collected files: a name declared twice alike is known, one declared
    /// differently in two files is left to each file's own declarations.
    pub(crate) fn merge(collected: Vec<Collected>) -> Crate {
        let mut files = Vec::with_capacity(collected.len());
        let mut diagnostics = Vec::new();
        let mut sizes = Sizes::new();
        let mut returns: HashMap<String, Option<Shape>> = HashMap::new();
        let mut params: HashMap<String, Option<Vec<Option<Shape>>>> = HashMap::new();
        let mut structs: HashMap<String, Option<HashMap<String, Field>>> = HashMap::new();
        let mut kinds: HashMap<String, Option<Option<String>>> = HashMap::new();
        for c in collected {
            for (name, kind) in c.kinds {
                agree(&mut kinds, name, kind);
            }
            for (name, fields) in c.structs {
                agree(&mut structs, name, fields);
            }
            for (name, size) in c.sizes {
                let entry = sizes.entry(name).or_insert(size);
                if *entry != size {
                    *entry = None;
                }
            }
            for (name, shape) in c.returns {
                agree(&mut returns, name, shape);
            }
            for (name, shapes) in c.params {
                agree(&mut params, name, shapes);
            }
            diagnostics.extend(c.diagnostics);
            files.push(c.file);
        }
        Crate {
            files,
            sizes,
            kinds: kinds
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            returns: returns
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            params: params
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            structs: structs
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            diagnostics,
        }
    }
}

/// Records `value` for `name` as the files merge: a name declared twice alike is known, one
/// declared differently is known as neither (`None`).
fn agree<V: PartialEq>(map: &mut HashMap<String, Option<V>>, name: String, value: V) {
    match map.entry(name) {
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(Some(value));
        }
        std::collections::hash_map::Entry::Occupied(mut e) => {
            if e.get().as_ref() != Some(&value) {
                e.insert(None);
            }
        }
    }
}

/// One row of `infralens explain`: a value of the function and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `param`, `let` or `return`.
    pub kind: &'static str,
    /// The variable (`return` for the returned value).
    pub var: String,
    /// The expression, as written (empty for parameters).
    pub expr: String,
    /// Its dims.
    pub shape: Shape,
    /// Bytes of one element.
    pub elem_bytes: usize,
    /// The matmuls of the expression.
    pub cost: Cost,
}

/// What `explain` asks of the checker: the function to trace, and where its rows go.
pub(crate) struct Explain {
    pub function: String,
    /// `Type` of a `FILE::Type::method` target: only a method of that type's impls.
    pub self_type: Option<String>,
    pub found: bool,
    pub rows: Vec<Row>,
    pub trace: Vec<Node>,
}

/// Pass 2: every annotated function.
pub(crate) struct Checker<'a> {
    pub krate: &'a Crate,
    pub file: usize,
    /// The file's source, for the part of it being checked (see [`Source::part`]).
    pub src: &'a Source,
    pub impl_generics: Vec<HashSet<String>>,
    /// The `Self` type of each enclosing impl block, when it is a plain name.
    pub impl_self: Vec<Option<String>>,
    pub out: &'a mut Vec<Diagnostic>,
    pub explain: Option<&'a mut Explain>,
    /// The sizes this file sees: its own `dims!` first (a name there is that file's
    /// type), then the rest of the crate's.
    pub sizes: Sizes,
    /// The kinds this file sees, in the same order.
    pub kinds: Kinds,
}

impl Crate {
    /// The sizes file `file` sees (see [`Checker::sizes`]).
    pub(crate) fn sizes_for(&self, file: usize) -> Sizes {
        let mut sizes = self.sizes.clone();
        sizes.extend(self.files[file].own_sizes.clone());
        sizes
    }

    /// The kinds file `file` sees: its own first (see [`Checker::kinds`]).
    pub(crate) fn kinds_for(&self, file: usize) -> Kinds {
        let mut kinds = self.kinds.clone();
        kinds.extend(self.files[file].own_kinds.clone());
        kinds
    }
}

/// The name of an impl block's `Self` type, when it is a plain path: `Attention` in
/// `impl Attention` and `impl<B: Dim> Attention<B>`.
fn self_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

/// The line spans of a file's items, fields and statements, for the allow comments (lines
/// of the file, through the source of the part parsed).
struct ItemSpans<'a>(&'a Source, Vec<(usize, usize)>);

impl ItemSpans<'_> {
    fn note(&mut self, span: Span) {
        let (start, end) = self.0.positions(span);
        self.1.push((start.line, end.line));
    }
}

impl<'ast> Visit<'ast> for ItemSpans<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.note(i.span());
        syn::visit::visit_item(self, i);
    }
    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.note(i.span());
        syn::visit::visit_impl_item(self, i);
    }
    fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
        self.note(i.span());
        syn::visit::visit_trait_item(self, i);
    }
    fn visit_field(&mut self, f: &'ast syn::Field) {
        self.note(f.span());
        syn::visit::visit_field(self, f);
    }
    fn visit_stmt(&mut self, st: &'ast Stmt) {
        self.note(st.span());
        syn::visit::visit_stmt(self, st);
    }
}

/// The names a pattern binds.
fn pat_idents(pat: &syn::Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// Whether a parameter is a tensor whose type is written in full (`x: &Tensor<(B, S, D)>`):
/// such a function is followed without an annotation.
fn typed_tensor_params(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(t) => tensor_type(&t.ty).is_some(),
        FnArg::Receiver(_) => false,
    })
}

fn generic_names(g: &syn::Generics) -> HashSet<String> {
    g.type_params().map(|p| p.ident.to_string()).collect()
}

impl VisitMut for Checker<'_> {
    // As in the collector: annotated functions are items, not expressions.
    fn visit_expr_mut(&mut self, _: &mut syn::Expr) {}

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        self.impl_generics.push(generic_names(&i.generics));
        self.impl_self.push(self_type_name(&i.self_ty));
        syn::visit_mut::visit_item_impl_mut(self, i);
        self.impl_self.pop();
        self.impl_generics.pop();
    }

    fn visit_item_fn_mut(&mut self, f: &mut ItemFn) {
        if self.wants(&f.attrs, &f.sig) {
            self.check_fn(f);
        }
        syn::visit_mut::visit_item_fn_mut(self, f);
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        if self.wants(&f.attrs, &f.sig) {
            // Checked as a free function; the parts are moved, not copied, and put back.
            let empty = syn::Block {
                brace_token: f.block.brace_token,
                stmts: Vec::new(),
            };
            let mut func = ItemFn {
                attrs: std::mem::take(&mut f.attrs),
                vis: f.vis.clone(),
                sig: f.sig.clone(),
                block: Box::new(std::mem::replace(&mut f.block, empty)),
            };
            self.check_fn(&mut func);
            f.attrs = func.attrs;
            f.block = *func.block;
        }
        syn::visit_mut::visit_impl_item_fn_mut(self, f);
    }
}

impl Checker<'_> {
    /// Annotated functions are checked; `explain` also wants to hear of its function when
    /// it is not annotated, to say so.
    ///
    /// Every function is followed, annotated or not: a `let` of a typed constructor
    /// (`Tensor::<(B, S, D)>::randn(0)`) or a parameter written in full gives the shapes, as
    /// it does to the compiler.
    fn wants(&self, _attrs: &[Attribute], _sig: &syn::Signature) -> bool {
        true
    }

    /// Whether the function being visited belongs to the type `explain` names, if any.
    fn in_type(&self, e: &Explain) -> bool {
        e.self_type
            .as_ref()
            .is_none_or(|t| self.impl_self.last().is_some_and(|s| s.as_ref() == Some(t)))
    }

    fn check_fn(&mut self, func: &mut ItemFn) {
        let explaining = self
            .explain
            .as_ref()
            .is_some_and(|e| !e.found && func.sig.ident == e.function && self.in_type(e));
        let attr = func.attrs.iter().find(|a| is_shapes_attr(a)).cloned();
        // Unannotated functions are followed too; `explain` still says that a function is
        // not annotated, unless its tensor parameters are written in full.
        if attr.is_none() && explaining && !typed_tensor_params(&func.sig) {
            if explaining && let Some(e) = self.explain.as_mut() {
                e.found = true;
            }
            return;
        }
        let file = &self.krate.files[self.file];
        let src = self.src;
        let mut out = Vec::new();

        let args = match attr {
            None => None,
            Some(attr) => match shapes_args(&attr) {
                Ok(args) => Some(args),
                Err(e) => {
                    push_errors(&mut out, src, "annotation", e);
                    None
                }
            },
        };
        let annotated = func.attrs.iter().any(is_shapes_attr);
        let mut signature_ok = !annotated;
        if let Some(args) = &args {
            match apply_signature(args, func) {
                Ok(()) => signature_ok = true,
                Err(e) => push_errors(&mut out, src, "annotation", e),
            }
        }

        // Every dim an annotation names must be declared somewhere.
        let mut known: HashSet<String> = generic_names(&func.sig.generics);
        known.extend(self.impl_generics.iter().flatten().cloned());
        let mut unknown: Vec<(String, Span)> = Vec::new();
        let mut note_dims = |dims: &mut dyn Iterator<Item = &syn::Ident>| {
            for d in dims {
                let name = d.to_string();
                if !known.contains(&name)
                    && !self.krate.sizes.contains_key(&name)
                    && !file.imported.contains(&name)
                    && !unknown.iter().any(|(n, _)| *n == name)
                {
                    unknown.push((name, d.span()));
                }
            }
        };
        if let Some(args) = &args {
            for p in &args.params {
                note_dims(&mut p.shape.dims.iter());
            }
            if let Some(r) = &args.ret {
                note_dims(&mut r.dims.iter());
            }
            for r in &args.relations {
                note_dims(&mut [&r.left, &r.a, &r.b].into_iter());
            }
        }

        // Parameters, then each `let` in order.
        let mut infer = Infer {
            env: HashMap::new(),
            structs: &self.krate.structs,
            own_structs: &self.krate.files[self.file].own_structs,
            sizes: &self.sizes,
            kinds: &self.kinds,
            self_type: self.impl_self.last().cloned().flatten(),
            chunks: HashMap::new(),
            layers: HashMap::new(),
            returns: &self.krate.returns,
            params: &self.krate.params,
            src,
            decls: &self.krate.files[self.file].decls,
            findings: Vec::new(),
            cost: Cost::default(),
            closures: HashMap::new(),
            closure_result: None,
            trace: explaining.then(Tracer::default),
            pending: Cost::default(),
        };
        let mut rows = Vec::new();
        for arg in &func.sig.inputs {
            if let FnArg::Typed(t) = arg
                && let Some(name) = pat_name(&t.pat)
                && let Some((shape, bytes)) = tensor_type(&t.ty)
            {
                rows.push(Row {
                    kind: "param",
                    var: name.to_string(),
                    expr: String::new(),
                    shape: shape.clone(),
                    elem_bytes: bytes,
                    cost: Cost::default(),
                });
                if let Some(t) = infer.trace.as_mut() {
                    let i = t.nodes.len();
                    t.nodes
                        .push(Node::leaf(&name.to_string(), "param", shape.clone()));
                    t.vars.insert(name.to_string(), i);
                }
                infer.env.insert(name.to_string(), shape);
            } else if let FnArg::Typed(t) = arg
                && let Some(name) = pat_name(&t.pat)
                && let Some(layer) = field_type(&t.ty)
            {
                infer.layers.insert(name.to_string(), layer);
            }
        }
        let default_bytes = rows.first().map_or(4, |r| r.elem_bytes);
        let mut let_dims: Vec<syn::Ident> = Vec::new();
        let walked = walk_lets(&mut func.block, |site| {
            if let Some((shape, _)) = site.shape {
                let_dims.extend(shape.dims.iter().cloned());
            }
            // A binding whose shape is not known shadows any earlier one of its name: a
            // pattern (`let (q, k) = …`), a deferred `let y;`, or a value not followed.
            let Some(name) = site.name else {
                for id in pat_idents(&site.local.pat) {
                    infer.env.remove(&id);
                    infer.chunks.remove(&id);
                }
                // `let [q, k, v] = x.chunk::<Three, D>();` (also through `.try_into()` and
                // a written type), `let [q, k] = [&a[0], &a[1]];`, `let (q, k) = (a, b);`
                // and `let (keys, values) = cache.append::<S, T>(&k, &v)?;`.
                let pat = match &site.local.pat {
                    syn::Pat::Type(t) => &*t.pat,
                    p => p,
                };
                let elems = match pat {
                    syn::Pat::Slice(slice) => Some(&slice.elems),
                    syn::Pat::Tuple(tuple) => Some(&tuple.elems),
                    _ => None,
                };
                if signature_ok
                    && elems.is_none()
                    && let Some(init) = &site.local.init
                {
                    // `let _ = …;` and other patterns: what the value computes is checked.
                    infer.infer(&init.expr);
                }
                if signature_ok
                    && let Some(elems) = elems
                    && let Some(init) = &site.local.init
                {
                    let names: Vec<Option<String>> = elems
                        .iter()
                        .map(|p| pat_name(p).map(|n| n.to_string()))
                        .collect();
                    let shapes: Vec<Option<Shape>> = match &*init.expr {
                        syn::Expr::Array(a) => a.elems.iter().map(|e| infer.infer(e)).collect(),
                        syn::Expr::Tuple(t) => t.elems.iter().map(|e| infer.infer(e)).collect(),
                        e => {
                            let reported = infer.findings.len();
                            let part = infer.chunk_parts(e).or_else(|| infer.appended(e));
                            if part.is_none() && infer.findings.len() == reported {
                                // Not followed into the pattern, still checked.
                                infer.infer(e);
                            }
                            vec![part; names.len()]
                        }
                    };
                    if shapes.len() == names.len() {
                        for (i, (name, shape)) in names.into_iter().zip(shapes).enumerate() {
                            if let (Some(name), Some(shape)) = (name, shape) {
                                if explaining {
                                    rows.push(Row {
                                        kind: "let",
                                        var: name.clone(),
                                        expr: src.text_of(init.expr.span()).to_owned(),
                                        shape: shape.clone(),
                                        elem_bytes: default_bytes,
                                        cost: Cost::default(),
                                    });
                                    infer.trace_part(&name, &init.expr, i, &shape);
                                }
                                infer.env.insert(name, shape);
                            }
                        }
                    }
                }
                return None;
            };
            infer.chunks.remove(&name.to_string());
            infer.layers.remove(&name.to_string());
            infer.closures.remove(&name.to_string());
            if let Some(init) = site.local.init.as_ref()
                && let syn::Expr::Closure(closure) = &*init.expr
            {
                // Followed where it is called.
                infer.env.remove(&name.to_string());
                infer.closures.insert(name.to_string(), closure.clone());
                return None;
            }
            let Some(init) = site.local.init.as_ref() else {
                infer.env.remove(&name.to_string());
                return None;
            };
            // A layer or RoPE table: `let rope = Rope::<T, Dh>::new(…);`.
            let declared = match &site.local.pat {
                syn::Pat::Type(t) => field_type(&t.ty).filter(|f| !matches!(f, Field::Tensor(_))),
                _ => None,
            };
            if signature_ok
                && site.shape.is_none()
                && (declared.is_some() || matches!(&*init.expr, syn::Expr::Call(_)))
                && let Some(layer) = infer.layer(&init.expr, declared.as_ref())
            {
                infer.env.remove(&name.to_string());
                infer.layers.insert(name.to_string(), layer);
                return None;
            }
            if signature_ok
                && site.shape.is_none()
                && let Some(part) = infer.chunk_parts(&init.expr)
            {
                infer.env.remove(&name.to_string());
                infer.chunks.insert(name.to_string(), part);
                return None;
            }
            infer.cost = Cost::default();
            let inferred = if signature_ok {
                infer.infer(&init.expr)
            } else {
                None
            };
            let written = match &site.local.pat {
                syn::Pat::Type(t) => tensor_type(&t.ty).map(|(s, _)| s),
                _ => None,
            };
            let expected = site
                .shape
                .map(|(s, a)| {
                    (
                        s.dims.iter().map(ToString::to_string).collect::<Shape>(),
                        a.span(),
                    )
                })
                .or_else(|| written.map(|s| (s, name.span())));
            if let (Some((want, at)), Some(got)) = (&expected, &inferred)
                && want != got
            {
                let name = name.to_string();
                let mut d = crate::infer::finding(
                    src,
                    *at,
                    &rules::LET_SHAPE,
                    &[
                        ("Name", &name),
                        ("Expected", &tuple(want)),
                        ("Self", &tuple(got)),
                    ],
                );
                d.notes.push(format!(
                    "`{}` has the shape `{}`",
                    src.text_of(init.expr.span()),
                    tuple(got)
                ));
                infer.findings.push(d);
            }
            let Some(shape) = expected.map(|(s, _)| s).or(inferred) else {
                infer.env.remove(&name.to_string());
                return None;
            };
            if explaining {
                rows.push(Row {
                    kind: "let",
                    var: name.to_string(),
                    expr: src.text_of(init.expr.span()).to_owned(),
                    shape: shape.clone(),
                    elem_bytes: default_bytes,
                    cost: infer.cost,
                });
                infer.trace_binding(&name.to_string(), &init.expr, &shape);
            }
            infer.env.insert(name.to_string(), shape);
            None
        });
        if let Err(e) = walked {
            push_errors(&mut out, src, "annotation", e);
        }
        note_dims(&mut let_dims.iter());
        for (name, span) in &unknown {
            let fn_name = &func.sig.ident;
            let mut d = src.diagnostic(
                *span,
                "unknown-dim",
                &format!(
                    "unknown dim `{name}`: declare it in a `dims!` block, as in `pub {name} = 4;`, or make it a generic parameter: `fn {fn_name}<{name}: Dim>`"
                ),
            );
            d.label = Some("not declared in any `dims!` block of the crate".to_owned());
            out.push(d);
        }

        // The returned value against the return shape: the annotation's, or the type
        // written in full.
        let ret: Option<Shape> = match args.as_ref() {
            Some(a) => a
                .ret
                .as_ref()
                .map(|r| r.dims.iter().map(ToString::to_string).collect()),
            None => match &func.sig.output {
                syn::ReturnType::Type(_, ty) => tensor_type(ty).map(|(s, _)| s),
                syn::ReturnType::Default => None,
            },
        };
        if signature_ok
            && unknown.is_empty()
            && let Some(want) = ret
            && let Some(Stmt::Expr(tail, None)) = func.block.stmts.last()
        {
            infer.cost = Cost::default();
            if let Some(got) = infer.infer(tail) {
                if want != got {
                    let d = crate::infer::finding(
                        src,
                        tail.span(),
                        &rules::RETURN_SHAPE,
                        &[
                            ("Fn", &func.sig.ident.to_string()),
                            ("Expected", &tuple(&want)),
                            ("Found", &tuple(&got)),
                        ],
                    );
                    infer.findings.push(d);
                }
                if explaining {
                    infer.trace_binding("return", tail, &want);
                    rows.push(Row {
                        kind: "return",
                        var: "return".to_owned(),
                        expr: src.text_of(tail.span()).to_owned(),
                        shape: want,
                        elem_bytes: default_bytes,
                        cost: infer.cost,
                    });
                }
            }
        }
        if unknown.is_empty() {
            out.extend(infer.findings);
        }
        self.out.extend(out);
        if explaining && let Some(e) = self.explain.as_mut() {
            e.found = true;
            e.rows = rows;
            e.trace = infer.trace.map(|t| t.nodes).unwrap_or_default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lint_sources;
    use crate::source::Source;

    /// `Dh = D / H` is offered where the head width is a number declared in the same file
    /// and no width is declared `H * Dh`: a model that sets its head width on its own (as
    /// Qwen3) declares one, and there the fix would be wrong.
    #[test]
    fn the_head_width_fix_is_offered_only_where_it_is_right() {
        let code = |dims: &str| {
            format!(
                "dims! {{ pub B = 2; pub S = 4; pub D = 16; pub H = 4; {dims} }}\n\
                 #[shapes(x: [B, S, D] -> [B, H, S, Dh])]\n\
                 fn heads(x: &Tensor) -> Tensor {{ x.split_heads::<H, Dh>() }}\n"
            )
        };
        let fixes = |sources: Vec<Source>| {
            let report = lint_sources(sources);
            assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
            let d = &report.diagnostics[0];
            assert!(
                d.message.contains("must equal `D`: the heads partition"),
                "{}",
                d.message
            );
            d.fixes
                .iter()
                .flat_map(|f| {
                    f.edits
                        .iter()
                        .map(|e| (e.start.line, e.start.column, e.replacement.clone()))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fixes(vec![Source::new("a.rs", code("pub Dh = 8;"))]),
            vec![(1, 63, "D / H".to_owned())]
        );
        // Qwen3: the query width is `H * Dh`, and the head width is right as it is.
        assert!(
            fixes(vec![Source::new(
                "a.rs",
                code("pub Dh = 8; pub Dq = H * Dh;")
            )])
            .is_empty()
        );
        // The call names the model width as the head width (Lab 02, exercise 04): the
        // declaration is right, the call is not, and `D = D / H` would be no fix.
        let wrong_dim =
            code("pub Dh = D / H;").replace("split_heads::<H, Dh>", "split_heads::<H, D>");
        assert!(fixes(vec![Source::new("a.rs", wrong_dim)]).is_empty());
        // Declared in another file: the edit would not be in the finding's file.
        let other = Source::new("dims.rs", "dims! { pub Dh = 8; }".into());
        let code = code("").replace("pub D = 16;", "pub D = 16; pub Dx = 1;");
        assert!(fixes(vec![Source::new("a.rs", code), other]).is_empty());
    }

    /// Files past the budget of kept syntax trees are parsed again in pass 2, and checked
    /// alike: the same bug planted in eleven files of 130 KB each (the first ones' trees
    /// kept, the last ones' parsed again), the dims declared in another file.
    #[test]
    fn kept_and_reparsed_files_are_checked_alike() {
        let bug = |i: usize| {
            format!(
                "#[shapes(x: [B, S, D], w: [D, F] -> [B, S, F])]\n\
                 fn project{i}(x: &Tensor, w: &Tensor) -> Tensor {{ w.matmul(x) }}\n"
            )
        };
        let filler = "// filler\n".repeat(super::KEPT_SOURCE / 10 / 8);
        let mut sources = vec![Source::new("a.rs", bug(0))];
        for i in 0..10 {
            sources.push(Source::new(
                &format!("f{i}.rs"),
                format!("fn f{i}() {{}}\n{filler}"),
            ));
        }
        sources.push(Source::new(
            "dims.rs",
            "dims! { pub B = 2; pub S = 4; pub D = 8; pub F = 16; }".into(),
        ));
        for i in 0..10 {
            let text = format!("{}{filler}", bug(i + 1));
            sources.push(Source::new(&format!("z{i}.rs"), text));
        }
        let total: usize = sources.iter().map(|s| s.text.len()).sum();
        assert!(
            total > 2 * super::KEPT_SOURCE,
            "{total} bytes: past the budget"
        );
        let report = lint_sources(sources);
        let files: Vec<&str> = report.diagnostics.iter().map(|d| d.file.as_str()).collect();
        assert_eq!(files.len(), 11, "{files:?}");
        assert_eq!(files[0], "a.rs");
        assert!(files[1..].iter().all(|f| f.starts_with('z')), "{files:?}");
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| crate::rules::covers("shape-mismatch", &d.code))
        );
    }

    /// A name declared with different sizes in two files is each file's own dim: the
    /// file's sizes win, and a size known nowhere for sure is not a finding.
    #[test]
    fn each_file_sees_its_own_dims() {
        let gqa = "dims! { pub B = 1; pub S = 4; pub D = 16; pub H = 4; pub Hkv = 2; pub Dh = D / H; }\n\
                   #[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\n\
                   fn rep(k: &Tensor) -> Tensor { k.repeat_kv::<H>() }";
        let other = "dims! { pub H = 16; pub Hkv = 3; }";
        let report = lint_sources(vec![
            Source::new("a.rs", gqa.into()),
            Source::new("b.rs", other.into()),
        ]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

        let bad = "dims! { pub B = 1; pub S = 4; pub Dh = 4; pub H = 4; pub Hkv = 3; }\n\
                   #[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\n\
                   fn rep(k: &Tensor) -> Tensor { k.repeat_kv::<H>() }";
        let report = lint_sources(vec![
            Source::new("c.rs", bad.into()),
            Source::new("b.rs", other.into()),
        ]);
        assert_eq!(
            report.diagnostics[0].message,
            "shape mismatch: `Hkv` key/value heads must divide `H` query heads"
        );
    }

    /// Model code keeps its weights in struct fields: `self.wk` and layers such as
    /// `self.o.forward(…)` are followed in methods, and a weight stored `(out, in)` is found.
    #[test]
    fn struct_fields_and_layers_are_followed() {
        let model = |keys: &str, out: &str| {
            format!(
                "dims! {{ pub B = 1; pub S = 4; pub D = 16; pub H = 4; pub Hkv = 2; pub Dh = D / H; pub Dkv = Hkv * Dh; }}\n\
                 struct Attn {{ wk: Tensor<(D, Dkv)>, wk_out_in: Tensor<(Dkv, D)>, o: Linear<D, D>, norm: RmsNorm<D> }}\n\
                 impl Attn {{\n\
                     #[shapes(x: [B, S, D] -> [B, Hkv, S, Dh])]\n\
                     fn keys(&self, x: &Tensor) -> Tensor {{\n\
                         #[shape(B, Hkv, S, Dh)]\n\
                         let k = {keys};\n\
                         k\n\
                     }}\n\
                     #[shapes(ctx: [B, H, S, Dh] -> [B, S, D])]\n\
                     fn out(&self, ctx: &Tensor) -> Tensor {{\n\
                         #[shape(B, S, D)]\n\
                         let y = {out};\n\
                         y\n\
                     }}\n\
                 }}\n"
            )
        };
        let clean = model(
            "x.matmul(&self.wk).split_heads::<Hkv, Dh>()",
            "self.norm.forward(&self.o.forward(&ctx.merge_heads::<D>()))",
        );
        let report = lint_sources(vec![Source::new("clean.rs", clean)]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

        let bad = model(
            "x.matmul(&self.wk_out_in).split_heads::<Hkv, Dh>()",
            "self.o.forward(ctx)",
        );
        let report = lint_sources(vec![Source::new("bad.rs", bad)]);
        let messages: Vec<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "shape mismatch: matmul contracts `D` with `Dkv`, but the left operand's last dim must be the right operand's row dim",
                "shape mismatch: matmul contracts `Dh` with `D`, but the left operand's last dim must be the right operand's row dim",
            ],
            "{:?}",
            report.diagnostics
        );
    }

    /// A function without `#[shapes]` whose tensor types are written in full is followed; a
    /// binding whose shape is unknown (a tuple pattern, a deferred `let`, an op not followed)
    /// shadows the earlier one instead of keeping its shape.
    #[test]
    fn unannotated_functions_are_followed_without_stale_shadows() {
        let dims =
            "dims! { pub B = 1; pub S = 4; pub D = 16; pub Dkv = 8; pub H = 2; pub Dh = 8; }\n";
        let unannotated = format!(
            "{dims}fn keys(x: &Tensor<(B, S, D)>, wk: &Tensor<(Dkv, D)>) -> Tensor<(B, S, Dkv)> {{ x.matmul(wk) }}\n"
        );
        let report = lint_sources(vec![Source::new("a.rs", unannotated)]);
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        assert!(
            report.diagnostics[0]
                .message
                .contains("matmul contracts `D` with `Dkv`")
        );

        let shadowed = format!(
            "{dims}fn heads(q: Tensor<(B, S, H, Dh)>, k: Tensor<(B, S, H, Dh)>) -> Tensor<(B, H, S, Dh)> {{\n\
                 let (q, k) = (q.transpose::<1, 2>(), k.transpose::<1, 2>());\n\
                 let _ = k;\n\
                 q\n\
             }}\n\
             fn later(q: Tensor<(B, S, H, Dh)>) -> Tensor<(B, H, S, Dh)> {{\n\
                 let q = unknown_op(q);\n\
                 q\n\
             }}\n"
        );
        let report = lint_sources(vec![Source::new("b.rs", shadowed)]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    }

    /// The parts of a `chunk` (bound whole, indexed, or destructured), `cat` along an axis,
    /// and the axis kinds of `reshape` and `repeat_kv`: followed, with the compiler's rules.
    /// A file too large to parse whole is read range by range in both passes: the dims
    /// declared at its top reach the functions at its end, a finding keeps its line and
    /// column, an allow comment still covers its item, and the result equals the same
    /// file's parsed whole (the code below the size limit).
    #[test]
    fn a_file_too_large_to_parse_whole_is_read_in_parts() {
        let head = "dims! { pub B = 2; pub S = 4; pub D = 16; pub F = 64; }\n";
        let function = |i: usize, body: &str| {
            format!(
                "/// Up {i}.\n#[shapes(x: [B, S, D], w: [D, F] -> [B, S, F])]\nfn up{i}(x: &Tensor, w: &Tensor) -> Tensor {{\n    {body}\n}}\n"
            )
        };
        let build = |n: usize| {
            let mut text = head.to_owned();
            for i in 0..n {
                let body = match i {
                    // A bug early, one allowed in the middle, one at the end.
                    3 => "x.matmul(&w.t())",
                    _ if i == n / 2 => {
                        "// infralens: allow(matmul-contraction)\n    x.matmul(&w.t())"
                    }
                    _ if i == n - 1 => "x.matmul(w).add(&x)",
                    _ => "x.matmul(w)",
                };
                text.push_str(&function(i, body));
            }
            text
        };
        let lint = |text: String| {
            let mut found = lint_sources(vec![Source::new("big.rs", text)]).diagnostics;
            found.sort_by_key(|d| d.start);
            found
                .iter()
                .map(|d| {
                    format!(
                        "{}:{} {} {}",
                        d.start.line, d.start.column, d.code, d.message
                    )
                })
                .collect::<Vec<_>>()
        };
        let big = build(6_000);
        assert!(big.len() > super::PARSED_WHOLE, "{} bytes", big.len());
        let found = lint(big.clone());
        assert_eq!(found.len(), 2, "{found:#?}");
        // Line 1 is the dims; each function is 5 lines: function 3's body is line 20.
        assert!(
            found[0].starts_with("20:14 matmul-contraction"),
            "{}",
            found[0]
        );
        let last = big.lines().count() - 1;
        assert!(
            found[1].starts_with(&format!("{last}:")),
            "{} (line {last})",
            found[1]
        );
        assert!(found[1].contains(" broadcast "), "{}", found[1]);
        // The same code small enough to parse whole gives the same findings, by line.
        let small = build(40);
        assert!(small.len() < super::PARSED_WHOLE);
        let small_found = lint(small.clone());
        assert_eq!(small_found.len(), 2, "{small_found:#?}");
        assert_eq!(small_found[0], found[0]);
    }

    #[test]
    fn chunks_cat_and_axis_kinds_are_followed() {
        let dims = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub P: Sequence = 2; pub T: Sequence = P + S;\n\
                    pub D: ModelWidth = 16; pub D3 = 3 * D; pub Three = 3; pub H: Heads = 4; pub Hkv: Heads = 2;\n\
                    pub Dh: HeadWidth = D / H; pub Dkv = Hkv * Dh; }\n";
        let lint = |body: &str| {
            let code = format!(
                "{dims}fn f(x: &Tensor<(B, S, D3)>, past: &Tensor<(B, Hkv, P, Dh)>, k: &Tensor<(B, S, Dkv)>) -> Tensor<(B, H, T, Dh)> {{\n{body}\n}}\n"
            );
            let report = lint_sources(vec![Source::new("m.rs", code)]);
            report
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.start.line, d.message))
                .collect::<Vec<_>>()
        };
        let clean = "let [q, _k, _v] = x.chunk::<Three, D>();\n\
                     let parts = x.chunk::<Three, D>();\n\
                     let q2 = parts[0].split_heads::<H, Dh>();\n\
                     let _raw = q.reshape_raw::<(B, H, S, Dh)>();\n\
                     let k = k.split_heads::<Hkv, Dh>();\n\
                     let keys = cat::<2, T, _, _, _>(past, &k);\n\
                     let _ = q2;\n\
                     keys.repeat_kv::<H>()";
        assert_eq!(lint(clean), Vec::<String>::new());

        let wrong_part = clean.replace(
            "let parts = x.chunk::<Three, D>();",
            "let parts = x.chunk::<Three, Dh>();",
        );
        assert_eq!(
            lint(&wrong_part),
            [
                "6: shape mismatch: `Three` × `Dh` must equal `D3`: `chunk` cuts the last axis into `Three` equal parts of `Dh`"
            ]
        );
        let part_as_keys = clean.replace(
            "let q2 = parts[0].split_heads::<H, Dh>();",
            "let q2 = parts[0].matmul(&k);",
        );
        assert_eq!(
            lint(&part_as_keys),
            [
                "7: shape mismatch: matmul contracts `D` with `S`, but the left operand's last dim must be the right operand's row dim"
            ]
        );
        let wrong_axis = clean.replace("cat::<2, T", "cat::<1, T");
        assert_eq!(
            lint(&wrong_axis),
            [
                "10: shape mismatch: `cat` along axis 1 joins `(B, Hkv, P, Dh)` and `(B, Hkv, S, Dh)`, but every other axis must be the same dim"
            ]
        );
        let wrong_sum = clean.replace("cat::<2, T", "cat::<2, S");
        assert_eq!(
            lint(&wrong_sum),
            ["10: shape mismatch: `P` + `S` must equal `S`: `cat` joins the two along this axis"]
        );
        let not_transposed = clean.replace(
            "let k = k.split_heads::<Hkv, Dh>();",
            "let k = k.reshape::<(B, S, Hkv, Dh)>();",
        );
        assert_eq!(
            lint(&not_transposed),
            [
                "9: shape mismatch: reshaping `(B, S, Dkv)` into `(B, S, Hkv, Dh)` moves axes across each other, which a reshape cannot do"
            ]
        );
        let positions_as_heads = clean.replace(
            "keys.repeat_kv::<H>()",
            "keys.transpose::<1, 2>().repeat_kv::<H>()",
        );
        assert_eq!(
            lint(&positions_as_heads),
            [
                "12: shape mismatch: `T` stands where the heads go (axis 1 of `(B, H, S, Dh)`), but `T` is declared a `Sequence` axis"
            ]
        );
    }

    /// A block calling the layers of the crate: `self.attn.forward(…)`, `self.helper(…)` and
    /// `Self::helper(…)` return what those methods are annotated to, so a mistake after
    /// them is found, and a correct block is clean.
    #[test]
    fn methods_of_the_crate_s_own_types_are_followed() {
        let code = |use_it: &str| {
            format!(
                "dims! {{ pub B = 1; pub S = 4; pub D = 16; pub F = 48; }}\n\
                 struct Attention {{ wo: Tensor<(D, D)> }}\n\
                 impl Attention {{\n\
                     #[shapes(x: [B, S, D] -> [B, S, D])]\n\
                     fn forward(&self, x: &Tensor) -> Tensor {{ x.matmul(&self.wo) }}\n\
                 }}\n\
                 struct Block {{ attn: Attention, up: Tensor<(D, F)> }}\n\
                 impl Block {{\n\
                     #[shapes(x: [B, S, D] -> [B, S, F])]\n\
                     fn widen(&self, x: &Tensor) -> Tensor {{ x.matmul(&self.up) }}\n\
                     #[shapes(x: [B, S, D] -> [B, S, F])]\n\
                     fn forward(&self, x: &Tensor) -> Tensor {{\n\
                         let h = self.attn.forward(x);\n\
                         let a = self.widen(&h);\n\
                         let b = Self::widen(self, &h);\n\
                         {use_it}\n\
                     }}\n\
                 }}\n"
            )
        };
        let lint = |use_it: &str| {
            lint_sources(vec![Source::new("block.rs", code(use_it))])
                .diagnostics
                .into_iter()
                .map(|d| (d.start.line, d.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(lint("let _ = b; a"), []);
        assert_eq!(
            lint("let _ = b; a.matmul(&self.up)"),
            [(
                16,
                "shape mismatch: matmul contracts `F` with `D`, but the left operand's last dim must be the right operand's row dim".to_owned()
            )]
        );
        assert_eq!(
            lint("let _ = a; b.matmul(&self.up)"),
            [(
                16,
                "shape mismatch: matmul contracts `F` with `D`, but the left operand's last dim must be the right operand's row dim".to_owned()
            )]
        );
    }

    /// An unnamed `Tensor` parameter is told to get a name, not to write `_: [B, S, D]`
    /// (which the grammar rejects).
    #[test]
    fn an_unnamed_tensor_parameter_is_told_to_get_a_name() {
        let code = "dims! { pub B = 2; pub S = 4; }\n#[shapes(x: [B, S] -> [B, S])]\nfn f(x: &Tensor, _: &Tensor) -> Tensor { x.clone() }\n";
        let report = lint_sources(vec![Source::new("u.rs", code.into())]);
        assert_eq!(
            report.diagnostics[0].message,
            "this `Tensor` parameter has no name and no shape: name it (`x: &Tensor`) and add `x: [B, S, D]` (its dims) to `#[shapes(...)]`"
        );
    }
}
