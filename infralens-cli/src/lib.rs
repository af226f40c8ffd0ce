//! The `infralens` command, as a library: the lint, the compiler-output reader, the
//! renderers and the labs, so that they can be tested and benchmarked.
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
pub mod check;
pub mod config;
pub mod diag;
pub mod diagram;
pub mod explain;
pub mod fix;
mod infer;
pub mod labs;
pub mod lint;
mod markdown;
pub mod prescan;
pub mod render;
pub mod rules;
pub mod source;

pub use infer::{Cost, Shape};
