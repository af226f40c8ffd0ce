//! `infralens`: lint shape annotations without compiling, turn compiler output into CI
//! reports, explain an annotated function, and run the labs.
//!
//! Exit codes: 0 clean, 1 findings (or a failed build for `check`), 2 usage or I/O error.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use infralens_cli::check::Message;
use infralens_cli::explain::explain;
use infralens_cli::lint::lint_paths;
use infralens_cli::render::{Format, render};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

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
    Lint {
        /// Files or directories [default: src, examples and tests, those that exist].
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Run `cargo check --message-format=json` and report its shape errors.
    ///
    /// InfraLens shape errors are rendered in the chosen format with the lab that teaches
    /// the mistake; every other message passes through unchanged. Exits as the build does.
    Check {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Arguments for `cargo check`, after `--`.
        #[arg(last = true)]
        cargo_args: Vec<String>,
    },
    /// Print the shape walkthrough of an annotated function: `FILE::FUNCTION`.
    Explain {
        /// The function, as `src/attention.rs::scores`.
        target: String,
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

fn fail(message: &str) -> ExitCode {
    eprintln!("infralens: {message}");
    ExitCode::from(2)
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Cmd::Lint { paths, format } => lint(paths, format),
        Cmd::Check { format, cargo_args } => check(format, &cargo_args),
        Cmd::Explain { target } => match explain(&target) {
            Err(e) => fail(&e),
            Ok(w) => {
                print!("{}", w.table());
                if w.diagnostics.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    println!();
                    print!(
                        "{}",
                        render(
                            &w.diagnostics,
                            Format::Human,
                            std::io::stdout().is_terminal()
                        )
                    );
                    ExitCode::from(1)
                }
            }
        },
    }
}

fn lint(mut paths: Vec<PathBuf>, format: Format) -> ExitCode {
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
    let report = match lint_paths(&paths) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let color = format == Format::Human && std::io::stdout().is_terminal();
    let text = render(&report.diagnostics, format, color);
    if write_out(&text).is_err() {
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
    let color = format == Format::Human && std::io::stdout().is_terminal();
    let mut collected = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
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
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => fail(&format!("cargo did not finish: {e}")),
    }
}
