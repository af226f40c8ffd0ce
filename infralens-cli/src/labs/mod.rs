//! The labs: the learner's working crate and its progress, checking the current exercise,
//! and the lab page in the terminal. The embedded catalogue they read lives in
//! [`catalog`](crate::catalog) (re-exported here).

pub use crate::catalog::{
    Catalog, Exercise, LIBRARY_DIR, Lab, catalog, file, files, lab_for, library, vendored_manifest,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod exercise;
pub use exercise::*;

/// The marker and progress file of a working crate.
pub const STATE_FILE: &str = ".infralens-labs";

/// A learner's working crate, made by `infralens labs --init DIR`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Its root.
    pub root: PathBuf,
    /// The exercises done, by name.
    pub done: Vec<String>,
    /// How many of its hints each exercise has been given, by name.
    pub hints: std::collections::BTreeMap<String, usize>,
}

impl Workspace {
    /// The working crate containing `dir` (or one of its parents).
    ///
    /// # Errors
    /// `dir` is in no working crate: the message says how to make one.
    pub fn find(dir: &Path) -> Result<Workspace, String> {
        let root = dir
            .ancestors()
            .find(|d| d.join(STATE_FILE).is_file())
            .ok_or_else(|| {
                "this is not a lab working crate: make one with `infralens labs --init DIR`, then run this inside DIR".to_owned()
            })?;
        let text = std::fs::read_to_string(root.join(STATE_FILE))
            .map_err(|e| format!("cannot read {STATE_FILE}: {e}"))?;
        let done = text
            .lines()
            .filter_map(|l| l.strip_prefix("done "))
            .map(str::to_owned)
            .collect();
        // `hinted NAME N`: N hints given (a line it cannot read is left out, as if none).
        let hints = text
            .lines()
            .filter_map(|l| l.strip_prefix("hinted "))
            .filter_map(|l| {
                let (name, n) = l.rsplit_once(' ')?;
                Some((name.to_owned(), n.parse().ok()?))
            })
            .collect();
        Ok(Workspace {
            root: root.to_path_buf(),
            done,
            hints,
        })
    }

    /// Records `exercise` as done.
    ///
    /// # Errors
    /// The state file cannot be written.
    pub fn mark_done(&mut self, exercise: &str) -> Result<(), String> {
        if !self.done.iter().any(|d| d == exercise) {
            self.done.push(exercise.to_owned());
        }
        self.save()
    }

    /// The next of `exercise`'s three hints ([`Exercise::hints`]), as shown: the first when
    /// none was given, the last once all were; the count is saved.
    ///
    /// # Errors
    /// The state file cannot be written.
    pub fn next_hint(&mut self, exercise: &Exercise) -> Result<String, String> {
        let given = self.hints.get(&exercise.name).copied().unwrap_or(0);
        let level = (given + 1).min(3);
        self.hints.insert(exercise.name.clone(), level);
        self.save()?;
        let text = &exercise.hints()[level - 1];
        let more = if level < 3 {
            " (ask again for the next hint)"
        } else {
            ""
        };
        Ok(format!(
            "hint {level} of 3 ({}): {text}{more}",
            exercise.name
        ))
    }

    /// Forgets that `exercise` was done.
    ///
    /// # Errors
    /// The state file cannot be written.
    pub fn mark_todo(&mut self, exercise: &str) -> Result<(), String> {
        self.done.retain(|d| d != exercise);
        self.save()
    }

    /// Writes the progress file (the tool's own), never through a link out of the crate.
    fn save(&self) -> Result<(), String> {
        crate::write::create(
            &self.root.join(STATE_FILE),
            state_text(&self.done, &self.hints).as_bytes(),
            &self.root,
            |_| true,
        )
        .map_err(|e| e.to_string())
    }

    /// Puts `exercise` back as shipped, and marks it to do.
    ///
    /// # Errors
    /// The file or the state file cannot be written.
    pub fn reset(&mut self, exercise: &Exercise) -> Result<(), String> {
        // Asked for: the learner's version is replaced, but never through a link that
        // leads out of the working crate (into their notes, say).
        let path = self.root.join(exercise.path());
        crate::write::create(&path, exercise.source().as_bytes(), &self.root, |_| true)
            .map_err(|e| e.to_string())?;
        self.mark_todo(&exercise.name)
    }

    /// The first exercise of `lab` not done yet.
    pub fn current<'a>(&self, catalog: &'a Catalog, lab: &'a Lab) -> Option<&'a Exercise> {
        catalog
            .exercises_of(lab)
            .find(|e| !self.done.contains(&e.name))
    }
}

fn state_text(done: &[String], hints: &std::collections::BTreeMap<String, usize>) -> String {
    let mut s = String::from(
        "# InfraLens labs working crate: progress, one `done NAME` line per finished exercise,\n# one `hinted NAME N` line per exercise given N of its hints.\n",
    );
    for d in done {
        let _ = writeln!(s, "done {d}");
    }
    for (name, n) in hints {
        let _ = writeln!(s, "hinted {name} {n}");
    }
    s
}

/// Creates the working crate `dir`: a `Cargo.toml` with one binary per exercise, the
/// exercises as shipped, the lab pages, and an empty progress file. `infralens` is the
/// dependency line for the `infralens` crate: `None` writes the library's source this binary
/// carries into `dir/infralens-src` (with its lock file) and depends on that, so that the
/// crate builds wherever it is and whatever became of the checkout — or, for a binary built
/// from a registry (which carries no source), depends on the registry's `infralens` of its
/// own version ([`registry_dependency`]); `Some(line)` uses the line as given (a path to a
/// checkout).
///
/// # Errors
/// `dir` exists and is not empty, or cannot be written.
pub fn init(dir: &Path, infralens: Option<&str>) -> Result<(), String> {
    let new_dir = "give a new directory, as in `infralens labs --init ~/infralens-labs`";
    if let Ok(link) = std::fs::symlink_metadata(dir) {
        match std::fs::metadata(dir) {
            Err(_) if link.is_symlink() => {
                let target = std::fs::read_link(dir).unwrap_or_default();
                return Err(format!(
                    "`{}` is a link to `{}`, which does not exist: {new_dir}",
                    dir.display(),
                    target.display()
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(format!(
                    "`{}` is a file, not a directory: {new_dir}",
                    dir.display()
                ));
            }
            _ => {}
        }
        let mut entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "`{}` exists and is not empty: {new_dir}",
                dir.display()
            ));
        }
    }
    let catalog = catalog()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    // Into the new, empty directory: nothing there is replaced.
    let write = |rel: &str, text: &str| -> Result<(), String> {
        crate::write::create(&dir.join(rel), text.as_bytes(), dir, |_| false)
            .map_err(|e| e.to_string())
    };
    let vendored = format!("infralens = {{ path = \"{LIBRARY_DIR}\" }}");
    let infralens = match infralens {
        Some(line) => line.to_owned(),
        // Built from a registry: the library of this binary's version, from the registry.
        None if library().is_empty() => registry_dependency(),
        None => {
            for (path, text) in library() {
                if *path == "Cargo.lock" {
                    write("Cargo.lock", text)?;
                } else if path.ends_with("Cargo.toml") {
                    write(&format!("{LIBRARY_DIR}/{path}"), &vendored_manifest(text)?)?;
                } else {
                    write(&format!("{LIBRARY_DIR}/{path}"), text)?;
                }
            }
            vendored
        }
    };
    let mut manifest = format!(
        "[package]\nname = \"infralens-labs\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\nautobins = false\n\n[dependencies]\n{infralens}\n\n# A crate of its own, wherever it is.\n[workspace]\n"
    );
    for ex in &catalog.exercises {
        let _ = write!(
            manifest,
            "\n[[bin]]\nname = \"{}\"\npath = \"{}\"\n",
            ex.bin(),
            ex.path()
        );
        write(&ex.path(), ex.source())?;
    }
    // The lab starters, as the examples the pages tell you to run (`cargo run --example
    // lab02_qkv`), beside the pages that link to them.
    for (name, path) in starters() {
        if let Some(text) = path.strip_prefix("labs/").and_then(file) {
            write(&path, text)?;
            let _ = write!(
                manifest,
                "\n[[example]]\nname = \"{name}\"\npath = \"{path}\"\n"
            );
        }
    }
    write("Cargo.toml", &manifest)?;
    for lab in &catalog.labs {
        let page = format!("{}/README.md", lab.dir);
        write(&format!("labs/{page}"), file(&page).unwrap_or(""))?;
    }
    write(".gitignore", "/target\n")?;
    write(
        "README.md",
        "# InfraLens labs\n\nYour working copy of the exercises: edit the files under `exercises/`.\n\n- `infralens labs`: the labs and your progress\n- `infralens lab 01`: a lab's page (labs 01 to 08)\n- `infralens lab 01 --check`: check that lab's current exercise (`--hint` for a hint)\n- `infralens watch`: re-check on every save (the first lab with work to do)\n",
    )?;
    write(STATE_FILE, &state_text(&[], &Default::default()))
}

/// The `infralens` dependency line on the registry's `infralens` of this binary's version
/// (the two are released together).
///
/// ```
/// let line = infralens_cli::labs::registry_dependency();
/// assert_eq!(line, format!("infralens = \"={}\"", env!("CARGO_PKG_VERSION")));
/// ```
pub fn registry_dependency() -> String {
    format!("infralens = \"={}\"", env!("CARGO_PKG_VERSION"))
}

/// The `infralens` dependency line on a checkout at `path`, the path quoted as TOML quotes
/// a string (whatever characters it has: quotes, backslashes, newlines, control characters).
///
/// ```
/// let line = infralens_cli::labs::path_dependency("/home/a \"b\"\\c");
/// let parsed: toml::Table = toml::from_str(&line).unwrap();
/// assert_eq!(parsed["infralens"]["path"].as_str(), Some("/home/a \"b\"\\c"));
/// ```
pub fn path_dependency(path: &str) -> String {
    format!(
        "infralens = {{ path = {} }}",
        toml::Value::String(path.to_owned())
    )
}

/// The lab starters: (example name, path in the repository) of each `[[example]]` of the
/// `infralens` manifest whose file is under `labs/`.
///
/// ```
/// let starters = infralens_cli::labs::starters();
/// assert!(starters.contains(&("lab02_qkv".to_owned(), "labs/02-qkv-shape-walkthrough/qkv.rs".to_owned())));
/// ```
pub fn starters() -> Vec<(String, String)> {
    let Some((_, manifest)) = library().iter().find(|(p, _)| *p == "Cargo.toml") else {
        return Vec::new();
    };
    let Ok(table) = toml::from_str::<toml::Table>(manifest) else {
        return Vec::new();
    };
    table
        .get("example")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.get("name")?.as_str()?;
            let path = e.get("path")?.as_str()?;
            path.starts_with("labs/")
                .then(|| (name.to_owned(), path.to_owned()))
        })
        .collect()
}

/// What checking the current exercise found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It compiles and its tests pass: marked done.
    Done,
    /// It does not compile.
    CompileError,
    /// It compiles, but a test fails.
    TestsFail,
    /// cargo could not build the working crate at all (a broken manifest, a missing
    /// dependency): not the exercise's fault.
    CargoFailed,
    /// Every exercise of the lab is done.
    LabComplete,
    /// The learner stopped the check before it finished ([`Report::stop_requested`]).
    Stopped,
}

/// The lab list with progress (`None`: not in a working crate).
///
/// ```
/// let c = infralens_cli::labs::catalog()?;
/// let text = infralens_cli::labs::list(&c, None);
/// assert!(text.contains("Lab 02 — Q/K/V shape walkthrough"));
/// # Ok::<(), String>(())
/// ```
pub fn list(catalog: &Catalog, ws: Option<&Workspace>) -> String {
    let mut out = String::new();
    // One column for the names, as wide as the longest.
    let width = catalog
        .exercises
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0);
    // One exercise is current: the first to do in the first lab with work left (where
    // `infralens next` and `watch` go); each lab's count says where the others stand.
    let current = ws.and_then(|w| {
        catalog
            .labs
            .iter()
            .find_map(|lab| w.current(catalog, lab))
            .map(|e| e.name.clone())
    });
    for lab in &catalog.labs {
        let progress = match ws {
            Some(w) => {
                let total = catalog.exercises_of(lab).count();
                let done = catalog
                    .exercises_of(lab)
                    .filter(|e| w.done.contains(&e.name))
                    .count();
                format!(", {done} of {total} done")
            }
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "Lab {} — {}   (infralens lab {}{progress})",
            lab.id, lab.title, lab.id
        );
        for ex in catalog.exercises_of(lab) {
            let status = match ws {
                Some(w) if w.done.contains(&ex.name) => "✓ done   ",
                Some(_) if current.as_deref() == Some(ex.name.as_str()) => "→ current",
                _ => "· todo   ",
            };
            let _ = writeln!(out, "  {status}  {:<width$} {}", ex.name, ex.concept);
        }
    }
    match ws {
        None => out.push_str(
            "\nProgress shows inside a working crate: make one with `infralens labs --init DIR`.\n",
        ),
        Some(w) => {
            let total = catalog.exercises.len();
            let done = catalog
                .exercises
                .iter()
                .filter(|e| w.done.contains(&e.name))
                .count();
            let _ = writeln!(out, "\n{done} of {total} exercises done.");
        }
    }
    out
}

/// A lab page (Markdown) for the terminal, rendered from CommonMark: headings emphasised,
/// code blocks with line numbers, tables as aligned columns, links with their targets
/// (relative ones shown under `dir`, the page's directory in the working crate), HTML
/// comments dropped; with `color`, ANSI styles, otherwise plain text.
///
/// ```
/// use infralens_cli::labs::render_page;
/// let page = render_page("# Title\n\n```rust\nlet x = 1;\n```\n", "", false);
/// assert_eq!(page, "Title\n=====\n\n   1 | let x = 1;\n");
/// let table = render_page("| dim | size |\n|---|---|\n| `D` | 16 |\n", "", false);
/// assert_eq!(table, "dim  size\n─────────\n`D`  16\n");
/// let link = render_page("The starter, [`qkv.rs`](qkv.rs).", "labs/02-qkv", false);
/// assert_eq!(link, "The starter, `qkv.rs` (labs/02-qkv/qkv.rs).\n");
/// ```
pub fn render_page(markdown: &str, dir: &str, color: bool) -> String {
    crate::markdown::render(markdown, dir, color)
}
