//! InfraLens: learn the shapes of AI infrastructure with tensors whose named dimensions
//! the compiler checks.
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! {
//!     /// Batch size.
//!     pub B = 2;
//!     /// Sequence length.
//!     pub S = 4;
//!     /// Model width.
//!     pub D = 16;
//!     /// Attention heads.
//!     pub H = 4;
//!     /// Width of one head.
//!     pub Dh = D / H;
//! }
//!
//! let x = Tensor::<(B, S, D)>::randn(0);
//! let (wq, wk, wv) = (Tensor::<(D, D)>::randn(1), Tensor::<(D, D)>::randn(2), Tensor::<(D, D)>::randn(3));
//! let q = x.matmul(&wq).split_heads::<H, Dh>(); // (B, H, S, Dh)
//! let k = x.matmul(&wk).split_heads::<H, Dh>();
//! let v = x.matmul(&wv).split_heads::<H, Dh>();
//! let scores: Tensor<(B, H, S, S)> = q.matmul(&k.t());
//! let out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal).merge_heads::<D>();
//! assert_eq!((scores.describe(), out.describe()), ("[B=2, H=4, S=4, S=4]".into(), "[B=2, S=4, D=16]".into()));
//! ```
//!
//! This crate re-exports [`infralens_core`] (dims, shapes, `Tensor`, the ops) and the
//! [`dims!`] macro; `use infralens::prelude::*` brings what a program needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use infralens_core::*;
pub use infralens_macros::dims;

/// Everything an attention program needs: `use infralens::prelude::*;`.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub S = 4; }
/// let _ = Tensor::<(S,)>::zeros();
/// ```
pub mod prelude {
    pub use crate::dims;
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
