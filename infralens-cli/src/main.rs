//! `infralens`: lint shape annotations without compiling, turn compiler output into CI
//! reports, explain an annotated function, and run the labs.
//!
//! Exit codes: 0 clean, 1 findings (for `check`: the code does not compile), 2 usage or I/O
//! error (for `check`: cargo could not start or stopped before compiling, e.g. no manifest).
//!
//! This file holds the command line and dispatches; each subcommand is a module of
//! `cmd/`.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use cmd::explain::ExplainFormat;
use infralens_cli::render::Format;
use std::path::PathBuf;
use std::process::ExitCode;

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

mod cmd;
mod term;

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
        /// `table` (text), `svg` (the shape diagram), `html` (a page with both) or `json`
        /// (the trace: every value, its op, inputs, shape and cost).
        #[arg(long, value_enum, default_value = "table")]
        format: ExplainFormat,
        /// A size for a dim, as `S=4096`: a run-time dim becomes known, so the FLOPs are
        /// counted (repeat for more dims).
        #[arg(long = "size", value_name = "DIM=N", value_parser = size_parser)]
        sizes: Vec<(String, u64)>,
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

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Cmd::Lint {
            paths,
            format,
            config,
            fix,
        } => cmd::lint::run(paths, format, config, fix),
        Cmd::Check { format, cargo_args } => cmd::check::run(format, &cargo_args),
        Cmd::Labs {
            init,
            infralens_path,
            no_build,
        } => cmd::labs::run(init, infralens_path, no_build),
        Cmd::Lab {
            id,
            check,
            hint,
            exercise,
        } => cmd::lab::run(&id, check, hint, exercise),
        Cmd::Recheck { id } => cmd::recheck::run(id.as_deref()),
        Cmd::Watch { id } => cmd::watch::run(id.as_deref()),
        Cmd::Reset { exercise, yes } => cmd::reset::run(&exercise, yes),
        Cmd::Solution { exercise, force } => cmd::solution::run(&exercise, force),
        Cmd::Next => cmd::next::run(),
        Cmd::Rules => cmd::rules::list(),
        Cmd::Rule { id } => cmd::rules::one(&id),
        Cmd::Book { dir } => cmd::book::run(&dir),
        Cmd::Explain {
            target,
            format,
            sizes,
        } => cmd::explain::run(&target, format, &sizes),
    }
}

/// `--format` for the lint and `check`: one of [`Format::NAMES`], listed in `--help`.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Format::NAMES).try_map(|s| s.parse::<Format>())
}

/// `--size DIM=N`.
fn size_parser(arg: &str) -> Result<(String, u64), String> {
    let (dim, size) = arg
        .split_once('=')
        .ok_or_else(|| format!("expected DIM=N, as in `S=4096`; found `{arg}`"))?;
    let size = size.trim().parse::<u64>().map_err(|_| {
        format!(
            "the size of `{}` must be a whole number, as in `S=4096`; found `{size}`",
            dim.trim()
        )
    })?;
    Ok((dim.trim().to_owned(), size))
}
