//! The labs as the binary carries them: the files of `labs/` and the library source a
//! working crate builds with (embedded by `build.rs`), the catalogue (`labs/info.toml`),
//! and which lab teaches the mistake behind a compiler message. The runner
//! ([`labs`](crate::labs)) and the compiler-output reader ([`check`](crate::check)) both
//! read it; neither reads the other's module for it.

use serde::Deserialize;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/library.rs"));
}

/// An embedded file of `labs/`, by its path relative to `labs/`.
///
/// ```
/// let page = infralens_cli::labs::file("02-qkv-shape-walkthrough/README.md").unwrap();
/// assert!(page.starts_with("# Lab 02"));
/// ```
pub fn file(path: &str) -> Option<&'static str> {
    infralens_lab_data::file(path)
}

/// The source of the `infralens` library this binary was built with: (path relative to the
/// repository, contents) of the facade, core, macros and syntax crates' manifests and
/// `src/`, and the lock file — when it was built in a checkout of the repository; empty when
/// built from a registry, where a working crate takes `infralens` from the registry.
///
/// ```
/// let lib = infralens_cli::labs::library();
/// assert!(lib.iter().any(|(p, _)| *p == "infralens-core/src/lib.rs"));
/// assert!(lib.iter().any(|(p, _)| *p == "Cargo.lock"));
/// ```
pub fn library() -> &'static [(&'static str, &'static str)] {
    embedded::LIBRARY
}

/// Where `labs --init` writes the library's source in a working crate.
pub const LIBRARY_DIR: &str = "infralens-src";

/// A crate manifest of the library, for its copy in a working crate: only what building it
/// needs (`package`, `lib`, the non-optional `dependencies`, the features without them); no
/// lints inherited from this repository's workspace, no examples, benchmarks or
/// dev-dependencies.
///
/// ```
/// let m = "[package]\nname = \"x\"\nversion = \"0.1.0\"\nreadme = \"README.md\"\n\n[dependencies]\na = \"1\"\nb = { version = \"1\", optional = true }\n\n[lints]\nworkspace = true\n";
/// let v = infralens_cli::labs::vendored_manifest(m)?;
/// assert!(v.contains("a = \"1\"") && !v.contains("b =") && !v.contains("lints") && !v.contains("readme"));
/// let f = infralens_cli::labs::vendored_manifest("[dependencies]\nc = { version = \"1\", optional = true }\n[features]\nc = [\"dep:c\"]\n")?;
/// assert!(f.contains("c = []"));
/// // What the repository's crates inherit from its workspace is written out.
/// let e = infralens_cli::labs::vendored_manifest("[package]\nname = \"x\"\nedition.workspace = true\n")?;
/// assert!(e.contains("edition = \"2024\""));
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// A manifest that is not TOML (a bug of this build).
pub fn vendored_manifest(text: &str) -> Result<String, String> {
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| format!("a manifest of this build is malformed: {e}"))?;
    table.retain(|key, _| matches!(key, "package" | "lib" | "dependencies" | "features"));
    if let Some(toml::Value::Table(package)) = table.get_mut("package") {
        package.retain(|key, _| {
            matches!(
                key,
                "name" | "version" | "edition" | "rust-version" | "description" | "license"
            )
        });
        // `edition.workspace = true`: the value of the repository's `[workspace.package]`,
        // as the copy has no workspace of its own.
        for (key, value) in package.iter_mut() {
            let inherits = value.get("workspace").and_then(toml::Value::as_bool) == Some(true);
            if inherits {
                *value = workspace_package(key).ok_or_else(|| {
                    format!("a manifest of this build inherits `{key}`, which its workspace does not give")
                })?;
            }
        }
    }
    let mut dropped = Vec::new();
    if let Some(toml::Value::Table(deps)) = table.get_mut("dependencies") {
        deps.retain(|name, dep| {
            let optional = dep.get("optional").and_then(toml::Value::as_bool) == Some(true);
            if optional {
                dropped.push(name.to_owned());
            }
            !optional
        });
    }
    // A feature keeps its name (the code's `cfg`s name it) but not the dependencies dropped.
    if let Some(toml::Value::Table(features)) = table.get_mut("features") {
        for (_, enables) in features.iter_mut() {
            if let toml::Value::Array(list) = enables {
                list.retain(|item| {
                    let item = item.as_str().unwrap_or("");
                    let dep = item.trim_start_matches("dep:");
                    let dep = dep.split(['/', '?']).next().unwrap_or(dep);
                    !dropped.iter().any(|d| d == dep)
                });
            }
        }
    }
    toml::to_string(&table).map_err(|e| format!("cannot write a manifest: {e}"))
}

/// A key of `[workspace.package]` in the repository's manifest this binary carries.
fn workspace_package(key: &str) -> Option<toml::Value> {
    let (_, root) = library().iter().find(|(path, _)| *path == "Cargo.toml")?;
    let root: toml::Table = toml::from_str(root).ok()?;
    root.get("workspace")?.get("package")?.get(key).cloned()
}

/// Every embedded file: (path relative to `labs/`, contents).
///
/// ```
/// assert!(infralens_cli::labs::files().iter().any(|(p, _)| *p == "info.toml"));
/// ```
pub fn files() -> &'static [(&'static str, &'static str)] {
    infralens_lab_data::FILES
}

/// One lab of `info.toml`.
///
/// ```
/// let catalog = infralens_cli::labs::catalog()?;
/// assert_eq!(catalog.lab("2")?.title, "Q/K/V shape walkthrough");
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct Lab {
    /// `02`.
    pub id: String,
    /// `Q/K/V shape walkthrough`.
    pub title: String,
    /// Its directory under `labs/`.
    pub dir: String,
}

/// One exercise of `info.toml`.
///
/// ```
/// let catalog = infralens_cli::labs::catalog()?;
/// let first = &catalog.exercises[0];
/// assert!(first.source().starts_with("// TODO:"));
/// assert!(first.solution().starts_with("// Solution:"));
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct Exercise {
    /// `01_weight_orientation`: its file name, without `.rs`.
    pub name: String,
    /// The lab it belongs to.
    pub lab: String,
    /// The fix, in words: the last of its three hints ([`Exercise::hints`]).
    pub hint: String,
    /// The key phrase of the compiler error the exercise fails with as shipped.
    pub error: String,
    /// What it teaches.
    pub concept: String,
    #[serde(skip)]
    dir: String,
}

impl Exercise {
    /// Its hints, from the least to the most given away: a question that points at the
    /// dims the error compares, then the concept, then the fix. `--hint` gives the next
    /// one each time it is asked ([`crate::labs::Workspace::next_hint`]).
    ///
    /// ```
    /// let c = infralens_cli::labs::catalog()?;
    /// let ex = c.exercises.iter().find(|e| e.name == "01_linear_weight_stored_in_out").ok_or("no such exercise")?;
    /// let [question, concept, fix] = ex.hints();
    /// assert!(question.contains("`D`") && question.contains("`F`") && question.ends_with('?'));
    /// assert_eq!((concept, fix), (ex.concept.clone(), ex.hint.clone()));
    /// # Ok::<(), String>(())
    /// ```
    pub fn hints(&self) -> [String; 3] {
        // The dims the error names (`D`, `Hkv`), in order, once each: what to compare.
        let mut dims: Vec<&str> = Vec::new();
        for (i, part) in self.error.split('`').enumerate() {
            let is_dim = i % 2 == 1
                && part.chars().next().is_some_and(char::is_uppercase)
                && part.chars().all(|c| c.is_ascii_alphanumeric());
            if is_dim && !dims.contains(&part) {
                dims.push(part);
            }
        }
        let named: Vec<String> = dims.iter().map(|d| format!("`{d}`")).collect();
        let question = match named.as_slice() {
            [] => "Read the first line of the first error: what does it say must hold, and where does the code break it?".to_owned(),
            [one] => format!(
                "The first error is about {one}: what does it say must hold for it, and which line of the code decides that?"
            ),
            [init @ .., last] => format!(
                "The first error names {} and {last}: what does it say must hold between them, and which line of the code decides that?",
                init.join(", ")
            ),
        };
        [question, self.concept.clone(), self.hint.clone()]
    }

    /// The exercise as shipped.
    pub fn source(&self) -> &'static str {
        file(&format!("{}/exercises/{}.rs", self.dir, self.name)).unwrap_or("")
    }

    /// Its solution.
    pub fn solution(&self) -> &'static str {
        file(&format!("{}/solutions/{}.rs", self.dir, self.name)).unwrap_or("")
    }

    /// The compiler error it gives as shipped, as the terminal shows it (pinned by the
    /// labs test in `labs/<lab>/errors/<exercise>.txt`).
    ///
    /// ```
    /// let catalog = infralens_cli::labs::catalog()?;
    /// let error = catalog.exercises[0].pinned_error().ok_or("no pinned error")?;
    /// assert!(error.contains(&catalog.exercises[0].error));
    /// # Ok::<(), String>(())
    /// ```
    pub fn pinned_error(&self) -> Option<&'static str> {
        file(&format!("{}/errors/{}.txt", self.dir, self.name))
    }

    /// Its path inside a working crate: `exercises/02-qkv-shape-walkthrough/01_….rs`.
    pub fn path(&self) -> String {
        format!("exercises/{}/{}.rs", self.dir, self.name)
    }

    /// Its binary in the working crate: `lab02_01_weight_orientation`.
    pub fn bin(&self) -> String {
        format!("lab{}_{}", self.lab, self.name)
    }
}

/// `labs/info.toml`: the labs and their exercises, in order.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    /// The labs.
    pub labs: Vec<Lab>,
    /// The exercises of every lab.
    pub exercises: Vec<Exercise>,
}

/// The embedded catalogue.
///
/// ```
/// let catalog = infralens_cli::labs::catalog()?;
/// assert!(catalog.exercises.len() >= 6);
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// An `info.toml` that does not parse (a bug of this build).
pub fn catalog() -> Result<&'static Catalog, String> {
    // Parsed once: `check` asks for it once per compiler message.
    static CATALOG: std::sync::OnceLock<Result<Catalog, String>> = std::sync::OnceLock::new();
    CATALOG
        .get_or_init(parse_catalog)
        .as_ref()
        .map_err(Clone::clone)
}

fn parse_catalog() -> Result<Catalog, String> {
    let text = file("info.toml").ok_or("this build carries no labs/info.toml")?;
    let mut catalog: Catalog =
        toml::from_str(text).map_err(|e| format!("labs/info.toml is malformed: {e}"))?;
    let dirs: Vec<(String, String)> = catalog
        .labs
        .iter()
        .map(|l| (l.id.clone(), l.dir.clone()))
        .collect();
    for ex in &mut catalog.exercises {
        if let Some((_, dir)) = dirs.iter().find(|(id, _)| *id == ex.lab) {
            ex.dir = dir.clone();
        }
    }
    Ok(catalog)
}

impl Catalog {
    /// The lab `id` (`02`, `2` or `lab02`).
    ///
    /// # Errors
    /// No such lab: the message lists the labs there are.
    pub fn lab(&self, id: &str) -> Result<&Lab, String> {
        let want = id.trim_start_matches("lab").trim_start_matches('0');
        self.labs
            .iter()
            .find(|l| l.id.trim_start_matches('0') == want)
            .ok_or_else(|| {
                let ids: Vec<String> = self.labs.iter().map(|l| l.id.clone()).collect();
                format!(
                    "there is no lab `{id}`; the labs are {}: run `infralens labs` to see them",
                    ids.join(", ")
                )
            })
    }

    /// The exercise `selector` names: its name (`01_weight_orientation`), `LAB/N`
    /// (`02/1`, the first exercise of Lab 02), or a part of one name only.
    ///
    /// ```
    /// let c = infralens_cli::labs::catalog()?;
    /// assert_eq!(c.exercise("02/1")?.name, "01_weight_orientation");
    /// assert_eq!(c.exercise("weight_orientation")?.lab, "02");
    /// assert!(c.exercise("nothing-like-it").unwrap_err().starts_with("there is no exercise `nothing-like-it`"));
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    /// No exercise, or several, answer to `selector`: the message says how to name one.
    pub fn exercise(&self, selector: &str) -> Result<&Exercise, String> {
        if let Some(ex) = self.exercises.iter().find(|e| e.name == selector) {
            return Ok(ex);
        }
        if let Some((lab, n)) = selector.split_once('/')
            && let (Ok(lab), Ok(n)) = (self.lab(lab), n.parse::<usize>())
        {
            return self
                .exercises_of(lab)
                .nth(n.wrapping_sub(1))
                .ok_or_else(|| format!("Lab {} has no exercise {n}", lab.id));
        }
        let found: Vec<&Exercise> = self
            .exercises
            .iter()
            .filter(|e| e.name.contains(selector))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "there is no exercise `{selector}`: name one as `infralens labs` lists it, or as LAB/N (`02/1`)"
            )),
            several => Err(format!(
                "`{selector}` names {} exercises ({}): say which, as LAB/N (`{}/{}`)",
                several.len(),
                several
                    .iter()
                    .map(|e| format!("{}/{}", e.lab, e.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                several[0].lab,
                self.exercises_of(self.lab(&several[0].lab)?)
                    .position(|e| e.name == several[0].name)
                    .map_or(1, |i| i + 1)
            )),
        }
    }

    /// The exercises of `lab`, in order.
    pub fn exercises_of<'a>(&'a self, lab: &'a Lab) -> impl Iterator<Item = &'a Exercise> + 'a {
        self.exercises.iter().filter(move |e| e.lab == lab.id)
    }
}

/// The lab that teaches the mistake behind an InfraLens compiler message: the lab of the
/// exercise whose error it shows, else the lab its rule's declaration names, else Lab 02.
///
/// ```
/// use infralens_cli::labs::lab_for;
/// assert_eq!(lab_for("shape mismatch: matmul contracts `Dh` with `S`, …"), "02");
/// // No exercise shows it; the rule `rope-even-width` is taught in Lab 06.
/// assert_eq!(lab_for("shape mismatch: RoPE rotates the lanes of a head in pairs, so the head width `W` must be even"), "06");
/// ```
pub fn lab_for(message: &str) -> String {
    catalog()
        .ok()
        .and_then(|c| {
            c.exercises
                .iter()
                .find(|e| message.contains(&e.error))
                .map(|e| e.lab.clone())
        })
        .or_else(|| {
            crate::rules::RULES
                .iter()
                .find(|r| r.shape.is_some_and(|s| s.matches(message)))
                .and_then(|r| r.lab.map(str::to_owned))
        })
        .unwrap_or_else(|| "02".to_owned())
}
