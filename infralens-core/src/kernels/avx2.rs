//! Prefill's kernels in AVX2 and FMA (feature `simd`, x86-64): many rows against a weight
//! stored `(n, k)` — a prompt through a projection — in a GEMM that reads the weight where
//! it lies ([`PackedRows`]), and SwiGLU's `silu(gate) · up` four values at a time
//! ([`silu_mul`]).
//!
//! A packed GEMM (`matrixmultiply`, candle's `gemm`) copies the weight into panels before
//! multiplying, and the weight is the large operand: on a 128-token prompt that copy is an
//! eighth of prefill's time, read from memory the weight does not fit in cache. Here the
//! roles are turned round: the rows of `x` are the small operand, copied once (transposed,
//! in panels of 16 rows); the kernel broadcasts six weight rows' values straight from
//! memory, each against 16 rows of `x` at once (a 6 × 16 tile of sums in twelve 8-lane
//! registers, two loads and six broadcasts a step for twelve multiply-adds); six rows read
//! one after another are streams the CPU's prefetcher follows (prefetching the next six by
//! hand cost 4 % of prefill's time and gained nothing).
//! The tile comes out transposed (weight rows × `x` rows) and is written back row-major
//! once per pass over `k` (96 values against the tile's `6 · 16 · k` multiply-adds).
//!
//! On a CPU with AVX-512, `matrixmultiply`'s 16-lane kernels are faster than these 8-lane
//! ones, and [`PackedRows::pack`] declines.
//!
//! `pulp` checks the CPU at run time and keeps the `unsafe` of calling a
//! `#[target_feature]` function; everything below is safe code.

use pulp::x86::V3;
use pulp::{f32x4, f32x8, f64x4, u64x4};

/// Weight rows in one tile (one broadcast each per step).
const WROWS: usize = 6;
/// Rows of `x` in one panel (two 8-lane vectors).
const XROWS: usize = 16;
/// Weight rows in one block: the block's part of the product (`m × BLOCK`) stays in cache
/// while its sums accumulate over the passes over `k`.
const BLOCK: usize = 48;
/// Most values of `k` met in one pass: six weight rows of this many values (24 KiB) stay in
/// the first-level cache while every panel of `x` meets them.
const KMAX: usize = 1024;

/// The rows of `x`, transposed into panels of 16 rows (the last panel padded with zeros):
/// `panels[p · k + i][l] = x[16 p + l][i]`.
pub struct PackedRows {
    simd: V3,
    panels: Vec<[f32; XROWS]>,
    m: usize,
    k: usize,
}

impl PackedRows {
    /// Packs `m` rows of `x` (each `k` values, one after another). `None` when the CPU has
    /// no AVX2 and FMA, or has AVX-512, whose 16-lane kernels in `matrixmultiply` (the
    /// caller's GEMM, which runs then) are faster than these 8-lane ones.
    pub fn pack(x: &[f32], (m, k): (usize, usize)) -> Option<Self> {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return None;
        }
        let simd = V3::try_new()?;
        let count = m.div_ceil(XROWS);
        let mut panels = vec![[0.0; XROWS]; count * k];
        if m > 0 && k > 0 {
            simd.vectorize(Pack {
                simd,
                x,
                sizes: (m, k),
                panels: &mut panels,
            });
        }
        Some(Self { simd, panels, m, k })
    }

    /// `out[r · ld + j] = x[r] · w[j]` for the `n` rows of `w` (row `j` at
    /// `w[j · ldw..][..k]`): the product (or a block of its columns, `ld` apart), row-major.
    pub fn against(&self, w: &[f32], ldw: usize, n: usize, out: &mut [f32], ld: usize) {
        self.simd.vectorize(Against {
            rows: self,
            w,
            ldw,
            n,
            out,
            ld,
        });
    }
}

struct Pack<'a> {
    simd: V3,
    x: &'a [f32],
    sizes: (usize, usize),
    panels: &'a mut [[f32; XROWS]],
}

impl pulp::NullaryFnOnce for Pack<'_> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        let Self {
            simd,
            x,
            sizes: (m, k),
            panels,
        } = self;
        for (p, panel) in panels.chunks_exact_mut(k).enumerate() {
            let live = XROWS.min(m - p * XROWS);
            let rows: [&[f32]; XROWS] =
                core::array::from_fn(|l| &x[(p * XROWS + l.min(live - 1)) * k..][..k]);
            let mut done = 0;
            if live == XROWS {
                // Eight values of eight rows at a time, transposed in registers.
                let chunks: [&[[f32; 8]]; XROWS] = core::array::from_fn(|l| rows[l].as_chunks().0);
                for (c, dst) in panel.chunks_exact_mut(8).enumerate() {
                    for half in 0..2 {
                        let block: [f32x8; 8] =
                            core::array::from_fn(|l| pulp::cast(chunks[half * 8 + l][c]));
                        for (d, col) in dst.iter_mut().zip(transpose8(simd, block)) {
                            d.as_chunks_mut::<8>().0[half] = pulp::cast(col);
                        }
                    }
                }
                done = k - k % 8;
            }
            for (i, dst) in panel.iter_mut().enumerate().skip(done) {
                *dst = core::array::from_fn(|l| if l < live { rows[l][i] } else { 0.0 });
            }
        }
    }
}

/// The 8 × 8 transpose: `out[j][l] = rows[l][j]`.
#[inline(always)]
fn transpose8(simd: V3, rows: [f32x8; 8]) -> [f32x8; 8] {
    use core::arch::x86_64::__m256;
    let avx = simd.avx;
    let r: [__m256; 8] = pulp::cast(rows);
    let t = [
        avx._mm256_unpacklo_ps(r[0], r[1]),
        avx._mm256_unpackhi_ps(r[0], r[1]),
        avx._mm256_unpacklo_ps(r[2], r[3]),
        avx._mm256_unpackhi_ps(r[2], r[3]),
        avx._mm256_unpacklo_ps(r[4], r[5]),
        avx._mm256_unpackhi_ps(r[4], r[5]),
        avx._mm256_unpacklo_ps(r[6], r[7]),
        avx._mm256_unpackhi_ps(r[6], r[7]),
    ];
    let u = [
        avx._mm256_shuffle_ps::<0x44>(t[0], t[2]),
        avx._mm256_shuffle_ps::<0xEE>(t[0], t[2]),
        avx._mm256_shuffle_ps::<0x44>(t[1], t[3]),
        avx._mm256_shuffle_ps::<0xEE>(t[1], t[3]),
        avx._mm256_shuffle_ps::<0x44>(t[4], t[6]),
        avx._mm256_shuffle_ps::<0xEE>(t[4], t[6]),
        avx._mm256_shuffle_ps::<0x44>(t[5], t[7]),
        avx._mm256_shuffle_ps::<0xEE>(t[5], t[7]),
    ];
    pulp::cast([
        avx._mm256_permute2f128_ps::<0x20>(u[0], u[4]),
        avx._mm256_permute2f128_ps::<0x20>(u[1], u[5]),
        avx._mm256_permute2f128_ps::<0x20>(u[2], u[6]),
        avx._mm256_permute2f128_ps::<0x20>(u[3], u[7]),
        avx._mm256_permute2f128_ps::<0x31>(u[0], u[4]),
        avx._mm256_permute2f128_ps::<0x31>(u[1], u[5]),
        avx._mm256_permute2f128_ps::<0x31>(u[2], u[6]),
        avx._mm256_permute2f128_ps::<0x31>(u[3], u[7]),
    ])
}

struct Against<'a> {
    rows: &'a PackedRows,
    w: &'a [f32],
    ldw: usize,
    n: usize,
    out: &'a mut [f32],
    ld: usize,
}

// A struct, not a closure: `pulp` inlines a `NullaryFnOnce`'s `call` into its
// `#[target_feature]` function, which a closure's body is not reliably (measured: 1.3
// against 85 GFLOP/s when it was not).
impl pulp::NullaryFnOnce for Against<'_> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        let Self {
            rows,
            w,
            ldw,
            n,
            out,
            ld,
        } = self;
        let (simd, m, k) = (rows.simd, rows.m, rows.k);
        if k == 0 {
            for r in 0..m {
                out[r * ld..][..n].fill(0.0);
            }
            return;
        }
        let panels = m.div_ceil(XROWS);
        let kc_max = k.div_ceil(k.div_ceil(KMAX));
        for j_block in (0..n).step_by(BLOCK) {
            let cols = BLOCK.min(n - j_block);
            for k0 in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - k0);
                for j0 in (j_block..j_block + cols).step_by(WROWS) {
                    let valid = WROWS.min(j_block + cols - j0);
                    // A short tile repeats its last row; its extra sums are not written.
                    let tile: [&[f32]; WROWS] =
                        core::array::from_fn(|r| &w[(j0 + r.min(valid - 1)) * ldw + k0..][..kc]);
                    for p in 0..panels {
                        let sums = tile_sums(simd, tile, &rows.panels[p * k + k0..][..kc]);
                        let sums: [[f32; XROWS]; WROWS] = pulp::cast(sums);
                        // The tile transposed into `out`: 16 rows of `valid` sums each.
                        let r0 = p * XROWS;
                        for l in 0..XROWS.min(m - r0) {
                            let row = &mut out[(r0 + l) * ld + j0..][..valid];
                            for (o, sum) in row.iter_mut().zip(&sums) {
                                *o = if k0 == 0 { sum[l] } else { *o + sum[l] };
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The 6 × 16 tile: `sums[r]` holds `w_r · x[l]` for the panel's 16 rows `l`.
#[inline(always)]
fn tile_sums(simd: V3, tile: [&[f32]; WROWS], panel: &[[f32; XROWS]]) -> [[f32x8; 2]; WROWS] {
    let kc = panel.len();
    let [w0, w1, w2, w3, w4, w5] = tile;
    // Exact lengths, so the loop below indexes without bounds checks.
    let (w0, w1, w2, w3, w4, w5) = (
        &w0[..kc],
        &w1[..kc],
        &w2[..kc],
        &w3[..kc],
        &w4[..kc],
        &w5[..kc],
    );
    let zero = simd.splat_f32x8(0.0);
    let mut sums = [[zero; 2]; WROWS];
    for (i, x) in panel.iter().enumerate() {
        let [x0, x1]: [f32x8; 2] = pulp::cast(*x);
        let ws = [w0[i], w1[i], w2[i], w3[i], w4[i], w5[i]];
        for (sum, &wv) in sums.iter_mut().zip(&ws) {
            let wv = simd.splat_f32x8(wv);
            sum[0] = simd.mul_add_f32x8(wv, x0, sum[0]);
            sum[1] = simd.mul_add_f32x8(wv, x1, sum[1]);
        }
    }
    sums
}

/// `out[i] = silu(gate[i]) · up[i]` as the portable loop computes it — `silu` in `f64`,
/// rounded to `f32`, then the product in `f32` — four values at a time, with an `exp`
/// accurate to a few units in the last place of an `f64` (so the `f32` results are those of
/// `libm`'s, but for a value within that of a rounding boundary). `false` (nothing
/// written) when the CPU has no AVX2 and FMA.
pub fn silu_mul(gate: &[f32], up: &[f32], out: &mut [f32]) -> bool {
    let Some(simd) = V3::try_new() else {
        return false;
    };
    simd.vectorize(SiluMul {
        simd,
        gate,
        up,
        out,
    });
    true
}

struct SiluMul<'a> {
    simd: V3,
    gate: &'a [f32],
    up: &'a [f32],
    out: &'a mut [f32],
}

impl pulp::NullaryFnOnce for SiluMul<'_> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        let Self {
            simd,
            gate,
            up,
            out,
        } = self;
        let (g4, g1) = gate.as_chunks::<4>();
        let (u4, u1) = up.as_chunks::<4>();
        let (o4, o1) = out.as_chunks_mut::<4>();
        for ((g, u), o) in g4.iter().zip(u4).zip(o4.iter_mut()) {
            let x = simd.convert_f32x4_to_f64x4(pulp::cast(*g));
            let s = simd.convert_f64x4_to_f32x4(silu(simd, x));
            *o = pulp::cast(simd.mul_f32x4(s, pulp::cast::<_, f32x4>(*u)));
        }
        for ((&g, &u), o) in g1.iter().zip(u1).zip(o1.iter_mut()) {
            let x = f64::from(g);
            *o = (x / (1.0 + (-x).exp())) as f32 * u;
        }
    }
}

/// `x / (1 + e^(-x))` in four `f64` lanes.
#[inline(always)]
fn silu(simd: V3, x: f64x4) -> f64x4 {
    let one = simd.splat_f64x4(1.0);
    // e^t for t = -x kept where 2^n below stays a normal number; above 708, silu is `x`
    // to far more than f32's precision, and below -708 it is chosen at the end. A NaN `x`
    // stays NaN through the division.
    let t = simd.min_f64x4(
        simd.max_f64x4(
            simd.sub_f64x4(simd.splat_f64x4(0.0), x),
            simd.splat_f64x4(-708.0),
        ),
        simd.splat_f64x4(709.0),
    );
    // t = n ln 2 + r, |r| ≤ ln 2 / 2 (ln 2 in two parts, so r is exact to f64).
    let n = simd.round_f64x4(simd.mul_f64x4(t, simd.splat_f64x4(core::f64::consts::LOG2_E)));
    let r = simd.negate_mul_add_f64x4(n, simd.splat_f64x4(LN2_HI), t);
    let r = simd.negate_mul_add_f64x4(n, simd.splat_f64x4(LN2_LO), r);
    // e^r by its Taylor series to r^13/13! (the rest is below 1e-17 for |r| ≤ 0.35).
    let mut p = simd.splat_f64x4(INV_FACTORIALS[13]);
    for &c in INV_FACTORIALS[..13].iter().rev() {
        p = simd.mul_add_f64x4(p, r, simd.splat_f64x4(c));
    }
    // 2^n from its exponent bits.
    let n = simd.convert_i32x4_to_u64x4(simd.convert_f64x4_to_i32x4(n));
    let bits = simd.shl_const_u64x4::<52>(simd.wrapping_add_u64x4(n, simd.splat_u64x4(1023)));
    let e = simd.mul_f64x4(p, pulp::cast::<u64x4, f64x4>(bits));
    let s = simd.div_f64x4(x, simd.add_f64x4(one, e));
    // Below -708, x / (1 + e^-x) is -0 to f32 (and NaN at -∞, as the portable loop's).
    let below = simd.cmp_lt_f64x4(x, simd.splat_f64x4(-708.0));
    simd.select_f64x4(below, simd.mul_f64x4(x, simd.splat_f64x4(0.0)), s)
}

/// ln 2 split as fdlibm's `exp` splits it: `LN2_HI` has its low 32 bits zero, so
/// `n · LN2_HI` is exact for the `n` above, and `LN2_LO` is the rest.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `1 / i!` for `i = 0..=13`.
const INV_FACTORIALS: [f64; 14] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Against the portable loop's `silu` (libm's `exp` in `f64`) on values across the
    /// range where it changes, the extremes, infinities and NaN: the same `f32`s.
    #[test]
    fn silu_mul_gives_the_portable_loops_f32s() {
        let Some(_) = V3::try_new() else {
            eprintln!("no AVX2/FMA on this CPU: the kernel is not used, nothing to test");
            return;
        };
        let mut rng = SplitMix64::new(11);
        let mut gate: Vec<f32> = (0..20_000)
            .map(|_| (rng.next_f64() as f32 - 0.5) * 60.0)
            .collect();
        gate.extend([
            0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0, 700.0, -710.0, 800.0, -800.0,
        ]);
        gate.extend([
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            3.0,
        ]);
        let up: Vec<f32> = (0..gate.len()).map(|i| 0.5 + (i % 7) as f32).collect();
        let mut out = vec![0.0; gate.len()];
        assert!(silu_mul(&gate, &up, &mut out));
        let mut differ = 0;
        for ((&g, &u), &o) in gate.iter().zip(&up).zip(&out) {
            let want = crate::backend::Activation::Silu.apply(f64::from(g)) as f32 * u;
            if want.is_nan() {
                assert!(o.is_nan(), "silu({g}) · {u}: {o}, not NaN");
            } else if o != want {
                // A value within an f64 rounding of an f32 boundary may round the other way.
                assert!(
                    (o - want).abs() <= want.abs() * 1.2e-7,
                    "silu({g}) · {u}: {o}, want {want}"
                );
                differ += 1;
            }
        }
        eprintln!("{differ} of {} values rounded the other way", gate.len());
        assert!(
            differ <= 2,
            "{differ} of {} values not the portable loop's",
            gate.len()
        );
    }

    /// Every shape edge (a short last panel, a short last tile and block, `k` split into
    /// passes, a weight row stride wider than `k`) against an `f64` sum of the same values.
    #[test]
    fn rows_against_weight_rows_match_an_f64_reference() {
        if PackedRows::pack(&[], (0, 0)).is_none() {
            eprintln!("no AVX2/FMA, or AVX-512, on this CPU: the kernel is not used");
            return;
        }
        let mut rng = SplitMix64::new(7);
        for &(m, k, n, pad) in &[
            (1, 1, 1, 0),
            (9, 7, 5, 3),
            (16, 64, 6, 0),
            (17, 100, 49, 1),
            (33, 1025, 13, 0),
            (130, 300, 97, 5),
            (20, 2100, 50, 2),
        ] {
            let ldw = k + pad;
            let x: Vec<f32> = (0..m * k).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let w: Vec<f32> = (0..n * ldw).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let packed = PackedRows::pack(&x, (m, k)).expect("checked above");
            // Written as a block of columns of a wider output, whose other columns stay.
            let ld = n + 3;
            let mut out = vec![f32::NAN; m * ld];
            packed.against(&w, ldw, n, &mut out, ld);
            for j in 0..n {
                for r in 0..m {
                    let want: f64 = (0..k)
                        .map(|i| f64::from(x[r * k + i]) * f64::from(w[j * ldw + i]))
                        .sum();
                    let got = f64::from(out[r * ld + j]);
                    let tol = 1e-5 * (k as f64).sqrt();
                    assert!(
                        (got - want).abs() <= tol,
                        "m={m} k={k} n={n}: ({r}, {j}) is {got}, the f64 sum {want}"
                    );
                }
            }
            let others = (0..m).flat_map(|r| (n..ld).map(move |j| r * ld + j));
            assert!(
                others.into_iter().all(|at| out[at].is_nan()),
                "a column past the block was written"
            );
        }
    }
}
