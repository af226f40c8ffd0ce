// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — the causal mask while decoding.
//!
//! In prefill the queries and keys are the same positions, so the scores are square and a
//! causal mask is the lower triangle. While decoding, one new query (`S = 1`) meets every
//! cached key (`T = 5`): the scores are `(1, 5)`, and the new token is the *last* position. A
//! top-left mask (PyTorch's `is_causal=True` with `S ≠ T`) would let it see key 0 only — a real
//! bug in hand-written decode loops.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]
fn weights(scores: &Tensor) -> Tensor {
    scores.causal_mask().softmax()
}

fn main() {
    let scores = Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 1, T = 5]);
    println!("weights: {:?}", weights(&scores).to_vec());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_token_sees_every_cached_key() {
        let p = weights(&Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 1, T = 5]));
        for j in 0..5 {
            assert!(
                (p.get(&[0, 1, 0, j]).unwrap() - 0.2).abs() < 1e-6,
                "expected {}, got {}",
                0.2,
                p.get(&[0, 1, 0, j]).unwrap()
            );
        }
    }

    #[test]
    fn prefill_is_the_lower_triangle() {
        let p = weights(&Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 3, T = 3]));
        assert_eq!(p.get(&[0, 0, 0, 1]), Some(0.0));
        assert!(
            (p.get(&[0, 0, 2, 1]).unwrap() - 1.0 / 3.0).abs() < 1e-6,
            "expected {}, got {}",
            1.0 / 3.0,
            p.get(&[0, 0, 2, 1]).unwrap()
        );
    }
}
