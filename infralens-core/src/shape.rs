//! Shapes: tuples of named dims, `(B, S, D)`, of rank 1 to 6.
//!
//! Implemented here:
//! - [`Shape`] for every tuple of 1 to 6 [`Dim`]s: rank, sizes, names, element count,
//!   and a description such as `[B=2, S=4, D=16]`;
//! - [`Matrix`] for ranks 2 to 6: the view of a shape as a stack of matrices
//!   (leading "batch" dims, then rows and columns) that matmul, transpose and masks use.
//!
//! ```
//! use infralens::prelude::*;
//!
//! dims! { pub B = 2; pub S = 4; pub D = 16; }
//!
//! type X = (B, S, D);
//! assert_eq!(X::RANK, 3);
//! assert_eq!(X::SIZES, &[2, 4, 16]);
//! assert_eq!(X::NUMEL, 128);
//! assert_eq!(X::describe(), "[B=2, S=4, D=16]");
//! ```

use crate::dim::Dim;
use core::fmt::Debug;

/// A tensor shape: a tuple of 1 to 6 named [`Dim`]s such as `(B, H, S, Dh)`.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 4; }
///
/// type Q = (B, H, S, Dh);
/// assert_eq!(Q::NAMES, &["B", "H", "S", "Dh"]);
/// assert_eq!(Q::describe(), "[B=2, H=4, S=4, Dh=4]");
/// assert_eq!(Q::symbolic(), "(B, H, S, Dh)");
/// ```
pub trait Shape: Copy + Debug + Send + Sync + 'static {
    /// Number of axes.
    const RANK: usize;
    /// The size of each axis, outermost first.
    const SIZES: &'static [usize];
    /// The declared name of each axis, outermost first.
    const NAMES: &'static [&'static str];
    /// Number of elements: the product of [`Shape::SIZES`].
    const NUMEL: usize;

    /// The shape with its sizes, as a learner writes it: `[B=2, S=4, D=16]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; pub D = 16; }
    /// assert_eq!(<(S, D)>::describe(), "[S=4, D=16]");
    /// ```
    fn describe() -> String {
        let parts: Vec<String> = Self::NAMES
            .iter()
            .zip(Self::SIZES)
            .map(|(name, size)| format!("{name}={size}"))
            .collect();
        format!("[{}]", parts.join(", "))
    }

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
/// assert_eq!(<Q as Matrix>::BATCH, 8);
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
    type Swapped: Matrix<Swapped = Self, Batch = Self::Batch>;
    /// The number of matrices in the stack: the product of the batch sizes.
    const BATCH: usize;
}

macro_rules! shape_impls {
    ($( ($($d:ident),+) ; )+) => {$(
        impl<$($d: Dim),+> Shape for ($($d,)+) {
            const RANK: usize = [$($d::NAME),+].len();
            const SIZES: &'static [usize] = &[$($d::SIZE),+];
            const NAMES: &'static [&'static str] = &[$($d::NAME),+];
            const NUMEL: usize = 1 $(* $d::SIZE)+;
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
            const BATCH: usize = 1 $(* $b::SIZE)*;
        }
    )+};
    (@like $l:ident; ) => { $l };
    (@like $l:ident; $($b:ident),+) => { ($($b,)+) };
}

matrix_impls! {
    () A0 A1;
    (A0) A1 A2;
    (A0, A1) A2 A3;
    (A0, A1, A2) A3 A4;
    (A0, A1, A2, A3) A4 A5;
}
