//! `infralens book DIR`: the labs as a small static site that works opened from disk — an
//! index with the curriculum, then one page per lab with every section of its page
//! (Markdown through `pulldown-cmark`), its starter with line numbers and highlighting
//! (`syntect`), the shape diagram of each annotated function of the starter, and each
//! exercise with the compiler error it gives as shipped, as the terminal shows it.

use crate::diagram::{escape, svg};
use crate::explain::explain_source;
use crate::labs::{self, Catalog, Exercise, Lab};
use crate::source::Source;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASSES: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// The first line of the handbook's style sheet: what marks it as the tool's own output.
const CSS_MARK: &str =
    "/* infralens book: written by `infralens book`, replaced when it runs again */";
/// What marks a page as the tool's own output.
const HTML_MARK: &str = "<meta name=\"generator\" content=\"infralens book\">";

const CSS: &str = r#"
:root { --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
nav { padding: 0.7em 2em; background: #f6f8fa; border-bottom: 1px solid var(--line); display: flex; gap: 1.5em; flex-wrap: wrap; }
nav.bottom { border-top: 1px solid var(--line); border-bottom: none; margin-top: 3em; }
nav a { color: var(--accent); text-decoration: none; }
main { max-width: 62em; margin: 0 auto; padding: 1em 2em 2em; }
h1 { border-bottom: 1px solid var(--line); padding-bottom: 0.3em; }
h2 { margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; background: #eff1f3; padding: 0.1em 0.3em; border-radius: 4px; }
pre code, .code code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1em 0; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
.code { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; margin: 1em 0; background: #fff; }
.code table { margin: 0; border: none; display: table; overflow: visible; }
main, article.exercise, details, section { min-width: 0; overflow-wrap: break-word; }
@media (max-width: 600px) { main { padding: 0.5em 0.8em 1em; } nav { padding: 0.6em 0.8em; } }
.code td { border: none; padding: 0.6em 0.8em; }
.code pre { margin: 0; font: 13.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.code td.ln { color: #8c959f; text-align: right; user-select: none; border-right: 1px solid var(--line); background: #f6f8fa; }
pre.terminal { background: #0d1117; color: #e6edf3; padding: 1em; border-radius: 6px; overflow-x: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.t-error { color: #ff7b72; font-weight: bold; }
.t-fail { color: #ff7b72; }
.t-gutter { color: #79c0ff; font-weight: bold; }
.t-caret { color: #ff7b72; font-weight: bold; }
.t-note { font-weight: bold; }
figure { margin: 1.5em 0; overflow-x: auto; }
figcaption { color: var(--muted); margin-bottom: 0.5em; }
article.exercise { border: 1px solid var(--line); border-radius: 8px; padding: 0.3em 1.2em 1em; margin: 1.2em 0; }
details { margin: 0.6em 0; }
summary { cursor: pointer; color: var(--accent); }
ol.curriculum li { margin: 0.8em 0; }
.muted { color: var(--muted); }
"#;

/// Writes the handbook into `dir` (created if missing): `index.html`, `lab-NN.html` for
/// every lab, `style.css`. Returns the files written.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("infralens-book-doc-{}", std::process::id()));
/// let files = infralens_cli::book::build(&dir)?;
/// assert!(files.iter().any(|f| f.ends_with("lab-02.html")));
/// let page = std::fs::read_to_string(dir.join("lab-02.html")).map_err(|e| e.to_string())?;
/// assert!(page.contains("<svg") && page.contains("Concept goal"));
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// `dir` cannot be created or written, or a lab's starter cannot be explained (a bug of
/// this build).
pub fn build(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let catalog = labs::catalog()?;
    if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(format!(
            "`{}` is a file: give a directory for the handbook, as in `infralens book handbook/`",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let hl = Highlighter::new()?;
    let mut written = Vec::new();
    // The handbook's own files are replaced; anything else in the way is left alone, and
    // nothing is written through a link out of `dir`.
    let mut write = |name: &str, text: &str| -> Result<(), String> {
        let path = dir.join(name);
        crate::write::create(&path, text.as_bytes(), dir, |old| {
            old.starts_with(CSS_MARK.as_bytes()) || String::from_utf8_lossy(old).contains(HTML_MARK)
        })
        .map_err(|e| e.to_string())?;
        written.push(path);
        Ok(())
    };
    write("style.css", &format!("{CSS_MARK}\n{CSS}\n{}", hl.css))?;
    write("index.html", &index(catalog))?;
    write("rules.html", &rules_page(&hl))?;
    let starters = labs::starters();
    for (i, lab) in catalog.labs.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|i| catalog.labs.get(i));
        let next = catalog.labs.get(i + 1);
        let starter = starters
            .iter()
            .find(|(_, path)| path.starts_with(&format!("labs/{}/", lab.dir)));
        write(
            &page_name(lab),
            &lab_page(catalog, lab, starter, prev, next, &hl)?,
        )?;
    }
    Ok(written)
}

/// `lab-02.html`.
fn page_name(lab: &Lab) -> String {
    format!("lab-{}.html", lab.id)
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"infralens book\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n",
        escape(title)
    )
}

fn nav(class: &str, prev: Option<&Lab>, next: Option<&Lab>) -> String {
    let mut out = format!("<nav class=\"{class}\"><a href=\"index.html\">InfraLens handbook</a>");
    if let Some(p) = prev {
        let _ = write!(
            out,
            "<a href=\"{}\" rel=\"prev\">← Lab {} — {}</a>",
            page_name(p),
            p.id,
            escape(&p.title)
        );
    }
    if let Some(n) = next {
        let _ = write!(
            out,
            "<a href=\"{}\" rel=\"next\">Lab {} — {} →</a>",
            page_name(n),
            n.id,
            escape(&n.title)
        );
    }
    out.push_str("</nav>\n");
    out
}

fn index(catalog: &Catalog) -> String {
    let mut out = head("InfraLens handbook");
    out.push_str(&nav("top", None, None));
    out.push_str("<main>\n<h1>InfraLens handbook</h1>\n<p>Transformer code is full of shape bugs. In these labs the Rust compiler checks the shapes of every tensor — batch <code>B</code>, sequence <code>S</code>, model width <code>D</code>, heads <code>H</code>, head width <code>Dh</code> — and each exercise is a real mistake that does not compile until it is fixed.</p>\n<p>Work through them in a crate of your own: <code>infralens labs --init ~/infralens-labs</code>, then <code>infralens watch</code> inside it.</p>\n<h2 id=\"curriculum\">Curriculum</h2>\n<ol class=\"curriculum\">\n");
    for lab in &catalog.labs {
        let page = labs::file(&format!("{}/README.md", lab.dir)).unwrap_or("");
        let goal = section_text(page, "Concept goal");
        let count = catalog.exercises_of(lab).count();
        let _ = writeln!(
            out,
            "<li><a href=\"{}\"><strong>Lab {} — {}</strong></a> <span class=\"muted\">· {count} exercises</span>{}</li>",
            page_name(lab),
            lab.id,
            escape(&lab.title),
            inline_markdown(&goal)
        );
    }
    out.push_str("</ol>\n<h2 id=\"rules\">The lint's rules</h2>\n<p><code>infralens lint</code> finds shape bugs without compiling; <a href=\"rules.html\">its rules</a>, each with a wrong and a right example.</p>\n</main>\n</body>\n</html>\n");
    out
}

/// Every rule of `infralens lint`: what it finds, a wrong and a right example, the lab that
/// teaches it; each at the anchor `rule-ID`, which SARIF's `helpUri` points at when
/// `INFRALENS_RULES_URL` names where this page is published.
fn rules_page(hl: &Highlighter) -> String {
    let mut out = head("The lint's rules · InfraLens handbook");
    out.push_str(&nav("top", None, None));
    out.push_str("<main>\n<h1>The rules of <code>infralens lint</code></h1>\n");
    for rule in crate::rules::RULES.iter() {
        let _ = write!(
            out,
            "<section id=\"rule-{id}\">\n<h2><code>{id}</code></h2>\n<p><strong>{summary}</strong></p>\n{explanation}<p>Wrong:</p>\n{wrong}<p>Right:</p>\n{right}",
            id = rule.id,
            summary = escape(rule.summary),
            explanation = inline_markdown(&rule.explanation),
            wrong = hl.code(rule.wrong, "rust"),
            right = hl.code(rule.right, "rust"),
        );
        if let Some(lab) = rule.lab {
            let _ = writeln!(
                out,
                "<p>Taught in <a href=\"lab-{lab}.html\">Lab {lab}</a>.</p>"
            );
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The first paragraph under `## heading` of a page, as Markdown.
fn section_text(page: &str, heading: &str) -> String {
    let mut lines = page
        .lines()
        .skip_while(|l| *l != format!("## {heading}"))
        .skip(1);
    let para: Vec<&str> = lines
        .by_ref()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    para.join("\n")
}

/// A short Markdown text (a concept, a hint) as HTML: a paragraph.
fn inline_markdown(text: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, Parser::new(text));
    out
}

/// A lab's page; `starter` is its starter (example name, path), when it has one.
fn lab_page(
    catalog: &Catalog,
    lab: &Lab,
    starter: Option<&(String, String)>,
    prev: Option<&Lab>,
    next: Option<&Lab>,
    hl: &Highlighter,
) -> Result<String, String> {
    let page = labs::file(&format!("{}/README.md", lab.dir)).unwrap_or("");
    let starter_file = starter
        .and_then(|(_, path)| path.rsplit('/').next())
        .map(str::to_owned);
    let mut out = head(&format!(
        "Lab {} — {} · InfraLens handbook",
        lab.id, lab.title
    ));
    out.push_str(&nav("top", prev, next));
    out.push_str("<main>\n");
    out.push_str(&markdown(page, starter_file.as_deref(), hl));
    if let Some((example, path)) = starter {
        let text = path
            .strip_prefix("labs/")
            .and_then(labs::file)
            .unwrap_or("");
        let name = starter_file.as_deref().unwrap_or("");
        // The starter itself is shown once, in the page's annotated code (its anchor
        // `#starter`); here, where it lives and the drawings of its functions.
        let _ = write!(
            out,
            "<section id=\"diagrams\">\n<h2>Shape diagrams</h2>\n<p>In your working crate the starter <code>{name}</code> is <code>{path}</code>; run it with <code>cargo run --example {example}</code>. Each of its annotated functions, drawn by <code>infralens explain FILE::FUNCTION --format svg</code>: every value with its named shape and sizes, the ops that make it, the weights beside their projections.</p>\n",
            name = escape(name),
            path = escape(path),
        );
        for function in annotated_functions(text) {
            let walkthrough =
                explain_source(Source::new(path, text.to_owned()), Vec::new(), &function)
                    .map_err(|e| format!("{path}::{function}: {e}"))?;
            let _ = write!(
                out,
                "<figure id=\"diagram-{}\">\n{}\n</figure>\n",
                slug(&function),
                svg(&walkthrough)
            );
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "<section id=\"exercise-errors\">\n<h2>The exercises and their errors</h2>\n<p>Each exercise is a real mistake. As shipped it does not compile, and <code>infralens lab {} --check</code> says:</p>\n",
        lab.id
    );
    for (i, ex) in catalog.exercises_of(lab).enumerate() {
        out.push_str(&exercise(lab, ex, i + 1, hl));
    }
    out.push_str("</section>\n</main>\n");
    out.push_str(&nav("bottom", prev, next));
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

fn exercise(lab: &Lab, ex: &Exercise, n: usize, hl: &Highlighter) -> String {
    let error = ex.pinned_error().map_or_else(
        || "<pre class=\"terminal\">(run the exercise to see its error)</pre>".to_owned(),
        terminal,
    );
    // The hints as `--hint` gives them, one at a time: the question, the concept, the fix.
    let [question, concept, fix] = ex.hints();
    format!(
        "<article class=\"exercise\" id=\"{id}\">\n<h3>{n}. <code>{name}</code></h3>\n<details>\n<summary>The exercise as shipped: <code>{path}</code></summary>\n{code}</details>\n{error}\n<details>\n<summary>Hint 1: a question</summary>\n{question}<details>\n<summary>Hint 2: the concept</summary>\n{concept}<details>\n<summary>Hint 3: the fix</summary>\n{fix}</details>\n</details>\n</details>\n<p class=\"muted\">Check it with <code>infralens lab {lab} --check</code>.</p>\n</article>\n",
        id = slug(&ex.name),
        name = escape(&ex.name),
        path = escape(&ex.path()),
        code = hl.code(ex.source(), "rust"),
        question = inline_markdown(&question),
        concept = inline_markdown(&concept),
        fix = inline_markdown(&fix),
        lab = lab.id,
    )
}

/// A compiler report as a terminal shows it: rustc's colours on a dark background.
fn terminal(text: &str) -> String {
    let mut out = String::from("<pre class=\"terminal\">");
    for line in text.lines() {
        let e = escape(line);
        let styled = if line.starts_with('✗') {
            format!("<span class=\"t-fail\">{e}</span>")
        } else if line.starts_with("error") || line.starts_with("warning") {
            match e.split_once(": ") {
                Some((head, rest)) => {
                    format!(
                        "<span class=\"t-error\">{head}</span><span class=\"t-note\">: {rest}</span>"
                    )
                }
                None => format!("<span class=\"t-error\">{e}</span>"),
            }
        } else if let Some(at) = e.find("--&gt; ") {
            format!(
                "{}<span class=\"t-gutter\">--&gt;</span> {}",
                &e[..at],
                &e[at + 7..]
            )
        } else if let Some(bar) = e
            .find('|')
            .filter(|&b| e[..b].chars().all(|c| c.is_ascii_digit() || c == ' '))
        {
            let (gutter, rest) = e.split_at(bar + 1);
            let marks = rest.trim_start();
            let caret = marks.starts_with('^') || marks.starts_with('-') || marks.starts_with('_');
            if caret {
                format!(
                    "<span class=\"t-gutter\">{gutter}</span><span class=\"t-caret\">{rest}</span>"
                )
            } else {
                format!("<span class=\"t-gutter\">{gutter}</span>{rest}")
            }
        } else if let Some(at) = e.find("= note").or_else(|| e.find("= help")) {
            format!(
                "{}<span class=\"t-gutter\">=</span><span class=\"t-note\">{}</span>",
                &e[..at],
                &e[at + 1..]
            )
        } else if line.starts_with("note") || line.starts_with("help") {
            format!("<span class=\"t-note\">{e}</span>")
        } else {
            e
        };
        out.push_str(&styled);
        out.push('\n');
    }
    out.push_str("</pre>");
    out
}

/// The annotated functions of a file, as `explain` names them: `f`, or `Type::method`;
/// the handbook draws a diagram for each.
///
/// ```
/// let code = "#[shapes(x: [S] -> [S])]\nfn f(x: &Tensor) -> Tensor { x.clone() }\nfn g() {}";
/// assert_eq!(infralens_cli::book::annotated_functions(code), ["f"]);
/// ```
pub fn annotated_functions(text: &str) -> Vec<String> {
    let Ok(file) = syn::parse_file(text) else {
        return Vec::new();
    };
    let annotated = |attrs: &[syn::Attribute]| {
        attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "shapes")
        })
    };
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            syn::Item::Fn(f) if annotated(&f.attrs) => out.push(f.sig.ident.to_string()),
            syn::Item::Impl(imp) => {
                let syn::Type::Path(ty) = &*imp.self_ty else {
                    continue;
                };
                let Some(ty) = ty.path.segments.last() else {
                    continue;
                };
                for item in &imp.items {
                    if let syn::ImplItem::Fn(m) = item
                        && annotated(&m.attrs)
                    {
                        out.push(format!("{}::{}", ty.ident, m.sig.ident));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An id for an anchor: lower case, words joined by `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A lab page's Markdown as HTML: headings with ids, Rust code highlighted with line
/// numbers, the link to the starter pointed at its section, other relative links (files
/// of the repository the site does not carry) left as their text.
fn markdown(page: &str, starter: Option<&str>, hl: &Highlighter) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut heading: Option<(usize, Vec<Event<'_>>, String)> = None;
    let mut links: Vec<bool> = Vec::new();
    for event in Parser::new_ext(page, options) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    pulldown_cmark::CodeBlockKind::Fenced(l) => l.to_string(),
                    pulldown_cmark::CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, text)) = &mut code {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, text)) = code.take() {
                    events.push(Event::Html(CowStr::from(hl.code(&text, &lang))));
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as usize, Vec::new(), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, inner, text)) = heading.take() {
                    events.push(Event::Html(CowStr::from(format!(
                        "<h{level} id=\"{}\">",
                        slug(&text)
                    ))));
                    events.extend(inner);
                    events.push(Event::Html(CowStr::from(format!("</h{level}>\n"))));
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let external = dest_url.contains("://")
                    || dest_url.starts_with('#')
                    || dest_url.starts_with("mailto:");
                let dest = if starter.is_some_and(|s| *dest_url == *s) {
                    Some(CowStr::from("#starter"))
                } else if external {
                    Some(dest_url)
                } else {
                    None
                };
                links.push(dest.is_some());
                if let Some(dest_url) = dest {
                    push(
                        &mut events,
                        &mut heading,
                        Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        }),
                    );
                }
            }
            Event::End(TagEnd::Link) => {
                if links.pop().unwrap_or(false) {
                    push(&mut events, &mut heading, Event::End(TagEnd::Link));
                }
            }
            // `<!-- starter: qkv.rs -->` marks the starter's copy: the site's `#starter`.
            Event::Html(h) if h.trim_start().starts_with("<!-- starter:") => {
                events.push(Event::Html(CowStr::from("<div id=\"starter\"></div>\n")));
            }
            // A URL written out in the text (further reading) is a link on the site.
            Event::Text(t) if links.is_empty() && heading.is_none() && t.contains("://") => {
                for event in autolinks(t) {
                    events.push(event);
                }
            }
            other => {
                if let (Some((_, _, text)), Event::Text(t) | Event::Code(t)) =
                    (&mut heading, &other)
                {
                    text.push_str(t);
                }
                push(&mut events, &mut heading, other);
            }
        }
    }
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

/// Text with the `http://` and `https://` URLs in it made links (a URL ends at a space, or
/// before a closing bracket or a final `.`, `,`, `;` or `:`).
fn autolinks(text: CowStr<'_>) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("https://").or_else(|| rest.find("http://")) {
        let len = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"'))
            .unwrap_or(rest.len() - start);
        let url = rest[start..start + len].trim_end_matches(['.', ',', ';', ':']);
        if !rest[..start].is_empty() {
            out.push(Event::Text(CowStr::from(rest[..start].to_owned())));
        }
        out.push(Event::Html(CowStr::from(format!(
            "<a href=\"{}\">{}</a>",
            escape(url),
            escape(url)
        ))));
        rest = &rest[start + url.len()..];
    }
    if !rest.is_empty() {
        out.push(Event::Text(CowStr::from(rest.to_owned())));
    }
    out
}

/// An event into the heading being gathered, or onto the page.
fn push<'a>(
    events: &mut Vec<Event<'a>>,
    heading: &mut Option<(usize, Vec<Event<'a>>, String)>,
    event: Event<'a>,
) {
    match heading {
        Some((_, inner, _)) => inner.push(event),
        None => events.push(event),
    }
}

/// Syntax highlighting through `syntect`, as CSS classes (the colours are in `style.css`).
struct Highlighter {
    syntaxes: SyntaxSet,
    css: String,
}

impl Highlighter {
    fn new() -> Result<Highlighter, String> {
        let themes = ThemeSet::load_defaults();
        let theme = themes
            .themes
            .get("InspiredGitHub")
            .ok_or("syntect carries no InspiredGitHub theme")?;
        let css = css_for_theme_with_class_style(theme, CLASSES)
            .map_err(|e| format!("cannot make the highlighting's CSS: {e}"))?;
        Ok(Highlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            css,
        })
    }

    /// `code` highlighted as `lang` (plain text when unknown), with line numbers.
    fn code(&self, code: &str, lang: &str) -> String {
        let syntax = self
            .syntaxes
            .find_syntax_by_token(if lang.is_empty() { "txt" } else { lang })
            .unwrap_or_else(|| self.syntaxes.find_syntax_plain_text());
        let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASSES);
        let highlighted = LinesWithEndings::from(code)
            .try_for_each(|line| html.parse_html_for_line_which_includes_newline(line))
            .map(|()| html.finalize())
            .unwrap_or_else(|_| escape(code));
        let lines = code.lines().count().max(1);
        let numbers: Vec<String> = (1..=lines).map(|n| n.to_string()).collect();
        format!(
            "<div class=\"code\"><table><tr><td class=\"ln\"><pre>{}</pre></td><td class=\"src\"><pre><code>{}</code></pre></td></tr></table></div>\n",
            numbers.join("\n"),
            highlighted.trim_end_matches('\n')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{slug, terminal};

    #[test]
    fn slugs_and_terminal_lines() {
        assert_eq!(
            slug("Explain it out loud (interview)"),
            "explain-it-out-loud-interview"
        );
        assert_eq!(slug("01_weight_orientation"), "01-weight-orientation");
        let t = terminal(
            "error[E0277]: shape mismatch: `D`\n  --> a.rs:1:2\n   |\n19 |     x\n   |     ^ here\n   = note: why",
        );
        assert!(
            t.contains("<span class=\"t-error\">error[E0277]</span>"),
            "{t}"
        );
        assert!(
            t.contains("<span class=\"t-gutter\">--&gt;</span> a.rs:1:2"),
            "{t}"
        );
        assert!(
            t.contains("<span class=\"t-caret\">     ^ here</span>"),
            "{t}"
        );
        assert!(
            t.contains("<span class=\"t-note\"> note: why</span>"),
            "{t}"
        );
    }
}
