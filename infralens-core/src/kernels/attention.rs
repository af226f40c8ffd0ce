//! Attention forward, one (batch, head) pair at a time: `softmax(scale · Q·K^T + mask)·V`.

use super::gemm::{Strided, gemm};
use super::softmax::scaled_masked_exp_row;
use super::stream::{STREAM_ROWS, rows_times_matrix, rows_times_rows};
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
                // A window wider than any sequence (`usize::MAX`) hides nothing.
                let w = isize::try_from(w).unwrap_or(isize::MAX);
                let first = last.saturating_add(1).saturating_sub(w);
                lo = usize::try_from(first).unwrap_or(0);
            }
        }
        if let Some(lengths) = self.key_lengths {
            hi = hi.min(lengths.get(b).copied().unwrap_or(t));
        }
        (lo.min(hi), hi)
    }
}

/// Up to this many queries per head, the query heads sharing a key/value head are
/// computed together (see [`attention`]).
const DECODE_ROWS: usize = 16;

/// Computes attention into `out`. Holds one `s × t` score matrix at a time: memory beyond
/// the inputs and output is that one buffer. Query head `qh` reads key/value head
/// `qh / (h / hkv)`. Query `i` of batch `b` sees the keys `mask.range(b, i, t)`; a query
/// that sees none gets a zero output row. An additive `bias` (`s × t`, row-major) is added
/// to the scaled scores before the softmax.
#[allow(clippy::too_many_arguments)]
pub fn attention<E: Element + LinalgScalar>(
    sz: AttentionSizes,
    q: &[E],
    k: &[E],
    v: &[E],
    (mask, bias): (MaskRows<'_>, Option<&[E]>),
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
    // Few queries (decoding): the query heads that share a key/value head go through it
    // together, as `g · s` rows of one product, so each key/value head is read (and packed
    // for the GEMM) once per step instead of once per query head. Many queries (prefill):
    // one head at a time, which bounds the score buffer to `s × t`.
    let g = if s <= DECODE_ROWS { group } else { 1 };
    let rows = g * s;
    // One output block per (batch, group of `g` query heads), split over the threads; each
    // thread holds one `g·s × t` score buffer.
    let blocks: Vec<&mut [E]> = out.chunks_exact_mut(rows * dv).collect();
    crate::threads::for_each_split(
        blocks,
        || (vec![E::ZERO; rows * t], vec![E::ZERO; rows]),
        |(scores, sums), index, out_bh| {
            let (bi, qh) = (index / (h / g), index % (h / g) * g);
            let kvh = bi * hkv + qh / group;
            let q_at = (bi * h + qh) * s * dh;
            let q_bh = &q[q_at..q_at + rows * dh];
            let k_bh = &k[kvh * k_stride * dh..][..t * dh];
            let v_bh = &v[kvh * v_stride * dv..][..t * dv];
            // scores = Q·K^T, K read transposed through its strides (or, for a few rows,
            // each key row read once in a streaming dot product: no packing of K).
            if rows <= STREAM_ROWS {
                rows_times_rows(q_bh, k_bh, (rows, dh, t), scores);
            } else {
                gemm(
                    (rows, dh, t),
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
            }
            // Scale, mask and exponentiate in one pass over each row; the softmax's
            // division waits for the (narrower) output row.
            for (r, (row, sum)) in scores.chunks_exact_mut(t).zip(sums.iter_mut()).enumerate() {
                let (lo, hi) = mask.range(bi, r % s, t);
                *sum = match bias {
                    // An additive bias `(s, t)`, shared by every batch entry and head.
                    Some(bias) => {
                        let b_row = &bias[(r % s) * t..][..t];
                        row.iter_mut()
                            .zip(b_row)
                            .for_each(|(x, &b)| *x = *x * scale + b);
                        scaled_masked_exp_row(row, E::ONE, lo, hi)
                    }
                    None => scaled_masked_exp_row(row, scale, lo, hi),
                };
            }
            if rows <= STREAM_ROWS {
                rows_times_matrix(scores, v_bh, (rows, t, dv), out_bh);
            } else {
                gemm(
                    (rows, t, dv),
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
            }
            for (row, &sum) in out_bh.chunks_exact_mut(dv).zip(sums.iter()) {
                if sum != E::ZERO {
                    let inv = E::ONE / sum;
                    row.iter_mut().for_each(|x| *x = *x * inv);
                }
            }
        },
    );
}
