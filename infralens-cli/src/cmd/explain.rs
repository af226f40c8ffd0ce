//! `infralens explain FILE::FUNCTION`: the walkthrough as a table, an SVG or a page.

use super::out::{color_out, fail};
use infralens_cli::explain::explain_at;
use infralens_cli::render::{Format, render};
use std::io::Write as _;
use std::process::ExitCode;

/// What `explain` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExplainFormat {
    /// The walkthrough as a text table.
    Table,
    /// The shape diagram, as SVG.
    Svg,
    /// A page with the diagram and the table.
    Html,
    /// The trace as JSON: every value, its op, inputs, shape and cost, and the totals.
    Json,
}

/// Prints the walkthrough of `target` in `format`; its findings after the table, or on
/// stderr beside a drawing.
pub(crate) fn run(target: &str, format: ExplainFormat, sizes: &[(String, u64)]) -> ExitCode {
    match explain_at(target, sizes) {
        Err(e) => fail(&e.to_string()),
        Ok(w) => {
            match format {
                ExplainFormat::Table => out!("{}", w.table()),
                ExplainFormat::Svg => outln!("{}", infralens_cli::diagram::svg(&w)),
                ExplainFormat::Html => out!("{}", infralens_cli::diagram::html(&w)),
                ExplainFormat::Json => outln!("{}", w.to_json()),
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
    }
}
