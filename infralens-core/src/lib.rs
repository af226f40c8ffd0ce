//! The core of InfraLens: named type-level tensor dimensions and the attention ops,
//! every shape relation checked by the compiler.
//!
//! - [`Dim`]: a named dimension (`B`, `S`, `D`, `H`, `Dh`, …) with a `typenum` size or a
//!   run-time size ([`Dyn`]), and an optional axis [`kind`]; declare them with
//!   `infralens::dims!`.
//! - [`Shape`], [`StaticShape`], [`Matrix`]: tuples of dims, `(B, H, S, Dh)`, rank 1 to 6.
//! - [`Tensor`]: real data (`f32` or `f64`) in such a shape, built from [`Sizes`] when a
//!   dim is a run-time one, and the ops in [`ops`]: `matmul`, `t`, `transpose`, `reshape`,
//!   `split_heads`, `merge_heads`, `scale`, `softmax`, `causal_mask`, `masked`,
//!   `repeat_kv`, [`cat`], `narrow`, [`scaled_dot_product_attention`],
//!   [`grouped_query_attention`], and the [`KvCache`].
//! - [`relations`]: the rules the ops check, each with the message a learner reads when
//!   it does not hold; [`rules`]: each rule's id, message, notes, lab and examples, the one
//!   declaration the compiler's message and `infralens lint` both read.
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

/// Unit tests' dims, without the `dims!` macro (a dependent crate):
/// `test_dims!(B = typenum::U2, S = crate::Dyn)`.
#[cfg(test)]
macro_rules! test_dims {
    ($($name:ident = $size:ty),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug)]
        enum $name {}
        impl $crate::Dim for $name {
            type Size = $size;
            type Kind = $crate::kind::Any;
            const NAME: &'static str = stringify!($name);
        }
    )*};
}
#[cfg(test)]
pub(crate) use test_dims;

// First: the `relation!` macro the relation traits are declared with.
#[macro_use]
pub mod rules;

pub mod backend;
pub mod cost;
mod dim;
mod element;
mod error;
pub mod generate;
mod half_tensor;
mod interop;
#[doc(hidden)]
pub mod kernels;
pub mod layers;
pub mod ops;
pub mod relations;
mod rng;
mod shape;
mod sizes;
#[rustfmt::skip]
mod swap_axes;
mod tensor;
pub mod testing;
pub mod threads;

#[cfg(feature = "candle")]
pub use backend::Candle;
pub use backend::{Backend, Native};
/// The `candle-core` version `Tensor::to_candle` and `Tensor::from_candle` speak (feature
/// `candle`).
#[cfg(feature = "candle")]
pub use candle_core;
pub use dim::{Dim, DimInfo, DimSize, Dyn, StaticDim, kind};
pub use element::Element;
pub use error::ShapeError;
pub use half_tensor::{Half, HalfTensor};
/// The `ndarray` version [`Tensor::to_ndarray`] and [`Tensor::from_ndarray`] speak.
pub use ndarray;
pub use ops::attention::{
    attention_with_bias, grouped_query_attention, scaled_dot_product_attention,
};
pub use ops::cache::KvCache;
pub use ops::embedding::{Ids, Sampler};
#[cfg(feature = "candle")]
pub use ops::join::cat_candle;
pub use ops::join::{Parts, Sum, cat};
pub use ops::kv_view::{KvInput, KvView, TransposedKv};
pub use ops::mask_type::{CausalTopLeft, Mask, MaskFor};
pub use ops::matmul::{MatMul, Operand, Transposed};
pub use ops::positions::Positions;
pub use ops::rope::{Rope, RopeScaling, RopeStyle};
pub use shape::{LastAxis, MAX_RANK, Matrix, Shape, StaticShape};
pub use sizes::{MAX_BOUND, Sizes};
pub use tensor::Tensor;

/// Items the macros' expansions name; not public API, may change in any release.
#[doc(hidden)]
pub mod __private {
    /// The kernels, over slices and `usize` sizes: for the benchmarks' untyped twin.
    pub use crate::kernels;
    pub use crate::relations::{HeadsPartition, SumOf};
    pub use crate::{Dim, Element, Shape, Tensor};
    pub use typenum;

    pub use crate::relations::{HasShape, check_shape};
    pub use crate::sizes::{Bind, Bindings};

    /// Calls `f`: the body of a `#[shapes]` function runs in a closure, so that its result
    /// (after a `return` or `?` too) can be checked against the run-time bindings.
    #[inline(always)]
    pub fn call<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// The dim of a signature whose `#[shapes]` annotation has an error: the macro writes
    /// `Tensor<UnknownShape>` there so that the annotation error is the only one.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct Unknown;
    impl crate::Dim for Unknown {
        type Size = typenum::U1;
        type Kind = crate::kind::Any;
        const NAME: &'static str = "?";
    }
    /// See [`Unknown`].
    pub type UnknownShape = (Unknown,);
}

#[cfg(test)]
mod swap_axes_gen;
