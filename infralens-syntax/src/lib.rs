//! The InfraLens annotation grammar, its checks and its diagnostics, shared by the
//! `infralens-macros` proc macros and the `infralens` CLI (as `serde_derive_internals`
//! serves `serde_derive`).
//!
//! Implemented so far:
//! - [`dims`]: the `dims! { pub B = 2; pub Dh = D / H; pub S: Sequence = dyn; }` block:
//!   parsing with spans, axis kinds, run-time (`dyn`) sizes, sizes evaluated with checked
//!   arithmetic, and spanned errors for a size that does not divide, an unknown name, a
//!   duplicate, a cycle, a zero size, an overflow or a size computed from a `dyn` dim.
//! - [`shapes`]: the arguments of `#[shapes(...)]` and `#[shape(...)]`.
//! - [`function`]: what `#[shapes]` does to a function, with its errors, as data.
//! - [`body`]: the `#[shape(...)]` lets of a function body, found and rewritten on its
//!   token trees (what the proc macro uses: no syntax tree of the body is built).
//!
//! ```
//! use infralens_syntax::dims::DimsBlock;
//!
//! let block: DimsBlock = syn::parse_str("pub D = 16; pub H = 4; pub Dh = D / H; pub S = dyn;")?;
//! let sizes = block.resolve()?;
//! assert_eq!(sizes, vec![Some(16), Some(4), Some(4), None]);
//! # Ok::<(), syn::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
pub mod dims;
pub mod function;
mod messages;
pub mod shapes;

pub use messages::{not_a_function, not_an_item};
