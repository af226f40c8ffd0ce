//! Softmax over rows, numerically stable, with fully masked rows defined as all zeros.
//!
//! NaN and infinities propagate as in PyTorch: a row holding a NaN or a `+inf` comes out
//! all NaN. The one exception kept on purpose: a row whose entries are all `-inf` (every
//! key masked) is all zeros, where PyTorch gives NaN, so that padded positions do not
//! poison the rest of a batch.

use crate::Element;

/// Softmax of one row in place: `exp(x - max) / Σ exp(x - max)`.
///
/// Subtracting the row maximum keeps every exponent ≤ 0, so logits of ±1e4 give no
/// overflow, NaN or infinity. A row whose entries are all `-inf` (every key masked) has
/// no distribution; it becomes all zeros, so the attention output there is zero.
pub fn softmax_row<E: Element>(row: &mut [E]) {
    let sum = E::exp_scaled(row, E::ONE);
    normalise(row, sum);
}

/// Fused `scale`, mask and softmax of one score row, without the division: entries outside
/// `lo..hi` are masked (weight 0), the rest are multiplied by `scale` and exponentiated;
/// returns the sum to divide by, so that attention can divide the `Dv`-wide output row
/// instead of the `T`-wide weights.
pub fn scaled_masked_exp_row<E: Element>(row: &mut [E], scale: E, lo: usize, hi: usize) -> E {
    let hi = hi.min(row.len());
    let lo = lo.min(hi);
    let (head, rest) = row.split_at_mut(lo);
    head.fill(E::ZERO);
    let (live, masked) = rest.split_at_mut(hi - lo);
    masked.fill(E::ZERO);
    if live.is_empty() {
        E::ZERO
    } else {
        E::exp_scaled(live, scale)
    }
}

/// `row ← exp(scale · row − max)`, returning the sum (0 when every entry is `-inf`, and
/// then the row is all zeros): softmax without its division.
pub fn exp_scaled_scalar<E: Element>(row: &mut [E], scale: E) -> E {
    let mut max = E::NEG_INFINITY;
    for x in row.iter_mut() {
        *x = *x * scale;
        max = max.max(*x);
    }
    if max == E::NEG_INFINITY {
        return all_masked_or_nan(row);
    }
    let mut sum = E::ZERO;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    sum
}

/// A row with no maximum (`max` ignores NaN): all `-inf` becomes zeros with sum 0 (the
/// fully masked row); one holding a NaN becomes all NaN with sum NaN, as in PyTorch.
fn all_masked_or_nan<E: Element>(row: &mut [E]) -> E {
    let nan = E::ZERO * E::NEG_INFINITY;
    // NaN is the only value not equal to itself.
    #[allow(clippy::eq_op)]
    let fill = if row.iter().any(|&x| x != x) {
        nan
    } else {
        E::ZERO
    };
    row.fill(fill);
    fill
}

/// Divides the row by `sum` (a zero row stays zero).
fn normalise<E: Element>(row: &mut [E], sum: E) {
    if sum == E::ZERO {
        return;
    }
    let inv = E::ONE / sum;
    for x in row.iter_mut() {
        *x = *x * inv;
    }
}

/// Lanes the `f32` loops work in: wide enough for AVX-512, and LLVM vectorises the
/// fixed-size inner loops for whatever the target has.
const LANES: usize = 16;

/// `e^x` for `x ≤ 0` (larger `x` is not needed by softmax), branch-free so that a loop of
/// it vectorises: Cody–Waite reduction `x = k·ln2 + r`, a degree-6 polynomial for `e^r`
/// (Cephes' `expf` coefficients, ~1 ulp), and `2^k` built in the exponent bits. Inputs
/// below `-87.3` give exactly 0.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to the nearest integer k and leaves k in the low mantissa
    // bits: no libm call and no float-to-int conversion, both of which stop vectorising.
    const ROUND: f32 = 12_582_912.0;
    const ROUND_BITS: i32 = 0x4B40_0000;
    let underflow = x < -87.3;
    let xc = if underflow { -87.3 } else { x };
    let t = xc * LOG2E + ROUND;
    let k = t - ROUND;
    let r = xc - k * LN2_HI - k * LN2_LO;
    let mut p = 1.987_569_2e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    let k_int = (t.to_bits() as i32).wrapping_sub(ROUND_BITS);
    let two_k = f32::from_bits((k_int.wrapping_add(127) as u32) << 23);
    if underflow { 0.0 } else { e_r * two_k }
}

/// [`exp_scaled_scalar`] for `f32` in fixed-size chunks that vectorise: the max in one
/// read-only pass, then `exp(scale·x − scale·max)` and the sum in a second (for a positive
/// `scale`, as attention's `1/sqrt(Dh)`, `max(scale·x) = scale·max(x)`).
pub fn exp_scaled_f32(row: &mut [f32], scale: f32) -> f32 {
    if scale <= 0.0 || scale.is_nan() {
        row.iter_mut().for_each(|x| *x *= scale);
        return exp_scaled_f32(row, 1.0);
    }
    let mut maxes = [f32::NEG_INFINITY; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for chunk in &mut chunks {
        if let Ok(chunk) = <&[f32; LANES]>::try_from(chunk) {
            for i in 0..LANES {
                maxes[i] = if chunk[i] > maxes[i] {
                    chunk[i]
                } else {
                    maxes[i]
                };
            }
        }
    }
    let max = chunks
        .remainder()
        .iter()
        .chain(&maxes)
        .fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    if max == f32::NEG_INFINITY {
        return all_masked_or_nan(row);
    }
    let shift = max * scale;
    let mut sums = [0.0f32; LANES];
    let mut chunks = row.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        if let Ok(chunk) = <&mut [f32; LANES]>::try_from(chunk) {
            for i in 0..LANES {
                let e = exp_nonpositive(chunk[i] * scale - shift);
                chunk[i] = e;
                sums[i] += e;
            }
        }
    }
    let mut sum: f32 = sums.iter().sum();
    for x in chunks.into_remainder() {
        *x = exp_nonpositive(*x * scale - shift);
        sum += *x;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_logits_stay_finite() {
        let mut row = [1e4f32, -1e4, 0.0, 1e4];
        softmax_row(&mut row);
        assert!(row.iter().all(|x| x.is_finite()));
        assert!((row[0] - 0.5).abs() < 1e-6 && (row[3] - 0.5).abs() < 1e-6);
        assert_eq!(row[1], 0.0);
    }

    /// NaN and `+inf` propagate as in PyTorch (`torch.softmax` gives an all-NaN row), in
    /// both the scalar and the vectorised path, and through the fused attention row.
    #[test]
    fn nan_and_infinity_propagate() {
        for len in [3, 17, 40] {
            for bad in [f32::NAN, f32::INFINITY] {
                let mut all = vec![bad; len];
                softmax_row(&mut all);
                assert!(all.iter().all(|x| x.is_nan()), "{bad} x {len}: {all:?}");
                let mut one: Vec<f32> = (0..len).map(|i| i as f32).collect();
                one[len / 2] = bad;
                softmax_row(&mut one);
                assert!(one.iter().all(|x| x.is_nan()), "{bad} in {len}: {one:?}");
                let mut row64: Vec<f64> = (0..len).map(|i| i as f64).collect();
                row64[0] = f64::from(bad);
                softmax_row(&mut row64);
                assert!(row64.iter().all(|x| x.is_nan()), "f64 {bad}: {row64:?}");
                let mut fused = vec![bad; len];
                let sum = scaled_masked_exp_row(&mut fused, 0.5, 0, len);
                assert!(
                    sum.is_nan(),
                    "the fused row's sum is NaN, so the output is NaN"
                );
            }
            // A NaN among masked entries is masked: the mask wins, as in PyTorch's fill.
            let mut masked = vec![f32::NEG_INFINITY; len];
            masked[len - 1] = f32::NAN;
            let sum = scaled_masked_exp_row(&mut masked, 1.0, 0, len - 1);
            assert_eq!(sum, 0.0);
        }
    }

    #[test]
    fn fully_masked_row_is_zero() {
        let mut row = [f64::NEG_INFINITY; 3];
        softmax_row(&mut row);
        assert_eq!(row, [0.0; 3]);
    }

    #[test]
    fn vectorised_exp_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        for i in 0..200_000 {
            let x = -(i as f32) * 0.0005; // 0 down to -100
            let got = f64::from(exp_nonpositive(x));
            let want = f64::from(x).exp();
            if x >= -87.0 {
                worst = worst.max(((got - want) / want).abs());
            } else if x < -87.3 {
                assert_eq!(got, 0.0);
            }
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
    }

    #[test]
    fn vectorised_softmax_matches_the_scalar_one() {
        let mut a: Vec<f32> = (0..37)
            .map(|i| ((i * 7919) % 101) as f32 * 0.37 - 15.0)
            .collect();
        let mut b = a.clone();
        let (sa, sb) = (
            exp_scaled_f32(&mut a, 0.125),
            exp_scaled_scalar(&mut b, 0.125),
        );
        normalise(&mut a, sa);
        normalise(&mut b, sb);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
        assert!((a.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn fused_row_masks_the_tail() {
        let mut row = [2.0f64, 2.0, 100.0];
        let sum = scaled_masked_exp_row(&mut row, 0.5, 0, 2);
        assert_eq!((row, sum), ([1.0, 1.0, 0.0], 2.0));
    }
}
