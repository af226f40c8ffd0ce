//! `infralens`: lint shape annotations without compiling, turn compiler output into CI
//! reports, explain an annotated function, and run the labs.
//!
//! Exit codes: 0 clean, 1 findings (for `check`: the code does not compile), 2 usage or I/O
//! error (for `check`: cargo could not start or stopped before compiling, e.g. no manifest).
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use infralens_cli::check::Message;
use infralens_cli::explain::explain;
use infralens_cli::labs;
use infralens_cli::lint::lint_paths_with;
use infralens_cli::render::{Format, render};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

mod term;

/// `println!` that does not panic when standard output is closed (`infralens labs | head -0`):
/// what cannot be written is dropped.
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!`, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

// The lint builds and drops a syntax tree per file: mimalloc makes that markedly cheaper
// than the system allocator (measured with `cargo bench -p infralens-cli --bench lint`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "infralens",
    version,
    about = "Shape checks for transformer code: lint annotations, report compiler shape errors, run the labs.",
    after_help = "Exit codes: 0 clean, 1 findings, 2 usage or I/O error."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check `dims!` blocks and `#[shapes]` annotations without compiling.
    ///
    /// Reports annotation syntax errors, dims declared nowhere, annotations that disagree
    /// with a written `Tensor<(…)>` type, `dims!` sizes that do not divide, and shapes
    /// that do not follow through the ops of `#[shape]`-annotated `let`s.
    ///
    /// Directory walks respect `.gitignore` and leave out trybuild UI cases (`x.rs` beside
    /// `x.stderr`). `infralens.toml` (or `[package.metadata.infralens]` in Cargo.toml), here
    /// or in a directory above, may set `exclude = ["glob", …]` and `allow = ["rule", …]`;
    /// `// infralens: allow(rule)` on the line before an item or statement allows it there.
    Lint {
        /// Files or directories [default: src, examples and tests, those that exist].
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, default_value = "human", value_parser = format_parser())]
        format: Format,
        /// The configuration file [default: infralens.toml or Cargo.toml's
        /// metadata.infralens, here or above].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Apply the mechanical fixes (a weight or the keys read transposed, the attention
        /// scale's width, a bottom-right causal mask, `Dh = D / H`), then report what is
        /// left.
        #[arg(long)]
        fix: bool,
    },
    /// Run `cargo check --message-format=json` and report its shape errors.
    ///
    /// InfraLens shape errors are rendered in the chosen format with the lab that teaches
    /// the mistake; every other message passes through unchanged. Exits as the build does.
    Check {
        /// Output format.
        #[arg(long, default_value = "human", value_parser = format_parser())]
        format: Format,
        /// Arguments for `cargo check`, after `--`.
        #[arg(last = true)]
        cargo_args: Vec<String>,
    },
    /// Write the labs as a static site (the handbook) into DIR: open DIR/index.html.
    Book {
        /// Where to write it (made if missing).
        dir: PathBuf,
    },
    /// Print the shape walkthrough of an annotated function: `FILE::FUNCTION`.
    Explain {
        /// The function, as `src/attention.rs::scores`.
        target: String,
        /// `table` (text), `svg` (the shape diagram) or `html` (a page with both).
        #[arg(long, value_enum, default_value = "table")]
        format: ExplainFormat,
    },
    /// List the labs and exercises with your progress, or make a working crate (`--init`).
    #[command(visible_alias = "list")]
    Labs {
        /// Copy the exercises into a new working crate DIR.
        #[arg(long, value_name = "DIR")]
        init: Option<PathBuf>,
        /// With `--init`: an `infralens` checkout for the working crate to depend on
        /// [default: $INFRALENS_PATH, else the library's source this binary carries, written
        /// into the working crate].
        #[arg(long, value_name = "PATH", requires = "init")]
        infralens_path: Option<PathBuf>,
        /// With `--init`: do not build InfraLens in the working crate now (the first
        /// `--check` will).
        #[arg(long, requires = "init")]
        no_build: bool,
    },
    /// Show a lab page; `--check` checks your current exercise, `--hint` gives its hint.
    Lab {
        /// The lab, as `02`.
        id: String,
        /// Compile and test the current exercise; mark it done when it passes.
        #[arg(long)]
        check: bool,
        /// Print the current exercise's hint.
        #[arg(long)]
        hint: bool,
        /// With `--check` or `--hint`: exercise N of the lab (from 1), not the current one.
        #[arg(long, value_name = "N")]
        exercise: Option<usize>,
    },
    /// Check every exercise you have done again (of one lab, or of all): after an
    /// upgrade, or to see that nothing you changed since broke one.
    Recheck {
        /// The lab [default: every lab].
        id: Option<String>,
    },
    /// Put an exercise back as shipped (your changes to it are lost) and mark it to do.
    Reset {
        /// The exercise: its name, `LAB/N` (`02/1`), or a part of its name.
        exercise: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Print an exercise's solution: once you have done it, or with `--force`.
    Solution {
        /// The exercise: its name, `LAB/N` (`02/1`), or a part of its name.
        exercise: String,
        /// Show it before you have done the exercise.
        #[arg(long)]
        force: bool,
    },
    /// The next exercise to do, in the first lab with work left: its file and what it teaches.
    Next,
    /// List the lint's rules.
    Rules,
    /// Explain one rule: what it finds, a wrong and a right example, the lab that teaches it.
    Rule {
        /// The rule's id, as findings show it: `shape-mismatch`.
        id: String,
    },
    /// Re-check the current exercise every time a file under `exercises/` is saved.
    Watch {
        /// The lab [default: the first lab with an exercise still to do].
        id: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Deeply nested code must not overflow the parser's stack.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("infralens: internal error; please report it with the command you ran");
            ExitCode::from(2)
        }
    }
}

/// Colours on standard output: a terminal, and no `NO_COLOR` (<https://no-color.org>).
fn color_out() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("infralens: {message}");
    ExitCode::from(2)
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Cmd::Lint {
            paths,
            format,
            config,
            fix,
        } => lint(paths, format, config, fix),
        Cmd::Check { format, cargo_args } => check(format, &cargo_args),
        Cmd::Labs {
            init,
            infralens_path,
            no_build,
        } => labs_cmd(init, infralens_path, no_build),
        Cmd::Lab {
            id,
            check,
            hint,
            exercise,
        } => lab_cmd(&id, check, hint, exercise),
        Cmd::Recheck { id } => recheck_cmd(id.as_deref()),
        Cmd::Watch { id } => watch(id.as_deref()),
        Cmd::Reset { exercise, yes } => reset_cmd(&exercise, yes),
        Cmd::Solution { exercise, force } => solution_cmd(&exercise, force),
        Cmd::Next => next_cmd(),
        Cmd::Rules => {
            let mut text = String::new();
            for r in infralens_cli::rules::RULES.iter() {
                text.push_str(&format!("{:<20} {}\n", r.id, r.summary));
            }
            text.push_str("\nGroups, for `allow(…)` and `infralens.toml`:\n");
            for (group, what) in infralens_cli::rules::GROUPS {
                text.push_str(&format!("{group:<20} {what}\n"));
            }
            text.push_str("\n`infralens rule ID` explains one.\n");
            match write_out(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            }
        }
        Cmd::Rule { id } => match infralens_cli::rules::rule(&id) {
            Some(r) => match write_out(&r.page()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            },
            None if infralens_cli::rules::known(&id) => {
                let members: Vec<&str> = infralens_cli::rules::RULES
                    .iter()
                    .filter(|r| r.group == Some(id.as_str()))
                    .map(|r| r.id)
                    .collect();
                let text = format!(
                    "{id}: a group of rules; `allow({id})` allows them all:\n\n{}\n\n`infralens rule ID` explains one.\n",
                    members.join("\n")
                );
                match write_out(&text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(_) => ExitCode::from(2),
                }
            }
            None => {
                let ids: Vec<&str> = infralens_cli::rules::RULES.iter().map(|r| r.id).collect();
                fail(&format!(
                    "there is no rule `{id}`; the rules are: {}",
                    ids.join(", ")
                ))
            }
        },
        Cmd::Book { dir } => match infralens_cli::book::build(&dir) {
            Ok(files) => {
                outln!(
                    "wrote {} files to {}: open {} in a browser",
                    files.len(),
                    dir.display(),
                    dir.join("index.html").display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Cmd::Explain { target, format } => match explain(&target) {
            Err(e) => fail(&e),
            Ok(w) => {
                match format {
                    ExplainFormat::Table => out!("{}", w.table()),
                    ExplainFormat::Svg => outln!("{}", infralens_cli::diagram::svg(&w)),
                    ExplainFormat::Html => out!("{}", infralens_cli::diagram::html(&w)),
                }
                if w.diagnostics.is_empty() {
                    return ExitCode::SUCCESS;
                }
                if format == ExplainFormat::Table {
                    outln!();
                    out!("{}", render(&w.diagnostics, Format::Human, color_out()));
                } else {
                    // The findings go to stderr: stdout is the drawing.
                    eprint!("{}", render(&w.diagnostics, Format::Human, false));
                }
                ExitCode::from(1)
            }
        },
    }
}

fn lint(mut paths: Vec<PathBuf>, format: Format, config: Option<PathBuf>, fix: bool) -> ExitCode {
    let config = match config {
        Some(file) => infralens_cli::config::Config::load(&file),
        None => infralens_cli::config::Config::find(&cwd()),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(&e),
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

/// `text` through `$PAGER` (else `less -R`) when it is longer than a screen and standard
/// output is a terminal; written directly otherwise, or when the pager cannot start.
/// `PAGER=` (empty) or `PAGER=cat` turns paging off.
fn page_out(text: &str) -> std::io::Result<()> {
    if !std::io::stdout().is_terminal() || text.lines().count() <= 40 {
        return write_out(text);
    }
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -R".to_owned());
    let mut words = pager.split_whitespace();
    let Some(program) = words.next() else {
        return write_out(text);
    };
    let child = Command::new(program)
        .args(words)
        .stdin(Stdio::piped())
        .spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                // The reader may quit before the end: a broken pipe is not an error here.
                let _ = stdin.write_all(text.as_bytes());
            }
            child.wait().map(|_| ())
        }
        Err(_) => write_out(text),
    }
}

fn write_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn check(format: Format, cargo_args: &[String]) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let child = Command::new(&cargo)
        .args(["check", "--message-format=json"])
        .args(cargo_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return fail(&format!(
                "cannot run `{}`: {e}; install Rust from https://rustup.rs or set CARGO to its path",
                cargo.to_string_lossy()
            ));
        }
    };
    let color = format == Format::Human && color_out();
    let mut collected = Vec::new();
    // Whether cargo got as far as building (and so its failure is the code's, exit 1), or
    // failed before (no manifest, a broken dependency: exit 2, its own message on stderr).
    let mut built = false;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("\"reason\":\"build-finished\"")
                || line.contains("\"reason\":\"compiler-artifact\"")
                || line.contains("\"reason\":\"compiler-message\"")
            {
                built = true;
            }
            match Message::parse(&line) {
                Some(Message::Shape(d)) => {
                    if format == Format::Sarif {
                        collected.push(d);
                    } else if write_out(&render(&[d], format, color)).is_err() {
                        return ExitCode::from(2);
                    }
                }
                Some(Message::Other(d, rendered)) => {
                    let text = match format {
                        Format::Human => rendered,
                        Format::Sarif => {
                            collected.push(d);
                            continue;
                        }
                        _ => render(&[d], format, false),
                    };
                    if write_out(&text).is_err() {
                        return ExitCode::from(2);
                    }
                }
                None => {}
            }
        }
    }
    if format == Format::Sarif && write_out(&render(&collected, format, false)).is_err() {
        return ExitCode::from(2);
    }
    match child.wait() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        // The code does not compile: its errors were printed above.
        Ok(_) if built => ExitCode::from(1),
        // cargo stopped before compiling anything; its message is on stderr.
        Ok(_) => ExitCode::from(2),
        Err(e) => fail(&format!("cargo did not finish: {e}")),
    }
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn labs_cmd(init: Option<PathBuf>, infralens_path: Option<PathBuf>, no_build: bool) -> ExitCode {
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let Some(dir) = init else {
        let ws = labs::Workspace::find(&cwd()).ok();
        out!("{}", labs::list(catalog, ws.as_ref()));
        return ExitCode::SUCCESS;
    };
    let checkout = infralens_path.or_else(|| std::env::var_os("INFRALENS_PATH").map(PathBuf::from));
    let dep = match checkout {
        None => None,
        Some(checkout) => match checkout.canonicalize() {
            Ok(p) if p.join("Cargo.toml").is_file() => Some(labs::path_dependency(
                &p.to_string_lossy().replace('\\', "/"),
            )),
            _ => {
                return fail(&format!(
                    "no infralens checkout at `{}`: pass `--infralens-path PATH` (the directory with infralens' Cargo.toml)",
                    checkout.display()
                ));
            }
        },
    };
    if let Err(e) = labs::init(&dir, dep.as_deref()) {
        return fail(&e);
    }
    outln!(
        "Made the working crate {}: {} exercises to fix.",
        dir.display(),
        catalog.exercises.len()
    );
    if !no_build {
        // Build the library once now, with cargo's own progress, so that the first check
        // takes seconds.
        outln!("Building InfraLens for it, once (cargo's progress below)…");
        let _ = std::io::stdout().flush();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let built = Command::new(&cargo)
            .args(["build", "--tests", "-p", "infralens"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status();
        match built {
            Ok(s) if s.success() => outln!("Built."),
            Ok(_) => outln!(
                "cargo could not build InfraLens yet (above); the first `infralens lab 01 --check` will try again."
            ),
            Err(e) => outln!(
                "cannot run `{}`: {e}; install Rust from https://rustup.rs, then check an exercise.",
                cargo.to_string_lossy()
            ),
        }
    }
    outln!(
        "Next:\n  cd {}\n  infralens lab 01          # read the lab page\n  infralens lab 01 --check  # check the first exercise",
        dir.display()
    );
    ExitCode::SUCCESS
}

fn reset_cmd(selector: &str, yes: bool) -> ExitCode {
    let (catalog, mut ws) =
        match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?))) {
            Ok(found) => found,
            Err(e) => return fail(&e),
        };
    let ex = match catalog.exercise(selector) {
        Ok(ex) => ex,
        Err(e) => return fail(&e),
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            return fail(&format!(
                "`reset` loses your changes to {}: add `--yes` to go ahead",
                ex.path()
            ));
        }
        out!(
            "Put {} back as shipped? Your changes to it are lost. [y/N] ",
            ex.path()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err()
            || !matches!(answer.trim(), "y" | "Y" | "yes")
        {
            outln!("Left as it is.");
            return ExitCode::SUCCESS;
        }
    }
    match ws.reset(ex) {
        Ok(()) => {
            outln!("{} is as shipped again, and to do.", ex.path());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn solution_cmd(selector: &str, force: bool) -> ExitCode {
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let ex = match catalog.exercise(selector) {
        Ok(ex) => ex,
        Err(e) => return fail(&e),
    };
    let done = labs::Workspace::find(&cwd()).is_ok_and(|ws| ws.done.contains(&ex.name));
    if !done && !force {
        return fail(&format!(
            "{} is not done yet: try `infralens lab {} --hint` first; `--force` shows the solution anyway",
            ex.name, ex.lab
        ));
    }
    match write_out(ex.solution()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn recheck_cmd(id: Option<&str>) -> ExitCode {
    let (catalog, mut ws) =
        match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?))) {
            Ok(found) => found,
            Err(e) => return fail(&e),
        };
    let labs_to_check: Vec<&labs::Lab> = match id {
        Some(id) => match catalog.lab(id) {
            Ok(lab) => vec![lab],
            Err(e) => return fail(&e),
        },
        None => catalog.labs.iter().collect(),
    };
    let (mut passed, mut broken) = (0, Vec::new());
    for lab in labs_to_check {
        let done: Vec<&labs::Exercise> = catalog
            .exercises_of(lab)
            .filter(|e| ws.done.contains(&e.name))
            .collect();
        for ex in done {
            match labs::check_exercise(&mut ws, catalog, lab, ex, false) {
                Ok((labs::Outcome::Done, _)) => {
                    passed += 1;
                    outln!("✓ {}", ex.path());
                }
                Ok((labs::Outcome::CargoFailed, report)) => {
                    out!("{report}");
                    return ExitCode::from(2);
                }
                Ok(_) => {
                    outln!("✗ {}: fails now, and is to do again", ex.path());
                    broken.push(ex.path());
                }
                Err(e) => return fail(&e),
            }
        }
    }
    if passed + broken.len() == 0 {
        outln!("No exercise is done yet: nothing to check again.");
    } else {
        outln!("{passed} still pass, {} fail again.", broken.len());
    }
    if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn next_cmd() -> ExitCode {
    let (catalog, ws) = match labs::catalog().and_then(|c| Ok((c, labs::Workspace::find(&cwd())?)))
    {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    let next = catalog
        .labs
        .iter()
        .find_map(|lab| Some((lab, ws.current(catalog, lab)?)));
    match next {
        Some((lab, ex)) => outln!(
            "Next: {} (Lab {} — {})\n{}\nCheck it with `infralens lab {} --check`; `--hint` for a hint.",
            ex.path(),
            lab.id,
            lab.title,
            ex.concept,
            lab.id
        ),
        None => outln!("Every exercise of every lab is done."),
    }
    ExitCode::SUCCESS
}

/// The embedded catalogue and its lab `id`.
fn catalog_and_lab(id: &str) -> Result<(&'static labs::Catalog, &'static labs::Lab), String> {
    let catalog = labs::catalog()?;
    Ok((catalog, catalog.lab(id)?))
}

fn lab_cmd(id: &str, check: bool, hint: bool, exercise: Option<usize>) -> ExitCode {
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
            Ok(labs::Outcome::CargoFailed) => return ExitCode::from(2),
            Ok(labs::Outcome::Done | labs::Outcome::LabComplete) => {}
            Err(e) => return fail(&e),
        }
    }
    if hint {
        match chosen.or_else(|| ws.current(catalog, lab)) {
            Some(ex) => outln!("hint ({}): {}", ex.name, ex.hint),
            None => outln!("Lab {} is complete: no hint needed.", lab.id),
        }
    }
    code
}

fn watch(id: Option<&str>) -> ExitCode {
    use notify::{RecursiveMode, Watcher};
    let mut ws = match labs::Workspace::find(&cwd()) {
        Ok(ws) => ws,
        Err(e) => return fail(&e),
    };
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // Without a lab named: the first one with an exercise still to do (or the last).
    let lab = match id {
        Some(id) => match catalog.lab(id) {
            Ok(lab) => lab,
            Err(e) => return fail(&e),
        },
        None => match catalog
            .labs
            .iter()
            .find(|l| ws.current(catalog, l).is_some())
            .or_else(|| catalog.labs.last())
        {
            Some(lab) => lab,
            None => return fail("there are no labs"),
        },
    };
    // One channel for both: the files saved, and the commands typed (a line each).
    let (tx, rx) = std::sync::mpsc::channel::<WatchEvent>();
    let files = tx.clone();
    let mut watcher = match notify::recommended_watcher(move |e| {
        let _ = files.send(WatchEvent::File(e));
    }) {
        Ok(w) => w,
        Err(e) => return fail(&format!("cannot watch files: {e}")),
    };
    if let Err(e) = watcher.watch(&ws.root.join("exercises"), RecursiveMode::Recursive) {
        return fail(&format!(
            "cannot watch {}/exercises: {e}",
            ws.root.display()
        ));
    }
    // Single keys on a terminal (raw mode, left on every way out), lines otherwise.
    let screen = term::Screen::keys();
    if screen.single_keys() {
        std::thread::spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                if let Some(key) = term::key_command(&event)
                    && tx.send(WatchEvent::Line(key)).is_err()
                {
                    break;
                }
            }
        });
    } else {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if tx.send(WatchEvent::Line(line)).is_err() {
                    break;
                }
            }
        });
    }
    let keys = if screen.single_keys() {
        "Press h for a hint, l for the list, c to check, q to quit."
    } else {
        "Type h⏎ for a hint, l⏎ the list, c⏎ to check, q⏎ to quit."
    };
    let color = color_out();
    let redraw = std::io::stdout().is_terminal();
    let mut passed = String::new();
    let mut typed: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    loop {
        if redraw {
            // Redraw from the top, as rustlings does.
            screen.write("\x1b[2J\x1b[H");
        }
        screen.write(&std::mem::take(&mut passed));
        let mut progress = term::Progress::new(&screen);
        let checked = labs::check_to(&mut ws, catalog, lab, color, &mut progress);
        let shown = std::mem::take(&mut progress.shown);
        drop(progress);
        // Drained before waiting, so that an edit made once the learner sees the result is
        // never lost: the compiler reading the files is not an edit; a save made while the
        // check ran is checked next; a key pressed meanwhile is kept.
        let mut saved_meanwhile = false;
        while let Ok(event) = rx.try_recv() {
            match event {
                WatchEvent::Line(l) => typed.push_back(l),
                WatchEvent::File(Ok(e)) if is_edit(&e) => saved_meanwhile = true,
                WatchEvent::File(_) => {}
            }
        }
        match checked {
            Ok(labs::Outcome::LabComplete) => {
                screen.write("Stopped watching: `infralens next` shows where to go on.\n");
                return ExitCode::SUCCESS;
            }
            // On to the next exercise at once: its state shows without a save.
            Ok(labs::Outcome::Done) => {
                passed = shown
                    .lines()
                    .filter(|l| l.starts_with('✓'))
                    .map(|l| format!("{l}\n\n"))
                    .collect();
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                drop(screen);
                return fail(&e);
            }
        }
        screen.write(&format!(
            "\nwatching exercises/: save the file to check it again. {keys}\n"
        ));
        if saved_meanwhile {
            continue;
        }
        // Wait for a `.rs` file to be written, created or removed, or a command.
        'wait: loop {
            let event = match typed.pop_front() {
                Some(line) => WatchEvent::Line(line),
                None => match rx.recv() {
                    Ok(e) => e,
                    Err(_) => {
                        drop(screen);
                        return fail("the file watcher stopped");
                    }
                },
            };
            match event {
                WatchEvent::File(Ok(e)) if is_edit(&e) => {
                    // Let a burst of events (an editor's save) settle.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    while let Ok(event) = rx.try_recv() {
                        if let WatchEvent::Line(l) = event {
                            typed.push_back(l);
                        }
                    }
                    break 'wait;
                }
                WatchEvent::File(_) => {}
                WatchEvent::Line(line) => match line.trim() {
                    "q" | "quit" => {
                        let total = catalog.exercises_of(lab).count();
                        let done = catalog
                            .exercises_of(lab)
                            .filter(|e| ws.done.contains(&e.name))
                            .count();
                        screen.write(&format!(
                            "Stopped watching. Lab {} — {}: {done} of {total} exercises done.\n",
                            lab.id, lab.title
                        ));
                        return ExitCode::SUCCESS;
                    }
                    "h" | "hint" => match ws.current(catalog, lab) {
                        Some(ex) => screen.write(&format!("hint ({}): {}\n", ex.name, ex.hint)),
                        None => screen.write(&format!("Lab {} is complete.\n", lab.id)),
                    },
                    "l" | "list" => screen.write(&labs::list(catalog, Some(&ws))),
                    "c" | "check" => break 'wait,
                    "" => {}
                    other => screen.write(&format!("`{other}`: {keys}\n")),
                },
            }
        }
    }
}

/// What `explain` prints.
/// `--format` for the lint and `check`: one of [`Format::NAMES`], listed in `--help`.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Format::NAMES).try_map(|s| s.parse::<Format>())
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExplainFormat {
    /// The walkthrough as a text table.
    Table,
    /// The shape diagram, as SVG.
    Svg,
    /// A page with the diagram and the table.
    Html,
}

/// What `watch` waits for: a file event, or a line typed.
enum WatchEvent {
    File(notify::Result<notify::Event>),
    Line(String),
}

/// A save of a `.rs` file: written, created or removed (reads are not edits).
fn is_edit(event: &notify::Event) -> bool {
    (event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove())
        && event
            .paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "rs"))
}
