//! The shape analysis behind `infralens lint`, as a library an editor plugin or another
//! tool can embed (it depends on no terminal, file-watching or command-line crate): read
//! sources, follow tensor shapes through the InfraLens ops without compiling, and report
//! each broken rule in the words of its one declaration in [`infralens_core::rules`] —
//! the words the compiler uses.
//!
//! - [`source`], [`diag`]: files and the findings located in them;
//! - [`lint`]: the two passes over a crate (declarations, then every function);
//! - [`rules`]: every rule's id, docs, lab and examples; [`config`]: `infralens.toml` and
//!   `allow(…)`;
//! - [`fix`]: the mechanical fixes; [`render`]: human, JSON, SARIF and GitHub output;
//! - [`explain`]: the walkthrough of one function, value by value.
//!
//! ```
//! use infralens_lint::{lint::lint_sources, render::{render, Format}, source::Source};
//!
//! let code = "dims! { pub D = 18; pub H = 4; pub Dh = D / H; }";
//! let report = lint_sources(vec![Source::new("dims.rs", code.into())]);
//! let text = render(&report.diagnostics, Format::Human, false);
//! assert!(text.starts_with("error[dims]: `D` = 18 is not divisible by `H` = 4"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
mod decls;
pub mod diag;
pub mod explain;
pub mod fix;
mod infer;
pub mod lint;
pub mod prescan;
pub mod render;
pub mod rules;
pub mod source;
pub mod trace;

pub use infer::{Cost, Shape};
