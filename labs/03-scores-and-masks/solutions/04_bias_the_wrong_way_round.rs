// Solution: index the bias like the scores, `(S, T)`: query `i[0]`, key `i[1]`.
//! Exercise 04 — an additive bias the wrong way round.
//!
//! Some models add a bias to the scores before the softmax: ALiBi's distance penalty, T5's
//! relative positions, or a mask written as `0` and `-inf`. It is indexed like the scores, a
//! query by a key. Built the other way round it only fits when `S = T`, and then it silently
//! penalises the transposed distances.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

/// ALiBi-style: each key is penalised by how far it lies before the query (bottom-right
/// positions, so the last query is the last key).
#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]
fn weights(scores: &Tensor, slope: f32) -> Tensor {
    let (s, t) = (scores.sizes()[2], scores.sizes()[3]);
    scores
        .add_bias(&Tensor::<(S, T)>::from_fn_in(&sizes![S = s, T = t], |i| {
            let (q, j) = ((t - s + i[0]) as f32, i[1] as f32);
            -slope * (q - j).abs()
        }))
        .softmax()
}

fn main() {
    let scores = Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 1, T = 4]);
    println!("weights: {:?}", weights(&scores, 1.0).to_vec());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearer_keys_weigh_more() {
        let p = weights(&Tensor::<(B, H, S, T)>::zeros_in(&sizes![S = 1, T = 4]), 1.0);
        let row: Vec<f32> = (0..4).map(|j| p.get(&[0, 0, 0, j]).unwrap()).collect();
        assert!(
            row[0] < row[1] && row[1] < row[2] && row[2] < row[3],
            "query 0's weights over keys 0, 1, 2, 3 should grow toward the nearest key, 3 (the bias penalises distance), but they are {row:.3?}"
        );
        let e = |d: f32| (-d).exp();
        let total = e(3.0) + e(2.0) + e(1.0) + e(0.0);
        assert!((row[3] - 1.0 / total).abs() < 1e-6, "expected {}, got {}", 1.0 / total, row[3]);
    }
}
