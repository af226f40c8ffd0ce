//! Softmax over rows, numerically stable, with fully masked rows defined as all zeros.

use crate::Element;

/// Softmax of one row in place: `exp(x - max) / Σ exp(x - max)`.
///
/// Subtracting the row maximum keeps every exponent ≤ 0, so logits of ±1e4 give no
/// overflow, NaN or infinity. A row whose entries are all `-inf` (every key masked) has
/// no distribution; it becomes all zeros, so the attention output there is zero.
pub(crate) fn softmax_row<E: Element>(row: &mut [E]) {
    let max = row.iter().fold(E::NEG_INFINITY, |m, &x| m.max(x));
    if max == E::NEG_INFINITY {
        row.fill(E::ZERO);
        return;
    }
    let mut sum = E::ZERO;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let inv = E::ONE / sum;
    for x in row.iter_mut() {
        *x = *x * inv;
    }
}

/// Fused `scale`, causal mask and softmax of one score row: entries at `valid..` are
/// masked (weight 0), the rest are multiplied by `scale` before the softmax.
pub(crate) fn scaled_masked_softmax_row<E: Element>(row: &mut [E], scale: E, valid: usize) {
    let valid = valid.min(row.len());
    let (live, masked) = row.split_at_mut(valid);
    masked.fill(E::ZERO);
    if live.is_empty() {
        return;
    }
    for x in live.iter_mut() {
        *x = *x * scale;
    }
    softmax_row(live);
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

    #[test]
    fn fully_masked_row_is_zero() {
        let mut row = [f64::NEG_INFINITY; 3];
        softmax_row(&mut row);
        assert_eq!(row, [0.0; 3]);
    }

    #[test]
    fn fused_row_masks_the_tail() {
        let mut row = [2.0f64, 2.0, 100.0];
        scaled_masked_softmax_row(&mut row, 0.5, 2);
        assert_eq!(row, [0.5, 0.5, 0.0]);
    }
}
