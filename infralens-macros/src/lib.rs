//! Procedural macros of InfraLens. Use them through the `infralens` crate, whose
//! docs have the examples: this crate's expansions name `::infralens::__private`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dims;
mod shapes;
mod signature;

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
/// The grammar (see `infralens_syntax::shapes` for the full diagram):
///
/// ```text
/// #[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh], where D = H * Dh)]
///          ^^^^^^^^^^^^                ^^^^^^^^^^^^^^  ^^^^^^^^^^^^^^^^
///          parameter: shape            return shape    relations (dim-generic functions)
/// ```
///
/// - A bare `Tensor` parameter or return type (also `&Tensor`, `&mut Tensor`,
///   `Result<Tensor, E>`, `Option<Tensor>`, and `Tensor<_, f64>`) is filled in from the
///   annotation; one written in full must agree with it.
/// - `#[shape(...)]` on a `let` asserts the value's shape there, at compile time.
/// - `where D = H * Dh` (or `Dh = D / H`) adds the relation as a bound, for functions
///   generic over their dims.
///
/// Methods, trait-impl methods and fallible returns:
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
///
/// struct Linear { w: Tensor<(D, D)> }
///
/// impl Linear {
///     #[shapes(x: [B, S, D] -> [B, S, D])]
///     fn forward(&self, x: &Tensor) -> Tensor {
///         x.matmul(&self.w)
///     }
/// }
///
/// #[shapes(-> [B, S, D])]
/// fn load(values: Vec<f64>) -> Result<Tensor<_, f64>, ShapeError> {
///     Tensor::from_vec(values)
/// }
///
/// let y = Linear { w: Tensor::ones() }.forward(&Tensor::ones());
/// assert_eq!(y.get(&[0, 0, 0]), Some(16.0));
/// assert!(load(vec![0.0; 128]).is_ok());
/// assert_eq!(load(vec![0.0; 3]).unwrap_err().found(), 3);
/// ```
///
/// Dim-generic functions state their relations with `where`:
///
/// ```
/// use infralens::prelude::*;
///
/// #[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn], where Dm = Hn * Dhn)]
/// fn heads<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
///     x.split_heads::<Hn, Dhn>()
/// }
///
/// dims! { pub B = 1; pub S = 2; pub D = 4096; pub H = 32; pub Dh = D / H; }
/// let q: Tensor<(B, H, S, Dh)> = heads(&Tensor::<(B, S, D)>::zeros());
/// # let _ = q;
/// ```
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
///
/// A written type that disagrees with the annotation is an error pointing at both:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
///
/// #[shapes(x: [B, S, D] -> [B, S, D])]
/// fn identity(x: Tensor<(B, D, S)>) -> Tensor { // `x` is annotated `[B, S, D]` but declared …
///     x.reshape()
/// }
/// ```
///
/// A call that breaks a `where` relation is an error at the call:
///
/// ```compile_fail
/// use infralens::prelude::*;
///
/// #[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn], where Dm = Hn * Dhn)]
/// fn heads<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
///     x.split_heads::<Hn, Dhn>()
/// }
///
/// dims! { pub B = 1; pub S = 2; pub D = 16; pub H = 4; pub Dh = 8; }
/// let q: Tensor<(B, H, S, Dh)> = heads(&Tensor::<(B, S, D)>::zeros()); // `H` × `Dh` must equal `D`
/// ```
///
/// A malformed annotation is one error that says what to write:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
///
/// #[shapes(x [B, S, D] -> [B, S, D])] // expected `:` and a shape after `x`, as in `x: [B, S, D]`
/// fn identity(x: Tensor) -> Tensor {
///     x
/// }
/// ```
#[proc_macro_attribute]
pub fn shapes(args: TokenStream, item: TokenStream) -> TokenStream {
    shapes::expand(args.into(), item.into()).into()
}
