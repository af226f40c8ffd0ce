//! GEMM through `ndarray`'s safe `general_mat_mul`, which runs `matrixmultiply`'s tuned
//! kernels for `f32` and `f64` and takes arbitrary strides, so a transposed operand is
//! never copied.

use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar, ShapeBuilder, linalg::general_mat_mul};

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
    let a = ArrayView2::from_shape((m, k).strides((a.row_stride, a.col_stride)), a.data)
        .expect("gemm: left operand does not cover its shape (internal invariant)");
    let b = ArrayView2::from_shape((k, n).strides((b.row_stride, b.col_stride)), b.data)
        .expect("gemm: right operand does not cover its shape (internal invariant)");
    let mut c = ArrayViewMut2::from_shape((m, n), c)
        .expect("gemm: output does not cover its shape (internal invariant)");
    general_mat_mul(alpha, &a, &b, beta, &mut c);
}

/// [`gemm`] with the rows of `a` and `c` split over [`crate::threads::num_threads`] threads
/// when the product is large enough to pay for them (each thread packs `b` itself).
pub fn gemm_par<T: LinalgScalar + Send + Sync>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let threads = crate::threads::num_threads();
    // Below ~8 MFLOP a thread costs more than it saves.
    if threads == 1 || m < 2 * threads || m * k * n < (1 << 22) || n == 0 {
        return gemm((m, k, n), alpha, a, b, beta, c);
    }
    let rows = m.div_ceil(threads);
    let blocks: Vec<(usize, &mut [T])> = c
        .chunks_mut(rows * n)
        .enumerate()
        .map(|(i, block)| (i * rows, block))
        .collect();
    crate::threads::for_each_split(
        blocks,
        || (),
        |(), _, (r0, block)| {
            let rows_here = block.len() / n;
            let a_here = Strided {
                data: &a.data[r0 * a.row_stride..],
                ..a
            };
            gemm((rows_here, k, n), alpha, a_here, b, beta, block);
        },
    );
}
