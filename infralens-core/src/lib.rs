//! The core of InfraLens: named type-level tensor dimensions and the attention ops,
//! every shape relation checked by the compiler.
//!
//! - [`Dim`]: a named dimension (`B`, `S`, `D`, `H`, `Dh`, …) with a `typenum` size;
//!   declare them with `infralens::dims!`.
//! - [`Shape`], [`Matrix`]: tuples of dims, `(B, H, S, Dh)`, rank 1 to 6.
//! - [`Tensor`]: real data (`f32` or `f64`) in such a shape, and the ops in [`ops`]:
//!   `matmul`, `t`, `transpose`, `reshape`, `split_heads`, `merge_heads`, `scale`,
//!   `softmax`, `causal_mask`, `repeat_kv`, [`scaled_dot_product_attention`],
//!   [`grouped_query_attention`].
//! - [`relations`]: the rules the ops check, each with the message a learner reads when
//!   it does not hold.
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
//!
//! let x = Tensor::<(B, S, D)>::randn(0);
//! let wq = Tensor::<(D, D)>::randn(1);
//! let q = x.matmul(&wq).split_heads::<H, Dh>();
//! let scores: Tensor<(B, H, S, S)> = q.matmul(&q.t());
//! assert_eq!(scores.describe(), "[B=2, H=4, S=4, S=4]");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dim;
mod element;
mod error;
#[doc(hidden)]
pub mod kernels;
pub mod ops;
pub mod relations;
mod rng;
mod shape;
#[rustfmt::skip]
mod swap_axes;
mod tensor;
pub mod threads;

pub use dim::Dim;
pub use element::Element;
pub use error::ShapeError;
pub use ops::attention::{Mask, grouped_query_attention, scaled_dot_product_attention};
pub use ops::matmul::{MatMul, Operand, Transposed};
pub use shape::{Matrix, Shape};
pub use tensor::Tensor;

/// Items the macros' expansions name; not public API, may change in any release.
#[doc(hidden)]
pub mod __private {
    /// The kernels, over slices and `usize` sizes: for the benchmarks' untyped twin.
    pub use crate::kernels;
    pub use crate::relations::HeadsPartition;
    pub use crate::{Dim, Element, Shape, Tensor};
    pub use typenum;

    pub use crate::relations::{HasShape, check_shape};

    /// The dim of a signature whose `#[shapes]` annotation has an error: the macro writes
    /// `Tensor<UnknownShape>` there so that the annotation error is the only one.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct Unknown;
    impl crate::Dim for Unknown {
        type Size = typenum::U1;
        const NAME: &'static str = "?";
        const SIZE: usize = 1;
    }
    /// See [`Unknown`].
    pub type UnknownShape = (Unknown,);
}

#[cfg(test)]
mod swap_axes_gen;
