//! The output formats: `human` (rustc-style snippets), `json` (one object a line),
//! `sarif` (SARIF 2.1.0, for GitHub code scanning) and `github` (workflow commands).

use crate::diag::{Diagnostic, Excerpt, Fix, Severity};
use crate::rules::{RULES, rule};
use annotate_snippets::{AnnotationKind, Group, Level, Patch, Renderer, Snippet};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// An output format.
///
/// ```
/// use infralens_lint::render::Format;
/// assert_eq!("sarif".parse::<Format>(), Ok(Format::Sarif));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// rustc-style: the message, the line with carets under the span, notes.
    Human,
    /// One JSON object a line (see the README for the fields).
    Json,
    /// One SARIF 2.1.0 log, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: `::error file=…,line=…::message`.
    Github,
}

impl Format {
    /// Every format's name, as `--format` takes it.
    ///
    /// ```
    /// use infralens_lint::render::Format;
    /// for name in Format::NAMES {
    ///     assert!(name.parse::<Format>().is_ok());
    /// }
    /// ```
    pub const NAMES: [&'static str; 4] = ["human", "json", "sarif", "github"];
}

impl std::str::FromStr for Format {
    type Err = String;
    /// A format by its name, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            _ => Err(format!(
                "unknown format `{s}`: the formats are {}",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// Renders `diagnostics` in `format`; `color` only matters for `human`.
///
/// ```
/// use infralens_lint::diag::{Diagnostic, Pos};
/// use infralens_lint::render::{render, Format};
/// let at = Pos { line: 3, column: 5 };
/// let d = Diagnostic::new("src/lib.rs", at, Pos { line: 3, column: 6 }, "unknown-dim", "unknown dim `T`");
/// assert_eq!(
///     render(&[d], Format::Github, false),
///     "::error file=src/lib.rs,line=3,col=5,endLine=3,endColumn=6,title=infralens unknown-dim::unknown dim `T`\n",
/// );
/// ```
pub fn render(diagnostics: &[Diagnostic], format: Format, color: bool) -> String {
    match format {
        Format::Human => human(diagnostics, color),
        Format::Json => diagnostics
            .iter()
            .map(|d| format!("{}\n", to_json(d)))
            .collect(),
        Format::Sarif => {
            let mut s = serde_json::to_string_pretty(&sarif(diagnostics)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Github => diagnostics.iter().map(github).collect(),
    }
}

/// The lab pointer written under a diagnostic.
fn lab_note(lab: &str) -> String {
    format!("this mistake is taught in Lab {lab}: run `infralens lab {lab}`")
}

fn human(diagnostics: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(d.message.as_str()).id(d.code.as_str());
        let mut group = match &d.excerpt {
            Some(ex) if !ex.text().is_empty() => {
                let (a, b) = excerpt_range(d, ex.text(), ex.first_line);
                let mut ann = AnnotationKind::Primary.span(a..b);
                if let Some(label) = &d.label {
                    ann = ann.label(label.as_str());
                }
                Group::with_title(title).element(
                    Snippet::source(ex.text())
                        .line_start(ex.first_line)
                        .path(d.file.as_str())
                        .annotation(ann),
                )
            }
            _ => Group::with_title(title).element(
                annotate_snippets::Origin::path(d.file.as_str())
                    .line(d.start.line)
                    .char_column(d.start.column.saturating_sub(1)),
            ),
        };
        for note in &d.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        let lab = d.lab.as_deref().map(lab_note);
        if let Some(lab) = &lab {
            group = group.element(Level::HELP.message(lab.as_str()));
        }
        let more = rule(&d.code).map(|r| format!("for more: `infralens rule {}`", r.id));
        if let Some(more) = &more {
            group = group.element(Level::HELP.message(more.as_str()));
        }
        let mut groups = vec![group];
        // Each mechanical fix as rustc shows a suggestion: the line with the edit made
        // (the finding's own lines, or those of the edit when it is elsewhere in the file,
        // as a declaration in `dims!` is).
        let shown: Vec<(&Fix, Excerpt)> = match &d.excerpt {
            Some(ex) => d
                .fixes
                .iter()
                .filter_map(|fix| Some((fix, fix_excerpt(ex, fix)?)))
                .collect(),
            None => Vec::new(),
        };
        for (fix, ex) in &shown {
            let text = ex.text();
            let patches = fix.edits.iter().map(|e| {
                let a = excerpt_offset(text, ex.first_line, e.start.line, e.start.column);
                let b = excerpt_offset(text, ex.first_line, e.end.line, e.end.column);
                Patch::new(a..b.max(a), e.replacement.as_str())
            });
            groups.push(
                Group::with_title(Level::HELP.secondary_title(fix.message.as_str())).element(
                    Snippet::source(text)
                        .line_start(ex.first_line)
                        .path(d.file.as_str())
                        .patches(patches),
                ),
            );
        }
        let _ = writeln!(out, "{}\n", renderer.render(&groups));
    }
    out
}

/// The lines to show `fix` on: the finding's excerpt when the edits are inside it, else
/// the edits' own lines of the same file.
fn fix_excerpt(ex: &Excerpt, fix: &Fix) -> Option<Excerpt> {
    let first = fix.edits.iter().map(|e| e.start.line).min()?;
    let last = fix.edits.iter().map(|e| e.end.line).max()?;
    let last_shown = ex.first_line + ex.text().lines().count().saturating_sub(1);
    if first >= ex.first_line && last <= last_shown {
        Some(ex.clone())
    } else {
        ex.lines(first, last)
    }
}

/// The byte offset of `(line, column)` inside an excerpt whose first line is `first_line`
/// (its end when the position is past it).
fn excerpt_offset(text: &str, first_line: usize, line: usize, column: usize) -> usize {
    let mut at = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + first_line == line {
            let body = l.trim_end_matches(['\n', '\r']);
            return at
                + body
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(body.len(), |(i, _)| i);
        }
        at += l.len();
    }
    text.len()
}

/// The byte range of the diagnostic's span inside its excerpt (at least one character).
fn excerpt_range(d: &Diagnostic, text: &str, first_line: usize) -> (usize, usize) {
    let a = excerpt_offset(text, first_line, d.start.line, d.start.column);
    let mut b = excerpt_offset(text, first_line, d.end.line, d.end.column);
    if b <= a {
        b = text[a..]
            .chars()
            .next()
            .filter(|c| *c != '\n')
            .map_or(a, |c| a + c.len_utf8());
    }
    (a, b)
}

/// One diagnostic as a JSON object: the `json` format's schema.
///
/// ```
/// use infralens_lint::diag::{Diagnostic, Pos};
/// let at = Pos { line: 1, column: 2 };
/// let v = infralens_lint::render::to_json(&Diagnostic::new("a.rs", at, at, "dims", "m"));
/// assert_eq!(v["line"], 1);
/// assert_eq!(v["code"], "dims");
/// assert!(v["lab"].is_null());
/// ```
pub fn to_json(d: &Diagnostic) -> Value {
    serde_json::to_value(JsonDiagnostic::from(d)).unwrap_or_default()
}

/// The `json` format's object: [`to_json`].
#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: &'static str,
    code: &'a str,
    message: &'a str,
    label: Option<&'a str>,
    notes: &'a [String],
    lab: Option<&'a str>,
    fixes: Vec<JsonFix<'a>>,
}

#[derive(serde::Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(serde::Serialize)]
struct JsonEdit<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    replacement: &'a str,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            file: &d.file,
            line: d.start.line,
            column: d.start.column,
            end_line: d.end.line,
            end_column: d.end.column,
            severity: d.severity.as_str(),
            code: &d.code,
            message: &d.message,
            label: d.label.as_deref(),
            notes: &d.notes,
            lab: d.lab.as_deref(),
            fixes: d
                .fixes
                .iter()
                .map(|f| JsonFix {
                    message: &f.message,
                    edits: f
                        .edits
                        .iter()
                        .map(|e| JsonEdit {
                            line: e.start.line,
                            column: e.start.column,
                            end_line: e.end.line,
                            end_column: e.end.column,
                            replacement: &e.replacement,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A relative path as the path of a URI reference (RFC 3986): every byte but the unreserved
/// characters and `/` percent-encoded, so that `a#b.rs` is not a fragment and a space or a
/// non-ASCII name is a valid URI.
///
/// ```
/// use infralens_lint::render::uri_path;
/// assert_eq!(uri_path("src/a#b.rs"), "src/a%23b.rs");
/// assert_eq!(uri_path("my dir/ü.rs"), "my%20dir/%C3%BC.rs");
/// assert_eq!(uri_path("back\\slash.rs"), "back%5Cslash.rs");
/// ```
pub fn uri_path(path: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    /// Every byte but RFC 3986's unreserved characters and `/`.
    const PATH: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(path, PATH).to_string()
}

/// The SARIF 2.1.0 log of `diagnostics`. When `INFRALENS_RULES_URL` is set to where the
/// handbook's `rules.html` is published (`infralens book DIR` writes it), each rule's
/// `helpUri` is that page at the rule's anchor.
///
/// ```
/// let log = infralens_lint::render::sarif(&[]);
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "infralens");
/// ```
pub fn sarif(diagnostics: &[Diagnostic]) -> Value {
    let cwd = std::env::current_dir().unwrap_or_default();
    let rules_url = std::env::var("INFRALENS_RULES_URL").ok();
    sarif_with(
        diagnostics,
        &cwd,
        rules_url.as_deref().filter(|u| !u.is_empty()),
    )
}

/// [`sarif_at`], with each rule's `helpUri` on the published rules page `rules_url`:
/// `rules_url#rule-ID`.
///
/// ```
/// let url = "https://example.org/infralens/rules.html";
/// let log = infralens_lint::render::sarif_with(&[], "/no/repo".as_ref(), Some(url));
/// let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
/// assert_eq!(rule["helpUri"], format!("{url}#rule-{}", rule["id"].as_str().unwrap_or("")));
/// ```
pub fn sarif_with(diagnostics: &[Diagnostic], cwd: &Path, rules_url: Option<&str>) -> Value {
    serde_json::to_value(sarif_log(diagnostics, cwd, rules_url)).unwrap_or_default()
}

/// The repository a directory is in: the nearest directory at or above it with a `.git`,
/// else the directory itself.
fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// A path with `/` separators: `\\` separates paths on Windows only (elsewhere it is part
/// of a file's name).
fn slashes(path: &str) -> String {
    if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_owned()
    }
}

/// `file:` URI of an absolute path, percent-encoded, ending in `/` for a directory.
fn file_uri(path: &Path, dir: bool) -> String {
    let text = slashes(&path.to_string_lossy());
    let mut uri = format!("file://{}", uri_path(&text));
    if !text.starts_with('/') {
        // `C:/x` on Windows: `file:///C:/x`.
        uri = format!("file:///{}", uri_path(&text));
    }
    if dir && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The SARIF log of `diagnostics` whose file names are relative to `cwd`: every location
/// relative to the repository root (`%SRCROOT%`, the nearest directory with a `.git` at or
/// above `cwd`), which `originalUriBaseIds` gives as a `file:` URI.
///
/// ```
/// use infralens_lint::{diag::{Diagnostic, Pos}, render::sarif_at};
/// let at = Pos { line: 1, column: 1 };
/// let d = Diagnostic::new("src/a b.rs", at, at, "dims", "`B` has size 0");
/// let log = sarif_at(&[d], "/no/repo/crate".as_ref());
/// let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
/// assert_eq!(location["uri"], "src/a%20b.rs");
/// assert_eq!(location["uriBaseId"], "%SRCROOT%");
/// assert_eq!(log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file:///no/repo/crate/");
/// ```
pub fn sarif_at(diagnostics: &[Diagnostic], cwd: &Path) -> Value {
    serde_json::to_value(sarif_log(diagnostics, cwd, None)).unwrap_or_default()
}

/// The parts of SARIF 2.1.0 the lint writes, field for field as the schema names them.
mod sarif {
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    pub struct Log {
        #[serde(rename = "$schema")]
        pub schema: &'static str,
        pub version: &'static str,
        pub runs: [Run; 1],
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Run {
        pub tool: Tool,
        pub column_kind: &'static str,
        pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
        pub results: Vec<Result>,
    }

    #[derive(Serialize)]
    pub struct Tool {
        pub driver: Driver,
    }

    #[derive(Serialize)]
    pub struct Driver {
        pub name: &'static str,
        pub version: &'static str,
        pub rules: Vec<Rule>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Rule {
        pub id: String,
        pub short_description: Text,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub full_description: Option<Text>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub help: Option<Text>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub help_uri: Option<String>,
    }

    #[derive(Serialize)]
    pub struct Text {
        pub text: String,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Result {
        pub rule_id: String,
        pub rule_index: usize,
        pub level: &'static str,
        pub message: Text,
        pub locations: [Location; 1],
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub fixes: Vec<Fix>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Location {
        pub physical_location: PhysicalLocation,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhysicalLocation {
        pub artifact_location: ArtifactLocation,
        pub region: Region,
    }

    #[derive(Serialize, Clone)]
    #[serde(rename_all = "camelCase")]
    pub struct ArtifactLocation {
        pub uri: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub uri_base_id: Option<&'static str>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Region {
        pub start_line: usize,
        pub start_column: usize,
        pub end_line: usize,
        pub end_column: usize,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Fix {
        pub description: Text,
        pub artifact_changes: [ArtifactChange; 1],
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ArtifactChange {
        pub artifact_location: ArtifactLocation,
        pub replacements: Vec<Replacement>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Replacement {
        pub deleted_region: Region,
        pub inserted_content: Text,
    }
}

/// The SARIF log, as types: see [`sarif_at`] and [`sarif_with`].
fn sarif_log(diagnostics: &[Diagnostic], cwd: &Path, rules_url: Option<&str>) -> sarif::Log {
    use sarif::{ArtifactLocation, Text};
    let root = repository_root(cwd);
    let location = |file: &str| -> ArtifactLocation {
        let full = cwd.join(file);
        match full.strip_prefix(&root) {
            Ok(rel) => ArtifactLocation {
                uri: uri_path(&slashes(&rel.to_string_lossy())),
                uri_base_id: Some("%SRCROOT%"),
            },
            Err(_) => ArtifactLocation {
                uri: file_uri(&full, false),
                uri_base_id: None,
            },
        }
    };
    let text = |t: &str| Text { text: t.to_owned() };
    let mut rules: Vec<sarif::Rule> = RULES
        .iter()
        .map(|r| sarif::Rule {
            id: r.id.to_owned(),
            short_description: text(r.summary),
            full_description: Some(text(&r.explanation)),
            help: Some(Text { text: r.page() }),
            help_uri: rules_url.map(|url| format!("{url}#rule-{}", r.id)),
        })
        .collect();
    let results: Vec<sarif::Result> = diagnostics
        .iter()
        .map(|d| {
            let index = rules
                .iter()
                .position(|r| r.id == d.code)
                .unwrap_or_else(|| {
                    rules.push(sarif::Rule {
                        id: d.code.clone(),
                        short_description: text(&format!("rustc error {}", d.code)),
                        full_description: None,
                        help: None,
                        help_uri: None,
                    });
                    rules.len() - 1
                });
            let mut message = d.message.clone();
            for note in &d.notes {
                let _ = write!(message, "\nnote: {note}");
            }
            if let Some(lab) = &d.lab {
                let _ = write!(message, "\nhelp: {}", lab_note(lab));
            }
            let fixes = d
                .fixes
                .iter()
                .map(|f| sarif::Fix {
                    description: text(&f.message),
                    artifact_changes: [sarif::ArtifactChange {
                        artifact_location: location(&d.file),
                        replacements: f
                            .edits
                            .iter()
                            .map(|e| sarif::Replacement {
                                deleted_region: sarif::Region {
                                    start_line: e.start.line,
                                    start_column: e.start.column,
                                    end_line: e.end.line,
                                    end_column: e.end.column,
                                },
                                inserted_content: text(&e.replacement),
                            })
                            .collect(),
                    }],
                })
                .collect();
            sarif::Result {
                rule_id: d.code.clone(),
                rule_index: index,
                level: d.severity.as_str(),
                message: Text { text: message },
                locations: [sarif::Location {
                    physical_location: sarif::PhysicalLocation {
                        artifact_location: location(&d.file),
                        region: sarif::Region {
                            start_line: d.start.line,
                            start_column: d.start.column,
                            end_line: d.end.line.max(d.start.line),
                            end_column: d.end.column.max(d.start.column + 1),
                        },
                    },
                }],
                fixes,
            }
        })
        .collect();
    sarif::Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [sarif::Run {
            tool: sarif::Tool {
                driver: sarif::Driver {
                    name: "infralens",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: [(
                "%SRCROOT%",
                ArtifactLocation {
                    uri: file_uri(&root, true),
                    uri_base_id: None,
                },
            )]
            .into_iter()
            .collect(),
            results,
        }],
    }
}

/// `::error file=…::message`, escaped as GitHub's workflow commands require.
fn github(d: &Diagnostic) -> String {
    fn data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn property(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let mut message = d.message.clone();
    for note in &d.notes {
        let _ = write!(message, "\nnote: {note}");
    }
    if let Some(lab) = &d.lab {
        let _ = write!(message, "\nhelp: {}", lab_note(lab));
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        d.severity.as_str(),
        property(&d.file),
        d.start.line,
        d.start.column,
        d.end.line,
        d.end.column,
        property(&format!("infralens {}", d.code)),
        data(&message)
    )
}
