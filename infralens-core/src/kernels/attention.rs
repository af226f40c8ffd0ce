//! Attention forward, one (batch, head) pair at a time: `softmax(scale · Q·K^T + mask)·V`.

use super::gemm::{Strided, gemm};
use super::softmax::scaled_masked_exp_row;
use crate::Element;
use ndarray::LinalgScalar;

/// Sizes of one attention call: `q: (b, h, s, dh)`, `k: (b, hkv, t, dh)`,
/// `v: (b, hkv, t, dv)`, output `(b, h, s, dv)`; `hkv` divides `h`.
///
/// Keys and values may be the filled part of a longer buffer (a KV cache of `capacity`
/// positions): `k_stride` and `v_stride` are the distances in rows between the starts of
/// two consecutive key (value) heads (`t` when contiguous, the capacity for a cache).
#[derive(Clone, Copy, Debug)]
pub struct AttentionSizes {
    pub b: usize,
    pub h: usize,
    pub hkv: usize,
    pub s: usize,
    pub t: usize,
    pub dh: usize,
    pub dv: usize,
    pub k_stride: usize,
    pub v_stride: usize,
}

/// Which keys each query row sees: query `i` of batch `b` sees keys `lo..hi` of
/// [`MaskRows::range`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MaskRows<'a> {
    /// Causal: query `i` sees keys `..= offset + i` (`t - s` is bottom-right alignment,
    /// 0 top-left); `None` for no causal mask.
    pub causal_offset: Option<isize>,
    /// With a causal mask, query `i` sees at most the last `window` keys up to its own.
    pub window: Option<usize>,
    /// Per batch index, the number of real (unpadded) keys.
    pub key_lengths: Option<&'a [usize]>,
}

impl MaskRows<'_> {
    /// The keys `lo..hi` query `i` of batch `b` sees, out of `t`.
    pub fn range(&self, b: usize, i: usize, t: usize) -> (usize, usize) {
        let mut lo = 0usize;
        let mut hi = t;
        if let Some(offset) = self.causal_offset {
            // The last key this query sees, as a signed position (may be before key 0).
            let last = offset.saturating_add(i as isize);
            hi = usize::try_from(last.saturating_add(1)).unwrap_or(0).min(t);
            if let Some(w) = self.window {
                let first = last.saturating_add(1).saturating_sub(w as isize);
                lo = usize::try_from(first).unwrap_or(0);
            }
        }
        if let Some(lengths) = self.key_lengths {
            hi = hi.min(lengths.get(b).copied().unwrap_or(t));
        }
        (lo.min(hi), hi)
    }
}

/// Computes attention into `out`. Holds one `s × t` score matrix at a time: memory beyond
/// the inputs and output is that one buffer. Query head `qh` reads key/value head
/// `qh / (h / hkv)`. Query `i` of batch `b` sees the keys `mask.range(b, i, t)`; a query
/// that sees none gets a zero output row.
#[allow(clippy::too_many_arguments)]
pub fn attention<E: Element + LinalgScalar>(
    sz: AttentionSizes,
    q: &[E],
    k: &[E],
    v: &[E],
    mask: MaskRows<'_>,
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
        k_stride,
        v_stride,
    } = sz;
    if s == 0 || dv == 0 || h == 0 {
        return;
    }
    if t == 0 || hkv == 0 {
        // No keys: every query sees nothing, and its output row is zero.
        out.fill(E::ZERO);
        return;
    }
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
            let k_bh = &k[kvh * k_stride * dh..][..t * dh];
            let v_bh = &v[kvh * v_stride * dv..][..t * dv];
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
                let (lo, hi) = mask.range(bi, i, t);
                *sum = scaled_masked_exp_row(row, scale, lo, hi);
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
