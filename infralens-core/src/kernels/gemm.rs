//! GEMM through `ndarray`'s safe `general_mat_mul`, which runs `matrixmultiply`'s tuned
//! kernels for `f32` and `f64` and takes arbitrary strides, so a transposed operand is
//! never copied.

use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar, ShapeBuilder, linalg::general_mat_mul};

/// One strided matrix operand: `rows × cols` elements of `data`, element `(r, c)` at
/// `r * row_stride + c * col_stride`.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a, T> {
    pub data: &'a [T],
    pub row_stride: usize,
    pub col_stride: usize,
}

/// `c ← alpha · a · b + beta · c` with `a: m × k`, `b: k × n`, `c: m × n` (row-major,
/// contiguous).
pub(crate) fn gemm<T: LinalgScalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    beta: T,
    c: &mut [T],
) {
    if m == 0 || n == 0 {
        return;
    }
    let a = ArrayView2::from_shape((m, k).strides((a.row_stride, a.col_stride)), a.data)
        .expect("gemm: left operand does not cover its shape (internal invariant)");
    let b = ArrayView2::from_shape((k, n).strides((b.row_stride, b.col_stride)), b.data)
        .expect("gemm: right operand does not cover its shape (internal invariant)");
    let mut c = ArrayViewMut2::from_shape((m, n), c)
        .expect("gemm: output does not cover its shape (internal invariant)");
    general_mat_mul(alpha, &a, &b, beta, &mut c);
}
