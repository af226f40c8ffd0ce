// Solution: the scores are queries by keys, `(B, H, S, T)`: `B·H·S·T` numbers.
//! Exercise 05 — counting the scores as `S × S`.
//!
//! The memory attention's scores take is one number per batch, head, query and key. In prefill
//! the queries and keys are the same positions; in a decode step `S = 1` and the keys are the
//! whole cache, and in cross-attention they are another sequence. Many memory estimates count
//! the scores as if the keys were the queries.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 4;
    pub S: Sequence = 1;
    pub T: Sequence = 6;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh])]
fn score_bytes(q: &Tensor, k: &Tensor) -> usize {
    #[shape(B, H, S, T)]
    let scores = q.matmul(k.t());
    scores.bytes()
}

fn main() {
    println!("{} bytes", score_bytes(&Tensor::randn(0), &Tensor::randn(1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_against_six_keys() {
        assert_eq!(score_bytes(&Tensor::randn(0), &Tensor::randn(1)), 2 * 6 * 4);
    }
}
