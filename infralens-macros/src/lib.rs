//! Procedural macros of InfraLens. Use them through the `infralens` crate, whose
//! docs have the examples: this crate's expansions name `::infralens::__private`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dims;

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
