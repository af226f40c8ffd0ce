// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 03 — padding on the wrong axis.
//!
//! A batch pads its shorter sequences; padded positions must never be *attended to*. A padding
//! mask is `0` for a real token and `-inf` for padding, added to the scores `(…, S, T)` before
//! the softmax. Which of the two axes holds the positions that are attended to?
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

/// `real` positions are tokens, the rest padding.
#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]
fn weights(scores: &Tensor, real: usize) -> Tensor {
    let s = scores.sizes()[2];
    scores
        .add(&Tensor::<(S,)>::from_fn_in(&sizes![S = s], |i| {
            if i[0] < real { 0.0 } else { f32::NEG_INFINITY }
        }))
        .softmax()
}

fn main() {
    let scores = Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 4, T = 4]);
    println!("weights: {:?}", weights(&scores, 3).to_vec());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_keys_get_no_weight() {
        let scores = Tensor::<(B, H, S, T)>::randn_in(0, &sizes![S = 2, T = 5]);
        let p = weights(&scores, 3);
        for i in 0..2 {
            assert_eq!(p.get(&[0, 1, i, 3]), Some(0.0));
            assert_eq!(p.get(&[0, 1, i, 4]), Some(0.0));
            let row: f32 = (0..5).map(|j| p.get(&[0, 1, i, j]).unwrap()).sum();
            assert!((row - 1.0).abs() < 1e-5, "expected {}, got {}", 1.0, row);
        }
    }
}
