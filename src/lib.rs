//! InfraLens: learn the shapes of AI infrastructure with tensors whose named dimensions
//! the compiler checks.
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
//!
//! let x = Tensor::<(B, S, D)>::randn(0); // one hidden tensor, seeded
//! let wq = Tensor::<(D, D)>::randn(1);
//! let wk = Tensor::<(D, D)>::randn(2);
//! let wv = Tensor::<(D, D)>::randn(3);
//! let q = x.matmul(&wq).split_heads::<H, Dh>(); // (B, H, S, Dh)
//! let k = x.matmul(&wk).split_heads::<H, Dh>();
//! let v = x.matmul(&wv).split_heads::<H, Dh>();
//! let scores: Tensor<(B, H, S, S)> = q.matmul(&k.t()); // Q·K^T contracts Dh
//! let out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal).merge_heads::<D>();
//! assert_eq!(scores.describe(), "[B=2, H=4, S=4, S=4]");
//! assert_eq!(out.describe(), "[B=2, S=4, D=16]");
//! ```
//!
//! This crate re-exports [`infralens_core`] (dims, shapes, `Tensor`, the ops) and the
//! [`dims!`] macro; `use infralens::prelude::*` brings what a program needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The README's examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use infralens_core::*;
pub use infralens_macros::{dims, shapes};

/// Everything an attention program needs: `use infralens::prelude::*;`.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub S = 4; }
/// let _ = Tensor::<(S,)>::zeros();
/// ```
pub mod prelude {
    pub use crate::{dims, shapes};
    pub use infralens_core::{
        Dim, Element, Mask, Shape, ShapeError, Tensor, grouped_query_attention,
        scaled_dot_product_attention,
    };
}

/// Items the macros' expansions name; not public API, may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use infralens_core::__private::*;
}
