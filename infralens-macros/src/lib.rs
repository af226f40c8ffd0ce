//! Procedural macros of InfraLens. Use them through the `infralens` crate, whose
//! docs have the examples: this crate's expansions name `::infralens::__private`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dims;
mod shapes;

use proc_macro::TokenStream;

/// Declares named dimensions: one zero-sized type per name, implementing `Dim` with its
/// size as a `typenum` number.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! {
///     /// Batch size.
///     pub B = 2;
///     pub S = 4;
///     pub D = 16;
///     pub H = 4;
///     /// Width of one head.
///     pub Dh = D / H;
/// }
/// assert_eq!((B::SIZE, Dh::SIZE, Dh::NAME), (2, 4, "Dh"));
/// ```
///
/// Sizes are integers, dims of the same block, and `*` and `/` of those. A `/` that does
/// not divide is rejected where it is written:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub D = 18; pub H = 4; pub Dh = D / H; } // `D` = 18 is not divisible by `H` = 4
/// ```
#[proc_macro]
pub fn dims(input: TokenStream) -> TokenStream {
    dims::expand(input.into()).into()
}

/// Annotates a function with the shapes of its tensors, as a learner writes them on paper.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
///
/// #[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh])]
/// fn project_q(x: &Tensor, wq: &Tensor) -> Tensor {
///     #[shape(B, S, D)]
///     let q = x.matmul(wq);
///     q.split_heads::<H, Dh>()
/// }
///
/// let q = project_q(&Tensor::randn(0), &Tensor::randn(1));
/// assert_eq!(q.describe(), "[B=2, H=4, S=4, Dh=4]");
/// ```
///
/// - A bare `Tensor` parameter or return type (also `&Tensor`, `&mut Tensor`,
///   `Result<Tensor, E>`, `Option<Tensor>`, and `Tensor<_, f64>`) is filled in from the
///   annotation; one written in full must agree with it.
/// - `#[shape(...)]` on a `let` asserts the value's shape there, at compile time.
/// - `where D = H * Dh` (or `Dh = D / H`) adds the relation as a bound, for functions
///   generic over their dims.
///
/// A value of another shape is an error at the annotation:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
///
/// #[shapes(x: [B, S, D] -> [B, H, S, Dh])]
/// fn heads(x: Tensor) -> Tensor {
///     #[shape(B, H, S, Dh)]
///     let q = x.reshape::<(B, S, H, Dh)>(); // shape mismatch at `q`: expected `(B, H, S, Dh)`, found `(B, S, H, Dh)`
///     q
/// }
/// ```
#[proc_macro_attribute]
pub fn shapes(args: TokenStream, item: TokenStream) -> TokenStream {
    shapes::expand(args.into(), item.into()).into()
}
