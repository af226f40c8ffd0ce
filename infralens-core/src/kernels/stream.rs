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
    for (j, kj) in k.chunks_exact(dh).take(t).enumerate() {
        for (r, qr) in q.chunks_exact(dh).take(rows).enumerate() {
            scores[r * t + j] = dot(qr, kj);
        }
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
