//! The lint's configuration: `infralens.toml`, or `[package.metadata.infralens]` /
//! `[workspace.metadata.infralens]` in `Cargo.toml`, found in the current directory or the
//! nearest directory above it that has one.
//!
//! ```toml
//! # infralens.toml
//! exclude = ["generated/**", "tests/ui"]   # globs, relative to this file's directory
//! allow = ["unknown-dim"]                  # rules not reported anywhere
//! ```
//!
//! One finding is allowed in the code with a comment on the line before the item or
//! statement (the whole item: a function, a struct, a `let`), or at the end of the line:
//!
//! ```text
//! // infralens: allow(shape-mismatch)
//! let scores = q.matmul(&k); // or here: // infralens: allow(shape-mismatch)
//! ```

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What `infralens.toml` (or the `metadata.infralens` table of `Cargo.toml`) says.
///
/// ```
/// use infralens_lint::config::Config;
/// let c = Config::parse("exclude = [\"gen/**\"]\nallow = [\"dims\"]", "/repo".as_ref(), "infralens.toml")?;
/// assert!(c.excludes(std::path::Path::new("/repo/gen/a.rs")));
/// assert!(!c.excludes(std::path::Path::new("/repo/src/a.rs")));
/// assert!(c.allows("dims"));
/// # Ok::<(), infralens_lint::config::ConfigError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The globs of paths left out of directory walks, as written.
    pub exclude: Vec<String>,
    /// Rules not reported.
    pub allow: Vec<String>,
    /// The directory the globs are relative to (the configuration file's).
    pub base: PathBuf,
    /// The file the configuration was read from, if any.
    pub file: Option<PathBuf>,
    globs: GlobSet,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
}

/// Why a configuration cannot be used.
///
/// ```
/// use infralens_lint::config::{Config, ConfigError};
/// let err = Config::load("no/such/infralens.toml".as_ref()).unwrap_err();
/// assert!(matches!(err, ConfigError::Read { .. }));
/// assert!(err.to_string().starts_with("cannot read `no/such/infralens.toml`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a valid configuration: the message names the file and the key, and says what
    /// to write.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Parses a configuration's text; `base` is the directory its globs are relative to,
    /// `file` names it in errors.
    ///
    /// ```
    /// use infralens_lint::config::Config;
    /// let err = Config::parse("allow = [\"shape-mismach\"]", "/".as_ref(), "infralens.toml").unwrap_err();
    /// assert!(err.to_string().starts_with("infralens.toml: `allow` names no rule `shape-mismach`"));
    /// ```
    ///
    /// # Errors
    /// Invalid TOML, a key other than `exclude` and `allow`, an invalid glob or an unknown
    /// rule; the message names the file and says what to write.
    pub fn parse(text: &str, base: &Path, file: &str) -> Result<Config, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            ConfigError::Invalid(format!(
                "{file}: {}; the keys are `exclude = [\"glob\", …]` and `allow = [\"rule\", …]`",
                e.message()
            ))
        })?;
        Config::from_raw(raw, base, file).map_err(ConfigError::Invalid)
    }

    fn from_raw(raw: Raw, base: &Path, file: &str) -> Result<Config, String> {
        for rule in &raw.allow {
            check_rule(rule).map_err(|e| format!("{file}: `allow` {e}"))?;
        }
        // Each pattern is compiled into one matcher for all: tens of thousands took seconds
        // and hundreds of megabytes before the matcher gave up. Directories, not files, are
        // what to leave out; a thousand patterns is far past any project's.
        if raw.exclude.len() > MAX_EXCLUDES {
            return Err(format!(
                "{file}: `exclude` has {} patterns, more than the {MAX_EXCLUDES} the lint takes: leave out whole directories (`\"generated/\"`) or kinds of file (`\"*.gen.rs\"`) rather than files one by one",
                raw.exclude.len()
            ));
        }
        let mut globs = GlobSetBuilder::new();
        for pattern in &raw.exclude {
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            // `/src/gen.rs` is anchored at the configuration's directory, as in a
            // `.gitignore`; a pattern with a `/` inside is too; a bare name matches anywhere.
            let anchored = match trimmed.strip_prefix('/') {
                Some(rooted) => rooted.to_owned(),
                None if trimmed.contains('/') => trimmed.to_owned(),
                None => format!("**/{trimmed}"),
            };
            // A directory's pattern leaves out everything under it too.
            let mut one = GlobSetBuilder::new();
            for p in [anchored.clone(), format!("{anchored}/**")] {
                let glob = GlobBuilder::new(&p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        format!("{file}: `exclude` has an invalid glob `{pattern}`: {e}")
                    })?;
                one.add(glob.clone());
                globs.add(glob);
            }
            // A pattern that leaves out every file (`""`, `"/"`, `"**"`) would make the lint
            // pass on anything: refused, naming it.
            let everything = one.build().is_ok_and(|set| {
                ["lib.rs", "src/main.rs", "a/b/c/model.rs"]
                    .iter()
                    .all(|probe| set.is_match(probe))
            });
            if anchored.trim_matches('/').is_empty() || everything {
                return Err(format!(
                    "{file}: `exclude` pattern `{pattern}` leaves out every file, so the lint would pass on anything: name what to leave out, as in `exclude = [\"tests/ui\", \"*.gen.rs\"]`"
                ));
            }
        }
        let globs = globs.build().map_err(|e| {
            format!(
                "{file}: `exclude`: its patterns are too many or too intricate to match together ({e}): leave out whole directories or kinds of file rather than files one by one"
            )
        })?;
        Ok(Config {
            exclude: raw.exclude,
            allow: raw.allow,
            base: absolute(base),
            file: None,
            globs,
        })
    }

    /// Reads `file`: an `infralens.toml`, or a `Cargo.toml` whose
    /// `[package.metadata.infralens]` or `[workspace.metadata.infralens]` table is the
    /// configuration (a `Cargo.toml` without one gives the default).
    ///
    /// ```no_run
    /// let config = infralens_lint::config::Config::load("infralens.toml".as_ref())?;
    /// # Ok::<(), infralens_lint::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A file that cannot be read or is not a valid configuration.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let base = absolute(file.parent().unwrap_or(Path::new(".")));
        let name = file.display().to_string();
        let mut config = if file.file_name().is_some_and(|n| n == "Cargo.toml") {
            let manifest: toml::Table = toml::from_str(&text)
                .map_err(|e| ConfigError::Invalid(format!("{name}: {}", e.message())))?;
            let table = ["package", "workspace"].into_iter().find_map(|top| {
                manifest
                    .get(top)?
                    .get("metadata")?
                    .get("infralens")
                    .cloned()
            });
            match table {
                None => {
                    Config::from_raw(Raw::default(), &base, &name).map_err(ConfigError::Invalid)?
                }
                Some(t) => {
                    let raw: Raw = t.try_into().map_err(|e: toml::de::Error| {
                        ConfigError::Invalid(format!(
                            "{name}: [metadata.infralens]: {}; the keys are `exclude` and `allow`",
                            e.message()
                        ))
                    })?;
                    Config::from_raw(raw, &base, &name).map_err(ConfigError::Invalid)?
                }
            }
        } else {
            Config::parse(&text, &base, &name)?
        };
        config.file = Some(file.to_path_buf());
        Ok(config)
    }

    /// The configuration that applies in `dir`: its `infralens.toml`, or the nearest
    /// directory above with one, or a `Cargo.toml` with a `metadata.infralens` table; the
    /// default when there is none.
    ///
    /// ```
    /// let config = infralens_lint::config::Config::find(std::path::Path::new("/"))?;
    /// assert!(config.allow.is_empty());
    /// # Ok::<(), infralens_lint::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// The configuration found is not valid.
    pub fn find(dir: &Path) -> Result<Config, ConfigError> {
        let dir = absolute(dir);
        for d in dir.ancestors() {
            let own = d.join("infralens.toml");
            if own.is_file() {
                return Config::load(&own);
            }
            // A manifest with the table, however it is written (`[package.metadata.infralens]`,
            // `[package.metadata."infralens"]`, an inline table): read as TOML.
            let manifest = d.join("Cargo.toml");
            if manifest.is_file()
                && std::fs::read_to_string(&manifest).is_ok_and(|t| {
                    toml::from_str::<toml::Table>(&t).is_ok_and(|m| {
                        ["package", "workspace"].iter().any(|top| {
                            m.get(*top)
                                .and_then(|v| v.get("metadata"))
                                .and_then(|v| v.get("infralens"))
                                .is_some()
                        })
                    })
                })
            {
                return Config::load(&manifest);
            }
        }
        Config::from_raw(Raw::default(), &dir, "").map_err(ConfigError::Invalid)
    }

    /// `path` is left out of directory walks by `exclude`.
    ///
    /// ```
    /// use infralens_lint::config::Config;
    /// let c = Config::parse("exclude = [\"tests/ui\", \"*.gen.rs\"]", "/r".as_ref(), "x")?;
    /// assert!(c.excludes("/r/tests/ui/a.rs".as_ref()));
    /// assert!(c.excludes("/r/src/deep/model.gen.rs".as_ref()));
    /// assert!(!c.excludes("/r/tests/lint.rs".as_ref()));
    /// # Ok::<(), infralens_lint::config::ConfigError>(())
    /// ```
    pub fn excludes(&self, path: &Path) -> bool {
        let path = absolute(path);
        path.strip_prefix(&self.base)
            .is_ok_and(|rel| self.globs.is_match(rel))
    }

    /// Findings of `rule` are not reported.
    ///
    /// ```
    /// assert!(!infralens_lint::config::Config::default().allows("dims"));
    /// ```
    pub fn allows(&self, rule: &str) -> bool {
        self.allow.iter().any(|r| crate::rules::covers(r, rule))
    }
}

/// The most `exclude` patterns a configuration may give.
const MAX_EXCLUDES: usize = 1000;

/// `rule` is a rule's id, else an error listing them.
pub(crate) fn check_rule(rule: &str) -> Result<(), String> {
    if crate::rules::known(rule) {
        return Ok(());
    }
    let ids: Vec<&str> = crate::rules::RULES.iter().map(|r| r.id).collect();
    let groups: Vec<&str> = crate::rules::GROUPS.iter().map(|(g, _)| *g).collect();
    Err(format!(
        "names no rule `{rule}`; the rules are {}, and the groups {} (`infralens rules` lists them)",
        ids.join(", "),
        groups.join(", ")
    ))
}

/// `path`, absolute (against the current directory), not resolving links.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// One `// infralens: allow(rule)`: the rule, over lines `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allow {
    pub rule: String,
    pub first: usize,
    pub last: usize,
}

/// The inline allows of a file: an [`Allow`] for each rule of each
/// `// infralens: allow(rule, …)` comment, over the item or statement it stands before (or
/// its own line, for a comment after code). `items` gives the line spans of the file's
/// items and statements; it is called only when a comment stands before one (the spans
/// cost a tenth of the lint's time, and most files have no allow comment). Unknown rules
/// are returned as errors with their line.
pub(crate) fn inline_allows(
    text: &str,
    items: impl FnOnce() -> Vec<(usize, usize)>,
) -> (Vec<Allow>, Vec<(usize, String)>) {
    const MARK: &str = "infralens: allow(";
    if !text.contains(MARK) {
        return (Vec::new(), Vec::new());
    }
    let (mut items, mut spans) = (Some(items), Vec::new());
    let lines: Vec<&str> = text.lines().collect();
    let mut allows = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(comment) = line.find("//") else {
            continue;
        };
        let Some(at) = line[comment..].find(MARK) else {
            continue;
        };
        let rest = &line[comment + at + MARK.len()..];
        let Some(close) = rest.find(')') else {
            errors.push((i + 1, "an `infralens: allow(` comment is not closed: write `// infralens: allow(shape-mismatch)`".to_owned()));
            continue;
        };
        let n = i + 1;
        let trailing = !line[..comment].trim().is_empty();
        let (first, last) = if trailing {
            (n, n)
        } else {
            // The next line of code (not a comment, an attribute or blank), and the
            // outermost item or statement that covers it and starts after the comment.
            let prelude = |j: usize| {
                let t = lines[j].trim_start();
                t.is_empty() || t.starts_with("//") || t.starts_with("#[")
            };
            let next = (i + 1..lines.len())
                .find(|&j| !prelude(j))
                .map_or(n + 1, |j| j + 1);
            // An item whose doc comments or attributes come before the comment counts too:
            // nothing but those lines may stand between its start and the comment.
            if let Some(items) = items.take() {
                spans = items();
            }
            let end = spans
                .iter()
                .filter(|&&(s, e)| s <= next && e >= next && (s.max(1) - 1..i).all(prelude))
                .map(|&(_, e)| e)
                .max()
                .unwrap_or(next);
            (n + 1, end)
        };
        for rule in rest[..close]
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            match check_rule(rule) {
                Ok(()) => allows.push(Allow {
                    rule: rule.to_owned(),
                    first,
                    last,
                }),
                Err(e) => errors.push((n, format!("`infralens: allow(…)` {e}"))),
            }
        }
    }
    (allows, errors)
}

#[cfg(test)]
mod tests {
    use super::Config;

    /// Patterns that would leave out every file are refused; a leading `/` anchors a
    /// pattern at the configuration's directory; a manifest's table is found however the
    /// TOML spells it (issue 27).
    #[test]
    fn thousands_of_exclude_patterns_are_refused_before_compiling() {
        // 20,000 took seconds and hundreds of megabytes before the matcher gave up with
        // "error building NFA" (issue 27); now a count, refused at once, saying what to do.
        let many: Vec<String> = (0..20_000).map(|i| format!("\"gen/{i}.rs\"")).collect();
        let text = format!("exclude = [{}]", many.join(", "));
        let err = Config::parse(&text, "/r".as_ref(), "x").expect_err("too many");
        assert!(
            err.to_string().starts_with(
                "x: `exclude` has 20000 patterns, more than the 1000 the lint takes: leave out whole directories"
            ),
            "{err}"
        );
        let some: Vec<String> = (0..1000).map(|i| format!("\"gen/{i}/**/*.rs\"")).collect();
        let text = format!("exclude = [{}]", some.join(", "));
        let c = Config::parse(&text, "/r".as_ref(), "x").expect("a thousand are fine");
        assert!(c.excludes("/r/gen/999/a/b.rs".as_ref()));
        assert!(!c.excludes("/r/gen/1000/a/b.rs".as_ref()));
    }

    #[test]
    fn exclude_patterns_are_anchored_and_never_everything() {
        for everything in ["", "/", "**", "./", "**/*"] {
            let text = format!("exclude = [\"{everything}\"]");
            let err = Config::parse(&text, "/r".as_ref(), "infralens.toml").expect_err(everything);
            assert!(err.to_string().contains("leaves out every file"), "{err}");
        }
        let c = Config::parse("exclude = [\"/src/bad.rs\"]", "/r".as_ref(), "x").expect("valid");
        assert!(c.excludes("/r/src/bad.rs".as_ref()));
        assert!(!c.excludes("/r/lib/src/bad.rs".as_ref()));
        assert!(!c.excludes("/r/src/good.rs".as_ref()));
    }

    #[test]
    fn a_quoted_metadata_table_is_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"x\"\n[package.metadata.\"infralens\"]\nallow = [\"dims\"]\n",
        )
        .expect("write");
        let c = Config::find(dir.path()).expect("valid");
        assert!(c.allows("dims"));
    }
}
