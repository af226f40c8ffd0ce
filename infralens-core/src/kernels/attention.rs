//! Attention forward, one (batch, head) pair at a time: `softmax(scale · Q·K^T + mask)·V`.

use super::gemm::{Strided, gemm};
use super::softmax::scaled_masked_exp_row;
use crate::Element;
use ndarray::LinalgScalar;

/// Sizes of one attention call: `q: (b, h, s, dh)`, `k: (b, hkv, t, dh)`,
/// `v: (b, hkv, t, dv)`, output `(b, h, s, dv)`; `hkv` divides `h`.
#[derive(Clone, Copy, Debug)]
pub struct AttentionSizes {
    pub b: usize,
    pub h: usize,
    pub hkv: usize,
    pub s: usize,
    pub t: usize,
    pub dh: usize,
    pub dv: usize,
}

/// Computes attention into `out`. Holds one `s × t` score matrix at a time: memory beyond
/// the inputs and output is that one buffer. Query head `qh` reads key/value head
/// `qh / (h / hkv)`. With `causal`, query `i` sees keys `0..=i` (top-left aligned, as
/// PyTorch's `is_causal`).
pub fn attention<E: Element + LinalgScalar>(
    sz: AttentionSizes,
    q: &[E],
    k: &[E],
    v: &[E],
    causal: bool,
    scale: E,
    out: &mut [E],
) {
    let AttentionSizes {
        b: _, // the blocks of `out` count the batch
        h,
        hkv,
        s,
        t,
        dh,
        dv,
    } = sz;
    let group = h / hkv;
    // One output block per (batch, query head), split over the threads; each thread
    // holds one `s × t` score buffer.
    let blocks: Vec<&mut [E]> = out.chunks_exact_mut(s * dv).collect();
    crate::threads::for_each_split(
        blocks,
        || (vec![E::ZERO; s * t], vec![E::ZERO; s]),
        |(scores, sums), index, out_bh| {
            let (bi, qh) = (index / h, index % h);
            let kvh = bi * hkv + qh / group;
            let q_at = (bi * h + qh) * s * dh;
            let q_bh = &q[q_at..q_at + s * dh];
            let k_bh = &k[kvh * t * dh..(kvh + 1) * t * dh];
            let v_bh = &v[kvh * t * dv..(kvh + 1) * t * dv];
            // scores = Q·K^T, K read transposed through its strides.
            gemm(
                (s, dh, t),
                E::ONE,
                Strided {
                    data: q_bh,
                    row_stride: dh,
                    col_stride: 1,
                },
                Strided {
                    data: k_bh,
                    row_stride: 1,
                    col_stride: dh,
                },
                E::ZERO,
                scores,
            );
            // Scale, mask and exponentiate in one pass over each row; the softmax's
            // division waits for the (narrower) output row.
            for (i, (row, sum)) in scores.chunks_exact_mut(t).zip(sums.iter_mut()).enumerate() {
                let valid = if causal { i + 1 } else { t };
                *sum = scaled_masked_exp_row(row, scale, valid);
            }
            gemm(
                (s, t, dv),
                E::ONE,
                Strided {
                    data: scores,
                    row_stride: t,
                    col_stride: 1,
                },
                Strided {
                    data: v_bh,
                    row_stride: dv,
                    col_stride: 1,
                },
                E::ZERO,
                out_bh,
            );
            for (row, &sum) in out_bh.chunks_exact_mut(dv).zip(sums.iter()) {
                if sum != E::ZERO {
                    let inv = E::ONE / sum;
                    row.iter_mut().for_each(|x| *x = *x * inv);
                }
            }
        },
    );
}
