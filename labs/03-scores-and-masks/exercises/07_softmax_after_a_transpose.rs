// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 07 — a softmax after a transpose.
//!
//! Some codebases keep a relative-position bias keys-first, `(T, S)`, and turn the scores
//! to add it: `scores.transpose(-1, -2) + bias`. Whatever is done on the way, the softmax
//! must run over the keys, for each query: over `T`, the scores' last axis when they are
//! `(…, S, T)`. `softmax_over::<T>()` says which axis is meant, and the compiler holds the
//! code to it; a plain `softmax()` would normalise whatever axis came last.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub S: Sequence = 3;
    pub T: Sequence = 4;
    pub Dh: HeadWidth = 4;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], bias: [T, S] -> [B, H, S, T])]
fn weights(q: &Tensor, k: &Tensor, bias: &Tensor) -> Tensor {
    // turned keys-first to meet the bias
    let turned = q.matmul(&k.t()).transpose::<2, 3>().add(bias);
    turned.softmax_over::<T>().transpose::<2, 3>()
}

fn main() {
    let p = weights(&Tensor::randn(0), &Tensor::randn(1), &Tensor::randn(2));
    println!("weights: {}", p.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_query_shares_its_attention_out_over_the_keys() {
        let (q, k, bias) = (Tensor::<(B, H, S, Dh)>::randn(0), Tensor::<(B, H, T, Dh)>::randn(1), Tensor::<(T, S)>::randn(2));
        let p = weights(&q, &k, &bias);
        // query 2 of head 1: softmax over the 4 keys of `q·k + bias[key][query]`
        let score = |j: usize| -> f32 {
            (0..4).map(|d| q.get(&[0, 1, 2, d]).unwrap() * k.get(&[0, 1, j, d]).unwrap()).sum::<f32>()
                + bias.get(&[j, 2]).unwrap()
        };
        let e: Vec<f32> = (0..4).map(|j| score(j).exp()).collect();
        let total: f32 = e.iter().sum();
        for j in 0..4 {
            let got = p.get(&[0, 1, 2, j]).unwrap();
            assert!((got - e[j] / total).abs() < 1e-5, "key {j}: expected {}, got {got}", e[j] / total);
        }
    }
}
