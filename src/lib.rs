//! InfraLens: learn the shapes of AI infrastructure with tensors whose named dimensions
//! the compiler checks.
//!
//! ```
//! use infralens::prelude::*;
//! dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
//!
//! #[shapes(x: [B, S, D], wq: [D, D], wk: [D, D], wv: [D, D] -> [B, S, D])]
//! fn attention(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor) -> Tensor {
//!     #[shape(B, H, S, Dh)]
//!     let q = x.matmul(wq).split_heads::<H, Dh>(); // heads partition D
//!     let k = x.matmul(wk).split_heads::<H, Dh>();
//!     let v = x.matmul(wv).split_heads::<H, Dh>();
//!     #[shape(B, H, S, S)]
//!     let p = q.matmul(&k.t()).scale(0.5).causal_mask().softmax(); // 0.5 = 1/sqrt(Dh)
//!     p.matmul(&v).merge_heads::<D>()
//! }
//! let out = attention(&Tensor::randn(0), &Tensor::randn(1), &Tensor::randn(2), &Tensor::randn(3));
//! assert_eq!(out.describe(), "[B=2, S=4, D=16]");
//! ```
//!
//! This crate re-exports [`infralens_core`] (dims, shapes, `Tensor`, the ops) and the
//! [`dims!`] macro; `use infralens::prelude::*` brings what a program needs.
//!
//! # Run-time sizes
//!
//! Model widths are constants; the prompt length, the batch in use and a KV cache's length
//! are known only when the program runs. Declare those dims `dyn`: they stay distinct named
//! types (order and identity mistakes are still compile errors), and their sizes are bound
//! when a tensor is built ([`sizes!`]) and compared, naming the dim, where two tensors
//! meet. A generation loop over a [`KvCache`]:
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! {
//!     pub B: Batch = 1;
//!     pub S: Sequence = dyn;   // new positions this step
//!     pub T: Sequence = dyn;   // cached positions
//!     pub C: Sequence = 32;    // the cache's capacity
//!     pub D: ModelWidth = 16;
//!     pub H: Heads = 4;
//!     pub Dh: HeadWidth = D / H;
//! }
//!
//! let (wq, wk, wv) = (Tensor::<(D, D)>::randn(1), Tensor::<(D, D)>::randn(2), Tensor::<(D, D)>::randn(3));
//! let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
//! let mut x = Tensor::<(B, S, D)>::randn_in(0, &sizes![S = 6]); // the prompt
//! for step in 0..3 {
//!     let q = x.matmul(&wq).split_heads::<H, Dh>();
//!     let (k, v) = (x.matmul(&wk).split_heads::<H, Dh>(), x.matmul(&wv).split_heads::<H, Dh>());
//!     let (keys, values) = cache.append::<S, T>(&k, &v)?;
//!     assert_eq!(keys.sizes()[2], 6 + step);                     // `T` grows by one a step
//!     let out = scaled_dot_product_attention(&q, keys, values, Mask::Causal).merge_heads::<D>();
//!     x = out.narrow::<1, S>(out.sizes()[1] - 1, 1);             // the last position goes on
//! }
//! # Ok::<(), ShapeError>(())
//! ```
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
        Dim, DimInfo, Element, KvCache, Mask, Shape, ShapeError, Sizes, StaticDim, StaticShape,
        Tensor, cat, grouped_query_attention, scaled_dot_product_attention, sizes,
    };

    /// The prelude on the candle backend (feature `candle`): the same names, with
    /// `Tensor` and `KvCache` keeping their data in candle tensors. A program moves from the
    /// native backend to candle by changing its `use infralens::prelude::*;` to this, and
    /// every shape error it had is still a compile error, with the same message.
    ///
    /// ```
    /// use infralens::prelude::candle::*;
    /// dims! { pub S = 4; pub D = 8; }
    /// let x = Tensor::<(S, D)>::randn(0); // a `Tensor<(S, D), f32, Candle>`
    /// assert_eq!(x.to_candle().dims(), &[4, 8]);
    /// ```
    #[cfg(feature = "candle")]
    pub mod candle {
        pub use crate::{dims, shapes};
        pub use infralens_core::cat_candle as cat;
        pub use infralens_core::{
            Candle, Dim, DimInfo, Element, Mask, Shape, ShapeError, Sizes, StaticDim, StaticShape,
            grouped_query_attention, scaled_dot_product_attention, sizes,
        };
        /// [`infralens_core::Tensor`] on the candle backend.
        pub type Tensor<Sh, E = f32> = infralens_core::Tensor<Sh, E, Candle>;
        /// [`infralens_core::KvCache`] on the candle backend.
        pub type KvCache<B, Hkv, C, Dh, E = f32> =
            infralens_core::KvCache<B, Hkv, C, Dh, E, Candle>;
    }
}

/// Items the macros' expansions name; not public API, may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use infralens_core::__private::*;
}
