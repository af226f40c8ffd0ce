//! The products of decoding — a few rows against a weight or a cache's keys, `f32` or
//! half-precision weights widened in registers — in the widest vector instructions the CPU
//! has, chosen at run time (feature `simd`): AVX2 and FMA on x86-64, scalar code elsewhere
//! or without them. [`pulp`] chooses, and keeps the `unsafe` of calling a `#[target_feature]` function
//! inside it; the kernels below are generic over its [`Simd`] and safe.
//!
//! Without the feature, the crate is compiled for the target's baseline (SSE2 on x86-64),
//! and [`super::stream`]'s portable loops run instead.

use crate::Half;
use pulp::{Arch, Simd, WithSimd};

/// `Σ a[i] · b[i]` (equal lengths).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    Arch::new().dispatch(Dot { a, b })
}

struct Dot<'a> {
    a: &'a [f32],
    b: &'a [f32],
}

impl WithSimd for Dot<'_> {
    type Output = f32;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let (av, at) = S::as_simd_f32s(self.a);
        let (bv, bt) = S::as_simd_f32s(self.b);
        // Four sums in flight: one would wait on each multiply-add's latency.
        let zero = simd.splat_f32s(0.0);
        let mut acc = [zero; 4];
        let (a4, a1) = pulp::as_arrays::<4, _>(av);
        let (b4, b1) = pulp::as_arrays::<4, _>(bv);
        for (a, b) in a4.iter().zip(b4) {
            for l in 0..4 {
                acc[l] = simd.mul_add_f32s(a[l], b[l], acc[l]);
            }
        }
        for (&a, &b) in a1.iter().zip(b1) {
            acc[0] = simd.mul_add_f32s(a, b, acc[0]);
        }
        let sum = simd.add_f32s(simd.add_f32s(acc[0], acc[1]), simd.add_f32s(acc[2], acc[3]));
        let mut sum = simd.reduce_sum_f32s(sum);
        for (&a, &b) in at.iter().zip(bt) {
            sum += a * b;
        }
        sum
    }
}

/// `out[r · row_stride + j · col_stride] = x[r] · w[j]` for `rows` rows of `x` against the
/// `n` rows of `w` (`k` values each): four rows of `w` streamed together, each vector of
/// `x[r]` loaded once for the four, and the four rows met by every row of `x` while they
/// are in cache. Strides `(n, 1)` write the product row-major, `(1, rows)` column-first.
pub fn rows_against_rows(
    x: &[f32],
    w: &[f32],
    (rows, k, n): (usize, usize, usize),
    out: &mut [f32],
    strides: (usize, usize),
) {
    Arch::new().dispatch(RowsAgainstRows {
        x,
        w,
        sizes: (rows, k, n),
        out,
        strides,
    });
}

struct RowsAgainstRows<'a> {
    x: &'a [f32],
    w: &'a [f32],
    sizes: (usize, usize, usize),
    out: &'a mut [f32],
    strides: (usize, usize),
}

impl WithSimd for RowsAgainstRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            x,
            w,
            sizes: (rows, k, n),
            out,
            strides: (row_stride, col_stride),
        } = self;
        let row = |j: usize| &w[j * k..(j + 1) * k];
        let mut j = 0;
        while j + 4 <= n {
            let split: [(&[S::f32s], &[f32]); 4] =
                core::array::from_fn(|l| S::as_simd_f32s(row(j + l)));
            for (r, xr) in x.chunks_exact(k.max(1)).take(rows).enumerate() {
                let (xv, xt) = S::as_simd_f32s(xr);
                let zero = simd.splat_f32s(0.0);
                let mut acc = [zero; 4];
                for (i, &xi) in xv.iter().enumerate() {
                    for l in 0..4 {
                        acc[l] = simd.mul_add_f32s(xi, split[l].0[i], acc[l]);
                    }
                }
                for l in 0..4 {
                    let mut sum = simd.reduce_sum_f32s(acc[l]);
                    for (&a, &b) in xt.iter().zip(split[l].1) {
                        sum += a * b;
                    }
                    out[r * row_stride + (j + l) * col_stride] = sum;
                }
            }
            j += 4;
        }
        for j in j..n {
            for r in 0..rows {
                let xr = &x[r * k..(r + 1) * k];
                out[r * row_stride + j * col_stride] = Dot { a: xr, b: row(j) }.with_simd(simd);
            }
        }
    }
}

/// `out[j · rows + r] = x[r] · widen(w[j])` for `rows` rows of `x` (each `k` values) against
/// rows of `k` half-precision values (`half`'s format): the [`rows_against_rows`] of a weight
/// kept in bf16 or f16, widened in registers as it is read.
///
/// The weight is read as pairs (`u32`s, the even element in the low half), and each row of
/// `x` split into its even and odd elements to meet them. One row of `x` (a decode step)
/// reads the weight's rows in four sequential streams a quarter of the block apart; several read 8 (bf16) or 4
/// (f16) weight rows together, each met by every row of `x` while in cache. `None` where the rows cannot be
/// read as pairs (`k` odd, or the weight not 4-byte aligned): the caller's portable loop
/// runs then.
pub fn half_rows_against_rows(
    x: &[f32],
    rows: usize,
    w: &[u16],
    half: Half,
    k: usize,
    out: &mut [f32],
) -> Option<()> {
    if !k.is_multiple_of(2) || rows == 0 || x.len() != rows * k || !out.len().is_multiple_of(rows) {
        return None;
    }
    let pairs: &[u32] = pulp::bytemuck::try_cast_slice(&w[..out.len() / rows * k]).ok()?;
    let (even, odd): (Vec<f32>, Vec<f32>) = x.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
    fn run<W: Pairs, const ROWS: usize>(op: HalfRows<'_, W, ROWS>) {
        Arch::new().dispatch(op)
    }
    let (even, odd) = (&even[..], &odd[..]);
    match half {
        Half::Bf16 => run::<_, 8>(HalfRows {
            even,
            odd,
            rows,
            pairs,
            out,
            widen: Bf16Pairs,
        }),
        Half::F16 => run::<_, 4>(HalfRows {
            even,
            odd,
            rows,
            pairs,
            out,
            widen: F16Pairs,
        }),
    }
    Some(())
}

/// How a `u32` holding two half-precision values (the first in its low 16 bits) becomes two
/// `f32`s: in vectors, and one at a time for the tails.
trait Pairs: Copy {
    fn widen<S: Simd>(self, simd: S, p: S::u32s) -> (S::f32s, S::f32s);
    fn widen_one(self, p: u32) -> (f32, f32);
}

/// bf16: an f32's upper half; the low value shifted up, the high one with the low half
/// cleared.
#[derive(Clone, Copy)]
struct Bf16Pairs;

impl Pairs for Bf16Pairs {
    #[inline(always)]
    fn widen<S: Simd>(self, simd: S, p: S::u32s) -> (S::f32s, S::f32s) {
        (
            simd.transmute_f32s_u32s(simd.wrapping_dyn_shl_u32s(p, simd.splat_u32s(16))),
            simd.transmute_f32s_u32s(simd.and_u32s(p, simd.splat_u32s(0xffff_0000))),
        )
    }

    #[inline(always)]
    fn widen_one(self, p: u32) -> (f32, f32) {
        (f32::from_bits(p << 16), f32::from_bits(p & 0xffff_0000))
    }
}

/// f16: exponent and significand moved into an f32's place and scaled by 2¹¹² (which rebases
/// the exponent and makes subnormals exact); infinities and NaNs (exponent all ones) get
/// f32's all-ones exponent instead; then the sign.
#[derive(Clone, Copy)]
struct F16Pairs;

impl F16Pairs {
    /// One value whose magnitude bits sit at f32's bits 13..=27 (`(h & 0x7fff) << 13`).
    #[inline(always)]
    fn finish<S: Simd>(simd: S, moved: S::u32s, sign: S::u32s) -> S::f32s {
        let scaled = simd.mul_f32s(
            simd.transmute_f32s_u32s(moved),
            simd.splat_f32s(f32::from_bits(0x7780_0000)),
        );
        let special = simd.greater_than_or_equal_u32s(moved, simd.splat_u32s(0x0f80_0000));
        let bits = simd.select_u32s(
            special,
            simd.or_u32s(moved, simd.splat_u32s(0x7f80_0000)),
            simd.transmute_u32s_f32s(scaled),
        );
        simd.transmute_f32s_u32s(simd.or_u32s(bits, sign))
    }
}

impl Pairs for F16Pairs {
    #[inline(always)]
    fn widen<S: Simd>(self, simd: S, p: S::u32s) -> (S::f32s, S::f32s) {
        let low_moved = simd.wrapping_dyn_shl_u32s(
            simd.and_u32s(p, simd.splat_u32s(0x7fff)),
            simd.splat_u32s(13),
        );
        let low_sign = simd.wrapping_dyn_shl_u32s(
            simd.and_u32s(p, simd.splat_u32s(0x8000)),
            simd.splat_u32s(16),
        );
        let high_moved = simd.and_u32s(
            simd.wrapping_dyn_shr_u32s(p, simd.splat_u32s(3)),
            simd.splat_u32s(0x0fff_e000),
        );
        let high_sign = simd.and_u32s(p, simd.splat_u32s(0x8000_0000));
        (
            Self::finish(simd, low_moved, low_sign),
            Self::finish(simd, high_moved, high_sign),
        )
    }

    #[inline(always)]
    fn widen_one(self, p: u32) -> (f32, f32) {
        (
            super::half::f16(p as u16),
            super::half::f16((p >> 16) as u16),
        )
    }
}

/// One row of `x` against the weight's rows one after another: the weight read in one
/// sequential stream (what the hardware prefetcher follows best), eight sums in flight
/// (four vectors of pairs, even and odd apart) so that no multiply-add waits on the last.
#[inline(always)]
fn one_row_in_one_stream<S: Simd, W: Pairs>(
    simd: S,
    (even, odd): (&[f32], &[f32]),
    pairs: &[u32],
    out: &mut [f32],
    widen: W,
) {
    let half = even.len();
    let (ev, et) = S::as_simd_f32s(even);
    let (ov, ot) = S::as_simd_f32s(odd);
    let (e4, e1) = pulp::as_arrays::<4, _>(ev);
    let (o4, o1) = pulp::as_arrays::<4, _>(ov);
    for (dest, row) in out.iter_mut().zip(pairs.chunks_exact(half)) {
        let (pv, pt) = S::as_simd_u32s(row);
        let (p4, p1) = pulp::as_arrays::<4, _>(pv);
        let zero = simd.splat_f32s(0.0);
        let (mut lo_sums, mut hi_sums) = ([zero; 4], [zero; 4]);
        for ((e, o), p) in e4.iter().zip(o4).zip(p4) {
            for l in 0..4 {
                let (lo, hi) = widen.widen(simd, p[l]);
                lo_sums[l] = simd.mul_add_f32s(e[l], lo, lo_sums[l]);
                hi_sums[l] = simd.mul_add_f32s(o[l], hi, hi_sums[l]);
            }
        }
        for ((&e, &o), &p) in e1.iter().zip(o1).zip(p1) {
            let (lo, hi) = widen.widen(simd, p);
            lo_sums[0] = simd.mul_add_f32s(e, lo, lo_sums[0]);
            hi_sums[0] = simd.mul_add_f32s(o, hi, hi_sums[0]);
        }
        let mut sum = zero;
        for l in 0..4 {
            sum = simd.add_f32s(sum, simd.add_f32s(lo_sums[l], hi_sums[l]));
        }
        *dest = et
            .iter()
            .zip(ot)
            .zip(pt)
            .fold(simd.reduce_sum_f32s(sum), |s, ((&e, &o), &p)| {
                let (lo, hi) = widen.widen_one(p);
                s + e * lo + o * hi
            });
    }
}

/// One row of `x` against the weight's rows in four sequential streams a quarter of the
/// block apart: rows `i`, `i + n/4`, `i + n/2` and `i + 3n/4` together, each read one after
/// another. Four long streams keep more of the weight in flight from memory than one (a
/// decode step of `perf/decoder-compare`'s model in bf16 on one thread of an AVX2 CPU,
/// interleaved: one stream 81–86 tokens/s, two 102–123, four 120–137, eight 102–113); rows
/// side by side (`j`, `j + 1`, …) are not long streams and were slower than one. The last
/// `n mod 4` rows go through [`one_row_in_one_stream`].
#[inline(always)]
fn one_row_in_four_streams<S: Simd, W: Pairs>(
    simd: S,
    (even, odd): (&[f32], &[f32]),
    pairs: &[u32],
    out: &mut [f32],
    widen: W,
) {
    const N: usize = 4;
    let half = even.len();
    let n = out.len();
    let h = n / N;
    let (ev, et) = S::as_simd_f32s(even);
    let (ov, ot) = S::as_simd_f32s(odd);
    let tail = |sum: f32, rest: &[u32]| {
        et.iter().zip(ot).zip(rest).fold(sum, |s, ((&e, &o), &p)| {
            let (lo, hi) = widen.widen_one(p);
            s + e * lo + o * hi
        })
    };
    for i in 0..h {
        let rows: [(&[S::u32s], &[u32]); N] =
            core::array::from_fn(|s| S::as_simd_u32s(&pairs[(s * h + i) * half..][..half]));
        let zero = simd.splat_f32s(0.0);
        let (mut lo, mut hi) = ([zero; N], [zero; N]);
        for (v, (&e, &o)) in ev.iter().zip(ov).enumerate() {
            for s in 0..N {
                let (a, b) = widen.widen(simd, rows[s].0[v]);
                lo[s] = simd.mul_add_f32s(e, a, lo[s]);
                hi[s] = simd.mul_add_f32s(o, b, hi[s]);
            }
        }
        for s in 0..N {
            let sum = simd.reduce_sum_f32s(simd.add_f32s(lo[s], hi[s]));
            out[s * h + i] = tail(sum, rows[s].1);
        }
    }
    if N * h < n {
        let rest = &pairs[N * h * half..];
        one_row_in_one_stream(simd, (even, odd), rest, &mut out[N * h..], widen);
    }
}

/// `ROWS`: the weight rows streamed together when there are several rows of `x`, as many as
/// the registers hold sums for beside the widening's own (8 for bf16's shift, 4 for f16's
/// longer widening); one row goes to [`one_row_in_four_streams`].
struct HalfRows<'a, W, const ROWS: usize> {
    even: &'a [f32],
    odd: &'a [f32],
    rows: usize,
    pairs: &'a [u32],
    out: &'a mut [f32],
    widen: W,
}

impl<W: Pairs, const ROWS: usize> WithSimd for HalfRows<'_, W, ROWS> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            even,
            odd,
            rows,
            pairs,
            out,
            widen,
        } = self;
        if rows == 1 {
            // A decode step: the weight in four streams.
            return one_row_in_four_streams(simd, (even, odd), pairs, out, widen);
        }
        let half = even.len() / rows;
        let row = |j: usize| &pairs[j * half..(j + 1) * half];
        // Row `r` of `x`, split: even and odd elements, vectors and tails.
        let x = |r: usize| {
            let (e, o) = (&even[r * half..][..half], &odd[r * half..][..half]);
            (S::as_simd_f32s(e), S::as_simd_f32s(o))
        };
        let tail = |sum: f32, (et, ot): (&[f32], &[f32]), rest: &[u32]| {
            et.iter().zip(ot).zip(rest).fold(sum, |s, ((&e, &o), &p)| {
                let (lo, hi) = widen.widen_one(p);
                s + e * lo + o * hi
            })
        };
        let n = out.len() / rows;
        let mut j = 0;
        while j + ROWS <= n {
            let split: [(&[S::u32s], &[u32]); ROWS] =
                core::array::from_fn(|l| S::as_simd_u32s(row(j + l)));
            // The ROWS weight rows stay in cache while each row of `x` meets them.
            for r in 0..rows {
                let ((ev, et), (ov, ot)) = x(r);
                let zero = simd.splat_f32s(0.0);
                let mut sums = [zero; ROWS];
                for (i, (&e, &o)) in ev.iter().zip(ov).enumerate() {
                    for l in 0..ROWS {
                        let (lo, hi) = widen.widen(simd, split[l].0[i]);
                        sums[l] = simd.mul_add_f32s(o, hi, simd.mul_add_f32s(e, lo, sums[l]));
                    }
                }
                for l in 0..ROWS {
                    let sum = simd.reduce_sum_f32s(sums[l]);
                    out[(j + l) * rows + r] = tail(sum, (et, ot), split[l].1);
                }
            }
            j += ROWS;
        }
        for j in j..n {
            let (pv, pt) = S::as_simd_u32s(row(j));
            for r in 0..rows {
                let ((ev, et), (ov, ot)) = x(r);
                let mut acc = simd.splat_f32s(0.0);
                for ((&e, &o), &p) in ev.iter().zip(ov).zip(pv) {
                    let (lo, hi) = widen.widen(simd, p);
                    acc = simd.mul_add_f32s(o, hi, simd.mul_add_f32s(e, lo, acc));
                }
                out[j * rows + r] = tail(simd.reduce_sum_f32s(acc), (et, ot), pt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(n: usize, seed: &mut u64) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((*seed >> 33) as f64 / (1u64 << 31) as f64 * 2.0 - 1.0) as f32
            })
            .collect()
    }

    fn close(got: f32, want: f64, what: &str) {
        assert!(
            (f64::from(got) - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "{what}: {got} vs {want}"
        );
    }

    /// Every path (rows streamed together, rows left over, vector tails; one row of `x` and
    /// several) against an f64 reference on seeded data, at widths below, at and past a
    /// vector's lanes.
    #[test]
    fn the_vector_kernels_match_an_f64_reference() {
        let mut seed = 5u64;
        for &(k, n) in &[
            (1, 3),
            (2, 5),
            (6, 4),
            (8, 3),
            (10, 7),
            (16, 9),
            (34, 7),
            (1026, 13),
            (64, 300),
            // 49 pairs: a group of four vectors, two more, and a pair.
            (98, 5),
        ] {
            let x = seeded(k, &mut seed);
            let w = seeded(n * k, &mut seed);
            let reference = |j: usize| -> f64 {
                (0..k)
                    .map(|i| f64::from(x[i]) * f64::from(w[j * k + i]))
                    .sum()
            };
            let mut out = vec![0.0f32; n];
            rows_against_rows(&x, &w, (1, k, n), &mut out, (n, 1));
            for (j, &got) in out.iter().enumerate() {
                close(got, reference(j), &format!("f32 rows ({k}, {n}) at {j}"));
                close(dot(&x, &w[j * k..(j + 1) * k]), reference(j), "dot");
            }
            // Three rows of `x`, written row-major and column-first.
            let xs = seeded(3 * k, &mut seed);
            for (strides, at) in [((n, 1), (n, 1)), ((1, 3), (1, 3))] {
                let mut out = vec![0.0f32; 3 * n];
                rows_against_rows(&xs, &w, (3, k, n), &mut out, strides);
                for j in 0..n {
                    for r in 0..3 {
                        let want: f64 = (0..k)
                            .map(|i| f64::from(xs[r * k + i]) * f64::from(w[j * k + i]))
                            .sum();
                        let got = out[r * at.0 + j * at.1];
                        close(
                            got,
                            want,
                            &format!("f32 3 rows {strides:?} ({k}, {n}) at [{r}, {j}]"),
                        );
                    }
                }
            }
            if !k.is_multiple_of(2) {
                let bits: Vec<u16> = w.iter().map(|v| (v.to_bits() >> 16) as u16).collect();
                let ran = half_rows_against_rows(&x, 1, &bits, Half::Bf16, k, &mut vec![0.0; n]);
                assert!(ran.is_none(), "an odd width is left to the portable loop");
                continue;
            }
            for half in [Half::Bf16, Half::F16] {
                for rows in [1, 3] {
                    let xs = seeded(rows * k, &mut seed);
                    // The weight's bits in pairs (so 4-byte aligned), then read as `u16`s.
                    let pairs: Vec<u32> = w
                        .chunks_exact(2)
                        .map(|p| u32::from(half.narrow(p[0])) | u32::from(half.narrow(p[1])) << 16)
                        .collect();
                    let bits: &[u16] = pulp::bytemuck::cast_slice(&pairs);
                    let mut out = vec![0.0f32; n * rows];
                    half_rows_against_rows(&xs, rows, bits, half, k, &mut out)
                        .expect("aligned, even width");
                    for j in 0..n {
                        for r in 0..rows {
                            let want: f64 = (0..k)
                                .map(|i| {
                                    f64::from(xs[r * k + i])
                                        * f64::from(half.widen(bits[j * k + i]))
                                })
                                .sum();
                            let what = format!("{half} rows {rows} ({k}, {n}) at [{j}, {r}]");
                            close(out[j * rows + r], want, &what);
                        }
                    }
                    // Rows that do not start on a pair are left to the portable loop.
                    let shifted = &bits[1..n * k];
                    let ran = half_rows_against_rows(
                        &xs,
                        rows,
                        shifted,
                        half,
                        k,
                        &mut out[..(n - 1) * rows],
                    );
                    assert!(
                        ran.is_none(),
                        "a row off its pair is left to the portable loop"
                    );
                }
            }
        }
    }

    /// Every one of the 65,536 f16 (and bf16) values, widened in registers, in the low and
    /// the high half of a pair, equals the portable conversion (NaNs as NaNs; a row of
    /// zeros around it, so that the sum is the value itself).
    #[test]
    fn every_half_value_widens_as_the_portable_conversion() {
        const K: usize = 32;
        for half in [Half::Bf16, Half::F16] {
            for high in [false, true] {
                let pairs: Vec<u32> = (0..=u16::MAX)
                    .flat_map(|h| {
                        let first = if high {
                            u32::from(h) << 16
                        } else {
                            u32::from(h)
                        };
                        core::iter::once(first).chain(core::iter::repeat_n(0, K / 2 - 1))
                    })
                    .collect();
                let bits: &[u16] = pulp::bytemuck::cast_slice(&pairs);
                let mut x = vec![0.0f32; K];
                x[usize::from(high)] = 1.0;
                let mut out = vec![0.0f32; 1 << 16];
                half_rows_against_rows(&x, 1, bits, half, K, &mut out).expect("aligned");
                for (h, &got) in out.iter().enumerate() {
                    let want = half.widen(h as u16);
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "{half} {h:#06x} (high half: {high}): {got} vs {want}"
                    );
                }
            }
        }
    }
}
