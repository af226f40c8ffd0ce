//! The `infralens` command, as a library: the compiler-output reader, the labs runner, the
//! handbook and the diagrams, over the analysis of [`infralens_lint`] (re-exported here as
//! it was before it became a crate of its own), so that they can be tested and benchmarked.
//!
//! ```
//! use infralens_cli::{lint::lint_sources, render::{render, Format}, source::Source};
//!
//! let code = "dims! { pub D = 18; pub H = 4; pub Dh = D / H; }";
//! let report = lint_sources(vec![Source::new("dims.rs", code.into())]);
//! let text = render(&report.diagnostics, Format::Human, false);
//! assert!(text.starts_with("error[dims]: `D` = 18 is not divisible by `H` = 4"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod book;
pub mod catalog;
pub mod check;
pub mod diagram;
pub mod labs;
mod markdown;
pub mod write;

pub use infralens_lint::{
    Cost, Shape, config, diag, explain, fix, lint, prescan, render, rules, source, trace,
};
