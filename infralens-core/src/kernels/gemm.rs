//! GEMM through `ndarray`'s safe `general_mat_mul`, which runs `matrixmultiply`'s tuned
//! kernels for `f32` and `f64` and takes arbitrary strides, so a transposed operand is
//! never copied.

use ndarray::{
    ArrayView2, ArrayViewMut2, Axis, LinalgScalar, ShapeBuilder, linalg::general_mat_mul,
};

/// One strided matrix operand: `rows × cols` elements of `data`, element `(r, c)` at
/// `r * row_stride + c * col_stride`.
#[derive(Clone, Copy)]
pub struct Strided<'a, T> {
    pub data: &'a [T],
    pub row_stride: usize,
    pub col_stride: usize,
}

/// `c ← alpha · a · b + beta · c` with `a: m × k`, `b: k × n`, `c: m × n` (row-major,
/// contiguous).
pub fn gemm<T: LinalgScalar>(
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
    let (a, b, mut c) = views((m, k, n), a, b, c);
    general_mat_mul(alpha, &a, &b, beta, &mut c);
}

/// The operands as ndarray views (which check that the slices cover their shapes).
#[allow(clippy::type_complexity)]
fn views<'x, T>(
    (m, k, n): (usize, usize, usize),
    a: Strided<'x, T>,
    b: Strided<'x, T>,
    c: &'x mut [T],
) -> (ArrayView2<'x, T>, ArrayView2<'x, T>, ArrayViewMut2<'x, T>) {
    let a = ArrayView2::from_shape((m, k).strides((a.row_stride, a.col_stride)), a.data)
        .expect("gemm: left operand does not cover its shape (internal invariant)");
    let b = ArrayView2::from_shape((k, n).strides((b.row_stride, b.col_stride)), b.data)
        .expect("gemm: right operand does not cover its shape (internal invariant)");
    let c = ArrayViewMut2::from_shape((m, n), c)
        .expect("gemm: output does not cover its shape (internal invariant)");
    (a, b, c)
}

/// [`gemm`] split over [`crate::threads::num_threads`] threads when the product is large
/// enough to pay for them. Each thread packs its share of one operand and all of the
/// other, so the split goes along the larger side: columns of `b` and `c` when `b` is the
/// wider (a projection of few rows by a wide weight packs each weight column once), rows
/// of `a` and `c` otherwise.
pub fn gemm_par<T: LinalgScalar + Send + Sync>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let along = if n > m { n } else { m };
    // At least two rows (or columns) a thread: more threads than work items are not started.
    let threads = crate::threads::num_threads().min(along / 2).max(1);
    // Below ~8 MFLOP a thread costs more than it saves.
    if threads == 1 || m * k * n < (1 << 22) {
        return gemm((m, k, n), alpha, a, b, beta, c);
    }
    let (a, b, mut c) = views((m, k, n), a, b, c);
    let step = along.div_ceil(threads);
    type Part<'x, T> = (ArrayView2<'x, T>, ArrayView2<'x, T>, ArrayViewMut2<'x, T>);
    let parts: Vec<Part<'_, T>> = if n > m {
        b.axis_chunks_iter(Axis(1), step)
            .zip(c.axis_chunks_iter_mut(Axis(1), step))
            .map(|(b, c)| (a.view(), b, c))
            .collect()
    } else {
        a.axis_chunks_iter(Axis(0), step)
            .zip(c.axis_chunks_iter_mut(Axis(0), step))
            .map(|(a, c)| (a, b.view(), c))
            .collect()
    };
    crate::threads::for_each_split(
        parts,
        || (),
        |(), _, (a, b, mut c)| {
            general_mat_mul(alpha, &a, &b, beta, &mut c);
        },
    );
}
