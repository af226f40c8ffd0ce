//! Shapes: tuples of named dims, `(B, S, D)`, of rank 1 to 6.
//!
//! Implemented here:
//! - [`Shape`] for every tuple of 1 to 6 [`Dim`]s: rank, names, kinds, which sizes are
//!   known at compile time, and a description such as `(B, S, D)`;
//! - [`StaticShape`] when every dim has a compile-time size: the sizes, the element count,
//!   `[B=2, S=4, D=16]`;
//! - [`Matrix`] for ranks 2 to 6: the view of a shape as a stack of matrices
//!   (leading "batch" dims, then rows and columns) that matmul, transpose and masks use.
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! { pub B = 2; pub S = 4; pub D = 16; pub T = dyn; }
//!
//! type X = (B, S, D);
//! assert_eq!(X::RANK, 3);
//! assert_eq!(X::SIZES, &[2, 4, 16]);
//! assert_eq!(X::NUMEL, 128);
//! assert_eq!(X::describe(), "[B=2, S=4, D=16]");
//! assert_eq!(<(B, T, D)>::EXTENTS, &[Some(2), None, Some(16)]);
//! ```

use crate::dim::{Dim, DimInfo, StaticDim};
use core::any::TypeId;
use core::fmt::Debug;

/// The highest rank a shape can have.
///
/// ```
/// assert_eq!(infralens::MAX_RANK, 6);
/// ```
pub const MAX_RANK: usize = 6;

/// The size of each axis of one tensor, outermost first; axes past its rank are 1.
pub(crate) type Extents = [usize; MAX_RANK];

/// `[B=2, S=7, D=16]` from names and sizes.
pub(crate) fn describe_sizes(names: &[&str], sizes: &[usize]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(sizes)
        .map(|(name, size)| format!("{name}={size}"))
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The product of `sizes` at compile time, for [`StaticShape::NUMEL`]: a shape whose
/// count overflows `usize` stops the build with this message where `NUMEL` is used.
const fn numel_of(sizes: &[usize]) -> usize {
    let (mut n, mut i) = (1usize, 0);
    while i < sizes.len() {
        n = match n.checked_mul(sizes[i]) {
            Some(n) => n,
            None => panic!(
                "this shape has more elements than a `usize` counts: no tensor of it can exist; check the sizes in `dims!`"
            ),
        };
        i += 1;
    }
    n
}

/// Extents from a slice of sizes (at most [`MAX_RANK`]).
pub(crate) fn extents(sizes: &[usize]) -> Extents {
    let mut out = [1; MAX_RANK];
    out[..sizes.len()].copy_from_slice(sizes);
    out
}

/// A tensor shape: a tuple of 1 to 6 named [`Dim`]s such as `(B, H, S, Dh)`.
///
/// The names are always known at compile time; the sizes of run-time dims (`S = dyn`) are
/// carried by each tensor (see [`Tensor::sizes`](crate::Tensor::sizes)). Shapes whose dims
/// all have compile-time sizes are also [`StaticShape`]s.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = 2; pub H: Heads = 4; pub S = dyn; pub Dh = 4; }
///
/// type Q = (B, H, S, Dh);
/// assert_eq!(Q::NAMES, &["B", "H", "S", "Dh"]);
/// assert_eq!(Q::KINDS, &["any", "heads", "any", "any"]);
/// assert_eq!(Q::symbolic(), "(B, H, S, Dh)");
/// assert!(!Q::IS_STATIC);
/// ```
pub trait Shape: Copy + Debug + Send + Sync + 'static {
    /// Number of axes.
    const RANK: usize;
    /// The declared name of each axis, outermost first.
    const NAMES: &'static [&'static str];
    /// The compile-time size of each axis, `None` for a run-time dim.
    const EXTENTS: &'static [Option<usize>];
    /// The declared kind of each axis, in words (`"any"` where none is declared).
    const KINDS: &'static [&'static str];
    /// Whether every axis has a compile-time size.
    const IS_STATIC: bool;

    /// The type of the dim at `axis` (for run-time bindings); `None` past the rank.
    #[doc(hidden)]
    fn dim_id(axis: usize) -> Option<TypeId>;

    /// The shape by names only: `(B, S, D)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; pub D = 16; }
    /// assert_eq!(<(S, D)>::symbolic(), "(S, D)");
    /// ```
    fn symbolic() -> String {
        format!("({})", Self::NAMES.join(", "))
    }
}

relation! {
/// A shape whose dims all have compile-time sizes: its sizes and element count are
/// constants, and tensors of it are built without naming any size (`Tensor::zeros()`).
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 4; }
///
/// type Q = (B, H, S, Dh);
/// assert_eq!(Q::SIZES, &[2, 4, 4, 4]);
/// assert_eq!(Q::NUMEL, 128);
/// assert_eq!(Q::describe(), "[B=2, H=4, S=4, Dh=4]");
/// ```
#[rule(
    STATIC_SHAPE,
    id = "static-shape",
    lab = "03",
    summary = "A tensor built without naming any size (`Tensor::zeros()`, `randn`, …) has no run-time dim: a shape with one is built from its sizes (`zeros_in(&sizes![S = 7])`).",
    wrong = "dims! { pub B = 2; pub S = dyn; pub D = 16; }\nfn main() {\n    let x = Tensor::<(B, S, D)>::zeros();\n    drop(x);\n}",
    right = "dims! { pub B = 2; pub S = dyn; pub D = 16; }\nfn main() {\n    let x = Tensor::<(B, S, D)>::zeros_in(&sizes![S = 7]);\n    drop(x);\n}",
)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a run-time dim, so its sizes are not known at compile time",
    label = "this needs every size at compile time",
    note = "build a tensor with run-time dims from their sizes: `Tensor::<{Self}>::zeros_in(&sizes![S = 7])` (also `ones_in`, `randn_in`, `from_vec_in`)"
)]
pub trait StaticShape: Shape {
    /// The size of each axis, outermost first.
    const SIZES: &'static [usize];
    /// Number of elements: the product of [`StaticShape::SIZES`].
    const NUMEL: usize;

    /// The shape with its sizes, as a learner writes it: `[B=2, S=4, D=16]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; pub D = 16; }
    /// assert_eq!(<(S, D)>::describe(), "[S=4, D=16]");
    /// ```
    fn describe() -> String {
        describe_sizes(Self::NAMES, Self::SIZES)
    }

    /// The concrete sizes: `(2, 4, 16)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; pub D = 16; }
    /// assert_eq!(<(S, D)>::concrete(), "(4, 16)");
    /// ```
    fn concrete() -> String {
        let parts: Vec<String> = Self::SIZES.iter().map(usize::to_string).collect();
        format!("({})", parts.join(", "))
    }
}
}

/// A shape seen as a stack of matrices: leading batch dims, then `Row`, then `Col`.
/// Implemented for ranks 2 to 6.
///
/// This is what [`Tensor::matmul`](crate::Tensor::matmul), [`Tensor::t`](crate::Tensor::t)
/// and [`Tensor::causal_mask`](crate::Tensor::causal_mask) work on.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Matrix;
///
/// dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 4; }
///
/// type Q = (B, H, S, Dh);
/// assert_eq!(<Q as Matrix>::Row::NAME, "S");
/// assert_eq!(<Q as Matrix>::Col::NAME, "Dh");
/// assert_eq!(<<Q as Matrix>::Swapped as Shape>::NAMES, &["B", "H", "Dh", "S"]);
/// ```
pub trait Matrix: Shape {
    /// The leading dims, as a tuple (`()` for rank 2).
    type Batch: Debug;
    /// The rows: the second-to-last dim.
    type Row: Dim;
    /// The columns: the last dim.
    type Col: Dim;
    /// The leading dims a right-hand matmul operand must have next to a left operand whose
    /// leading dims are `LeftBatch`: its own [`Matrix::Batch`], or for a rank-2 operand
    /// (a weight shared by every batch) `LeftBatch` itself.
    type BatchLike<LeftBatch>;
    /// This shape with its last dim replaced by `N`.
    type WithCol<N: Dim>: Shape;
    /// This shape with its last two dims swapped: what [`Tensor::t`](crate::Tensor::t) gives.
    type Swapped: Matrix<Swapped = Self, Batch = Self::Batch, Form = Self::Form>;
    /// As a right matmul operand: a shared weight (rank 2) or a batch of matrices.
    #[doc(hidden)]
    type Form;
}

macro_rules! shape_impls {
    ($( ($($d:ident),+) ; )+) => {$(
        impl<$($d: Dim),+> Shape for ($($d,)+) {
            const RANK: usize = [$($d::NAME),+].len();
            const NAMES: &'static [&'static str] = &[$($d::NAME),+];
            const EXTENTS: &'static [Option<usize>] = &[$($d::EXTENT),+];
            const KINDS: &'static [&'static str] = &[$($d::KIND),+];
            const IS_STATIC: bool = true $(&& $d::EXTENT.is_some())+;

            fn dim_id(axis: usize) -> Option<TypeId> {
                [$(TypeId::of::<$d>()),+].get(axis).copied()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<$($d: StaticDim),+> StaticShape for ($($d,)+) {
            const SIZES: &'static [usize] = &[$($d::SIZE),+];
            const NUMEL: usize = numel_of(&[$($d::SIZE),+]);
        }
    )+};
}

shape_impls! {
    (A0);
    (A0, A1);
    (A0, A1, A2);
    (A0, A1, A2, A3);
    (A0, A1, A2, A3, A4);
    (A0, A1, A2, A3, A4, A5);
}

macro_rules! matrix_impls {
    ($( ($($b:ident),*) $r:ident $c:ident ; )+) => {$(
        impl<$($b: Dim,)* $r: Dim, $c: Dim> Matrix for ($($b,)* $r, $c) {
            type Batch = ($($b,)*);
            type Row = $r;
            type Col = $c;
            type BatchLike<LeftBatch> = matrix_impls!(@like LeftBatch; $($b),*);
            type WithCol<N: Dim> = ($($b,)* $r, N);
            type Swapped = ($($b,)* $c, $r);
            type Form = matrix_impls!(@form $($b),*);
        }
    )+};
    (@like $l:ident; ) => { $l };
    (@like $l:ident; $($b:ident),+) => { ($($b,)+) };
    (@form ) => { crate::relations::Projection };
    (@form $($b:ident),+) => { crate::relations::Batched };
}

matrix_impls! {
    () A0 A1;
    (A0) A1 A2;
    (A0, A1) A2 A3;
    (A0, A1, A2) A3 A4;
    (A0, A1, A2, A3) A4 A5;
}

/// The last axis of a shape, what norms and element-wise weights are typed by.
/// Implemented for ranks 1 to 6.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::LastAxis;
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
/// assert_eq!(<<(B, S, D) as LastAxis>::Last as Dim>::NAME, "D");
/// ```
pub trait LastAxis: Shape {
    /// The last dim.
    type Last: Dim;
    /// This shape with its last dim replaced by `N`.
    type WithLast<N: Dim>: Shape;
}

macro_rules! last_axis {
    ($( ($($a:ident),*) $l:ident ; )+) => {$(
        impl<$($a: Dim,)* $l: Dim> LastAxis for ($($a,)* $l,) {
            type Last = $l;
            type WithLast<N: Dim> = ($($a,)* N,);
        }
    )+};
}

last_axis! {
    () A0;
    (A0) A1;
    (A0, A1) A2;
    (A0, A1, A2) A3;
    (A0, A1, A2, A3) A4;
    (A0, A1, A2, A3, A4) A5;
}
