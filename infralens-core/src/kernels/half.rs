//! Products with a weight kept in half precision: `x · Wᵀ` with `W` stored `(n, k)` as
//! `bf16` or `f16` bits. The weight is widened as it is read — a row at a time for a few
//! rows of `x` (decoding: each weight byte read once, half as many as `f32`), a tile at a
//! time into a GEMM for many (prefill: the widening is paid once a tile, the products
//! `rows` times).

use super::gemm::{Strided, gemm};
use super::stream::STREAM_ROWS;
use crate::{Element, Half};

/// `x · Wᵀ`: `x` is `rows × k` (row-major), `w` holds `n` rows of `k` values in `half`'s
/// format; the result is `rows × n`.
pub fn matmul_t<E: Element>(
    x: &[E],
    w: &[u16],
    half: Half,
    (rows, k, n): (usize, usize, usize),
) -> Vec<E> {
    let mut out = vec![E::ZERO; rows * n];
    if out.is_empty() || k == 0 {
        return out;
    }
    if rows <= STREAM_ROWS {
        few_rows(x, w, half, (rows, k, n), &mut out);
    } else {
        tiled(x, w, half, (rows, k, n), &mut out);
    }
    out
}

/// bf16 to f32: the 16 bits are f32's upper half.
#[inline(always)]
pub(crate) fn bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// f16 to f32 with selects, not branches (so that it vectorises): normal values and
/// infinities/NaNs by moving the bits into place and rebasing the exponent, subnormals
/// (exponent 0) as their significand times 2⁻²⁴.
#[inline(always)]
pub(crate) fn f16(h: u16) -> f32 {
    let h = u32::from(h);
    let exp = h & 0x7c00;
    let moved = ((h & 0x7fff) << 13) + 0x3800_0000;
    let normal = if exp == 0x7c00 {
        moved + 0x3800_0000
    } else {
        moved
    };
    let subnormal = (((h & 0x03ff) as i32) as f32 * f32::from_bits(0x3380_0000)).to_bits();
    let bits = if exp == 0 { subnormal } else { normal };
    f32::from_bits(bits | ((h & 0x8000) << 16))
}

/// `out[i] = f16(w[i])`: through the `half` crate's slice conversion, which uses the CPU's
/// F16C instructions when it has them (detected at run time), in blocks of 256.
pub(crate) fn widen_f16<E: Element>(w: &[u16], out: &mut [E]) {
    use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
    let mut wide = [0.0f32; 256];
    for (o, b) in out.chunks_mut(256).zip(w.chunks(256)) {
        let wide = &mut wide[..b.len()];
        HalfBitsSliceExt::reinterpret_cast::<half::f16>(b).convert_to_f32_slice(wide);
        for (o, &x) in o.iter_mut().zip(wide.iter()) {
            *o = E::from_f32(x);
        }
    }
}

/// `Σ x[i] · widen(w[i])` in 8 independent lanes (so that it vectorises).
#[inline(always)]
fn dot<E: Element>(x: &[E], w: &[u16], widen: impl Fn(u16) -> f32) -> E {
    let mut lanes = [E::ZERO; 8];
    let (x8, w8) = (x.chunks_exact(8), w.chunks_exact(8));
    let (x_rest, w_rest) = (x8.remainder(), w8.remainder());
    for (a, b) in x8.zip(w8) {
        if let (Ok(a), Ok(b)) = (<&[E; 8]>::try_from(a), <&[u16; 8]>::try_from(b)) {
            for l in 0..8 {
                lanes[l] += a[l] * E::from_f32(widen(b[l]));
            }
        }
    }
    let mut sum = E::ZERO;
    for (&a, &b) in x_rest.iter().zip(w_rest) {
        sum += a * E::from_f32(widen(b));
    }
    let [l0, l1, l2, l3, l4, l5, l6, l7] = lanes;
    sum + ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))
}

/// `dest[c][r] = x[r] · w[j0 + c]` for the weight rows `j0..` of one block (`dest` holds
/// `rows` values a weight row).
fn block_dots<E: Element>(
    x: &[E],
    w: &[u16],
    k: usize,
    j0: usize,
    dest: &mut [E],
    rows: usize,
    widen: impl Fn(u16) -> f32 + Copy,
) {
    let cols = dest.len() / rows.max(1);
    let row = |c: usize| &w[(j0 + c) * k..(j0 + c + 1) * k];
    let mut c = 0;
    // Four weight rows advanced together, a chunk at a time: four streams of the weight
    // in flight at once, where one row after another keeps one (decoding waits on memory).
    while c + 4 <= cols && rows == 1 {
        let mut sums = [E::ZERO; 4];
        for at in (0..k).step_by(CHUNK) {
            let end = (at + CHUNK).min(k);
            for (i, sum) in sums.iter_mut().enumerate() {
                *sum += dot(&x[at..end], &row(c + i)[at..end], widen);
            }
        }
        dest[c..c + 4].copy_from_slice(&sums);
        c += 4;
    }
    for (c, dest) in dest.chunks_exact_mut(rows).enumerate().skip(c) {
        let wr = row(c);
        for (d, xr) in dest.iter_mut().zip(x.chunks_exact(k)) {
            *d = dot(xr, wr, widen);
        }
    }
}

/// The elements of a weight row read at a time by each of [`block_dots`]' four streams.
const CHUNK: usize = 512;

/// A few rows: the weight streamed once, its rows split over the threads
/// ([`super::stream::by_column_blocks`]).
fn few_rows<E: Element>(
    x: &[E],
    w: &[u16],
    half: Half,
    (rows, k, n): (usize, usize, usize),
    out: &mut [E],
) {
    super::stream::by_column_blocks(
        (rows, n),
        out,
        || vec![E::ZERO; k],
        |buf, j0, block| {
            // Widened in registers as the weight is read (feature `simd`), where `x` is
            // `f32` and the rows can be read in pairs.
            #[cfg(feature = "simd")]
            if let (Some(x), Some(block)) = (E::as_f32s(x), E::as_f32s_mut(block)) {
                let w = &w[j0 * k..(j0 + block.len() / rows) * k];
                if super::simd::half_rows_against_rows(x, rows, w, half, k, block).is_some() {
                    return;
                }
            }
            few_rows_portable(x, w, half, (rows, k), j0, buf, block)
        },
    );
}

/// One block of [`few_rows`] in portable loops: `dest[c][r] = x[r] · w[j0 + c]`.
fn few_rows_portable<E: Element>(
    x: &[E],
    w: &[u16],
    half: Half,
    (rows, k): (usize, usize),
    j0: usize,
    buf: &mut [E],
    block: &mut [E],
) {
    match half {
        // bf16 widens with a shift: fused into the dot product.
        Half::Bf16 => block_dots(x, w, k, j0, block, rows, bf16),
        // f16 widens a row at a time into `buf`, then an f32 dot product.
        Half::F16 => {
            for (c, dest) in block.chunks_exact_mut(rows).enumerate() {
                let j = j0 + c;
                widen_f16(&w[j * k..(j + 1) * k], buf);
                for (d, xr) in dest.iter_mut().zip(x.chunks_exact(k)) {
                    *d = super::stream::dot(xr, buf);
                }
            }
        }
    }
}

/// Many rows: the weight widened a tile of rows at a time (about 1 MiB of `f32`, within a
/// core's L2; smaller tiles repack the rows of `x` once a tile, which costs), each
/// tile one GEMM, the tiles split over the threads.
fn tiled<E: Element>(
    x: &[E],
    w: &[u16],
    half: Half,
    (rows, k, n): (usize, usize, usize),
    out: &mut [E],
) {
    let tile = ((1usize << 18) / k).clamp(16, 512).min(n);
    // Tile-major: tile `t`'s `rows × cols` block, row-major, one after another.
    let mut blocks = vec![E::ZERO; rows * n];
    let mut items: Vec<(usize, &mut [E])> = Vec::with_capacity(n.div_ceil(tile));
    let mut rest: &mut [E] = &mut blocks;
    for t in 0..n.div_ceil(tile) {
        let cols = tile.min(n - t * tile);
        let (block, tail) = rest.split_at_mut(rows * cols);
        items.push((t, block));
        rest = tail;
    }
    // The rows of `x` packed once for every tile's GEMM (feature `simd`, AVX2 and FMA).
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    let packed = E::as_f32s(x).and_then(|x| super::avx2::PackedRows::pack(x, (rows, k)));
    crate::threads::for_each_split(items, Vec::new, |buf: &mut Vec<E>, _, (t, block)| {
        let cols = block.len() / rows;
        buf.resize(cols * k, E::ZERO);
        half.widen_into(&w[t * tile * k..][..cols * k], buf);
        #[cfg(all(feature = "simd", target_arch = "x86_64"))]
        if let Some(packed) = &packed
            && let (Some(tile), Some(block)) = (E::as_f32s(buf), E::as_f32s_mut(block))
        {
            packed.against(tile, k, cols, block, cols);
            return;
        }
        gemm(
            (rows, k, cols),
            E::ONE,
            Strided {
                data: x,
                row_stride: k,
                col_stride: 1,
            },
            // The tile is `cols × k` row-major: read as `k × cols`, transposed.
            Strided {
                data: buf,
                row_stride: 1,
                col_stride: k,
            },
            E::ZERO,
            block,
        );
    });
    let mut at = 0;
    for t in 0..n.div_ceil(tile) {
        let cols = tile.min(n - t * tile);
        for r in 0..rows {
            out[r * n + t * tile..][..cols].copy_from_slice(&blocks[at + r * cols..][..cols]);
        }
        at += rows * cols;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The branch-free conversion against the `half` crate's, for every one of the 65,536
    /// f16 values (NaNs compared as NaNs).
    #[test]
    fn f16_widens_every_value_exactly() {
        for h in 0..=u16::MAX {
            let (got, want) = (f16(h), half::f16::from_bits(h).to_f32());
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{h:#06x}: {got} vs {want}"
            );
        }
    }

    /// The same products through `f64` from the widened weight, on seeded data, for each
    /// path (one row, a few, many; bf16 and f16; thread splits).
    #[test]
    fn matches_an_f64_reference() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        };
        for half in [Half::Bf16, Half::F16] {
            for &(rows, k, n) in &[
                (1, 37, 300),
                (3, 64, 129),
                (9, 40, 70),
                (33, 300, 17),
                (1, 8, 1),
                (1, 64, 130),
                (1, 66, 7),
            ] {
                let x: Vec<f32> = (0..rows * k).map(|_| next() as f32).collect();
                let w: Vec<u16> = (0..n * k).map(|_| half.narrow(next() as f32)).collect();
                let got = matmul_t(&x, &w, half, (rows, k, n));
                for r in 0..rows {
                    for j in 0..n {
                        let want: f64 = (0..k)
                            .map(|i| f64::from(x[r * k + i]) * f64::from(half.widen(w[j * k + i])))
                            .sum();
                        let g = f64::from(got[r * n + j]);
                        assert!(
                            (g - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "{half} ({rows}, {k}, {n}) at [{r}, {j}]: {g} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
