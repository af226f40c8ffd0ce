// Solution: rotate `K` as rows of positions, then read it transposed: `q.matmul(k.rope(…).t())`.
//! Exercise 05 — rotating `Kᵀ` instead of `K`.
//!
//! The scores need `Kᵀ`, `(…, Dh, T)`; RoPE needs the keys as rows of positions, `(…, T, Dh)`.
//! Rotated after the transpose, the rows are the head's lanes, each rotated by its index.
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 8;
    pub S: Sequence = 4;
    pub MaxPos: Sequence = 16;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]
fn scores(q: &Tensor, k: &Tensor) -> Tensor {
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    let k = k.rope(&rope, 0);
    q.rope(&rope, 0).matmul(k.t())
}

fn main() {
    println!("{}", scores(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_depend_on_the_distance() {
        // the same vector at every position: the score depends on i − j only
        let x = Tensor::<(B, H, S, Dh)>::from_fn(|i| (i[3] as f32 + 1.0) * 0.1);
        let s = scores(&x, &x);
        assert!(
            (s.get(&[0, 0, 2, 1]).unwrap() - s.get(&[0, 0, 3, 2]).unwrap()).abs() < 1e-5,
            "expected {}, got {}",
            s.get(&[0, 0, 3, 2]).unwrap(),
            s.get(&[0, 0, 2, 1]).unwrap()
        );
    }
}
