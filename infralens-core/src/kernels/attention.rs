//! Attention forward, one (batch, head) pair at a time: `softmax(scale · Q·K^T + mask)·V`.

use super::gemm::{Strided, gemm};
use super::softmax::scaled_masked_softmax_row;
use crate::Element;
use ndarray::LinalgScalar;

/// Sizes of one attention call: `q: (b, h, s, dh)`, `k: (b, hkv, t, dh)`,
/// `v: (b, hkv, t, dv)`, output `(b, h, s, dv)`; `hkv` divides `h`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttentionSizes {
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
pub(crate) fn attention<E: Element + LinalgScalar>(
    sz: AttentionSizes,
    q: &[E],
    k: &[E],
    v: &[E],
    causal: bool,
    scale: E,
    out: &mut [E],
) {
    let AttentionSizes {
        b,
        h,
        hkv,
        s,
        t,
        dh,
        dv,
    } = sz;
    let group = h / hkv;
    let mut scores = vec![E::ZERO; s * t];
    for bi in 0..b {
        for qh in 0..h {
            let kvh = bi * hkv + qh / group;
            let q_at = (bi * h + qh) * s * dh;
            let q_bh = &q[q_at..q_at + s * dh];
            let k_bh = &k[kvh * t * dh..(kvh + 1) * t * dh];
            let v_bh = &v[kvh * t * dv..(kvh + 1) * t * dv];
            // scores = scale · Q·K^T, K read transposed through its strides.
            gemm(
                (s, dh, t),
                scale,
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
                &mut scores,
            );
            for (i, row) in scores.chunks_exact_mut(t).enumerate() {
                let valid = if causal { i + 1 } else { t };
                scaled_masked_softmax_row(row, E::ONE, valid);
            }
            let o_at = (bi * h + qh) * s * dv;
            gemm(
                (s, t, dv),
                E::ONE,
                Strided {
                    data: &scores,
                    row_stride: t,
                    col_stride: 1,
                },
                Strided {
                    data: v_bh,
                    row_stride: dv,
                    col_stride: 1,
                },
                E::ZERO,
                &mut out[o_at..o_at + s * dv],
            );
        }
    }
}
