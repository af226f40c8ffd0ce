//! Products with a few rows on the left (decoding): the right operand is streamed once,
//! row by row, with no packing.

use crate::Element;

/// Up to this many rows on the left, a product streams the right operand once instead of
/// packing it for a GEMM (decoding: one query per head, one token through a projection).
pub const STREAM_ROWS: usize = 8;

/// `scores[r][j] = q[r]·k[j]` for `rows` rows of width `dh` against `t` rows of `k`: each
/// row of `k` is read once, from where it lies (a cache's filled part, a weight stored
/// `(Out, In)`).
pub fn rows_times_rows<E: Element>(
    q: &[E],
    k: &[E],
    (rows, dh, t): (usize, usize, usize),
    scores: &mut [E],
) {
    rows_times_rows_strided(q, k, (rows, dh, t), scores, (t, 1));
}

/// [`rows_times_rows`] written at `out[r · row_stride + j · col_stride]`: `(t, 1)` is
/// row-major, `(1, rows)` column-first (a block of columns of a wider product). With the
/// feature `simd`, `f32` runs in the CPU's vector instructions.
pub fn rows_times_rows_strided<E: Element>(
    q: &[E],
    k: &[E],
    (rows, dh, t): (usize, usize, usize),
    out: &mut [E],
    (row_stride, col_stride): (usize, usize),
) {
    #[cfg(feature = "simd")]
    if let (Some(q), Some(k)) = (E::as_f32s(q), E::as_f32s(k))
        && let Some(out) = E::as_f32s_mut(out)
    {
        let sizes = (rows, dh, t);
        return super::simd::rows_against_rows(q, k, sizes, out, (row_stride, col_stride));
    }
    if rows == 1 && col_stride == 1 {
        return row_against_rows(q, k, dh, &mut out[..t]);
    }
    for (j, kj) in k.chunks_exact(dh).take(t).enumerate() {
        for (r, qr) in q.chunks_exact(dh).take(rows).enumerate() {
            out[r * row_stride + j * col_stride] = dot(qr, kj);
        }
    }
}

/// A `rows × n` product against a weight stored `(n, k)`, its columns split over the
/// threads: `block(state, j0, dest)` fills the columns `j0..` of one block, written
/// column-first into `dest` (`cols × rows`); the product is put back in `out` row-major
/// after (for one row, `dest` is `out` itself). Each thread makes one `state`.
pub(crate) fn by_column_blocks<E: Element, S>(
    (rows, n): (usize, usize),
    out: &mut [E],
    make_state: impl Fn() -> S + Sync,
    block: impl Fn(&mut S, usize, &mut [E]) + Sync,
) {
    let per = n.div_ceil(crate::threads::num_threads().max(1)).max(64);
    let mut cols_first = if rows == 1 {
        Vec::new()
    } else {
        vec![E::ZERO; n * rows]
    };
    let target: &mut [E] = if rows == 1 { out } else { &mut cols_first };
    let blocks: Vec<(usize, &mut [E])> = target.chunks_mut(per * rows).enumerate().collect();
    crate::threads::for_each_split(blocks, make_state, |state, _, (i, dest)| {
        block(state, i * per, dest)
    });
    if rows > 1 {
        // In tiles of 16 × 16: one column after another would write each value to another
        // row of `out`, and rows a power of two apart share cache sets.
        const TILE: usize = 16;
        for j0 in (0..n).step_by(TILE) {
            for r0 in (0..rows).step_by(TILE) {
                for r in r0..(r0 + TILE).min(rows) {
                    for j in j0..(j0 + TILE).min(n) {
                        out[r * n + j] = cols_first[j * rows + r];
                    }
                }
            }
        }
    }
}

/// `out[j] = x · w[j]` for one row `x` of width `k` against the rows of `w`, four rows of
/// `w` advanced together a chunk at a time: four streams of the weight in flight at once,
/// where one row after another keeps one (a decode step waits on memory). The portable
/// loop of [`rows_times_rows_strided`] for one row.
pub fn row_against_rows<E: Element>(x: &[E], w: &[E], k: usize, out: &mut [E]) {
    const CHUNK: usize = 512;
    let row = |j: usize| &w[j * k..(j + 1) * k];
    let n = out.len();
    let mut j = 0;
    while j + 4 <= n {
        let mut sums = [E::ZERO; 4];
        for at in (0..k).step_by(CHUNK) {
            let end = (at + CHUNK).min(k);
            for (i, sum) in sums.iter_mut().enumerate() {
                *sum += dot(&x[at..end], &row(j + i)[at..end]);
            }
        }
        out[j..j + 4].copy_from_slice(&sums);
        j += 4;
    }
    for (j, o) in out.iter_mut().enumerate().skip(j) {
        *o = dot(x, row(j));
    }
}

/// `out[r] = Σ_j p[r][j] · v[j]` for `rows` rows of `p` over `t` rows of `v` of width `dv`:
/// each row of `v` is read once.
pub fn rows_times_matrix<E: Element>(
    p: &[E],
    v: &[E],
    (rows, t, dv): (usize, usize, usize),
    out: &mut [E],
) {
    out.fill(E::ZERO);
    for (j, vj) in v.chunks_exact(dv).take(t).enumerate() {
        for (r, out_r) in out.chunks_exact_mut(dv).take(rows).enumerate() {
            let w = p[r * t + j];
            if w != E::ZERO {
                for (o, &x) in out_r.iter_mut().zip(vj) {
                    *o += w * x;
                }
            }
        }
    }
}

/// A dot product in 8 independent lanes, so that it vectorises (one running sum would
/// have to be added in order).
pub fn dot<E: Element>(a: &[E], b: &[E]) -> E {
    #[cfg(feature = "simd")]
    if let (Some(a), Some(b)) = (E::as_f32s(a), E::as_f32s(b)) {
        return E::from_f32(super::simd::dot(a, b));
    }
    let mut lanes = [E::ZERO; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_rest, b_rest) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        if let (Ok(x), Ok(y)) = (<&[E; 8]>::try_from(x), <&[E; 8]>::try_from(y)) {
            for l in 0..8 {
                lanes[l] += x[l] * y[l];
            }
        }
    }
    let mut sum = E::ZERO;
    for (&x, &y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    let [l0, l1, l2, l3, l4, l5, l6, l7] = lanes;
    sum + ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four rows a chunk at a time, and the rows left over, against an f64 reference on
    /// seeded data (widths below, at and past a chunk).
    #[test]
    fn row_against_rows_matches_an_f64_reference() {
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        };
        for &(k, n) in &[(5, 9), (512, 4), (1100, 7), (37, 300)] {
            let x: Vec<f32> = (0..k).map(|_| next() as f32).collect();
            let w: Vec<f32> = (0..n * k).map(|_| next() as f32).collect();
            let mut out = vec![0.0f32; n];
            row_against_rows(&x, &w, k, &mut out);
            // The same in f64: the portable loop (with the feature `simd`, `f32` takes the
            // vector kernels).
            let (x64, w64): (Vec<f64>, Vec<f64>) = (
                x.iter().map(|&v| f64::from(v)).collect(),
                w.iter().map(|&v| f64::from(v)).collect(),
            );
            let mut out64 = vec![0.0f64; n];
            row_against_rows(&x64, &w64, k, &mut out64);
            for (j, (&got, &got64)) in out.iter().zip(&out64).enumerate() {
                let want: f64 = (0..k)
                    .map(|i| f64::from(x[i]) * f64::from(w[j * k + i]))
                    .sum();
                assert!(
                    (f64::from(got) - want).abs() <= 1e-5 * (1.0 + want.abs()),
                    "({k}, {n}) at {j}: {got} vs {want}"
                );
                assert!(
                    (got64 - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "f64 ({k}, {n}) at {j}: {got64} vs {want}"
                );
            }
        }
    }
}
