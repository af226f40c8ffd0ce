// TODO: this does not compile yet. `infralens lab 06 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 03 — a rotation table for the model width.
//!
//! RoPE's frequencies are `θ^(-2i/Dh)` for the `Dh / 2` lane pairs of *one head*: every head
//! is rotated the same way. Building them from `hidden_size` instead of `head_dim` — a known
//! porting bug — gives the wrong frequencies and a table of the wrong width.
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub MaxPos: Sequence = 16;
}

#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]
fn rotate(q: &Tensor) -> Tensor {
    let rope = Rope::<MaxPos, D>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    q.rope(&rope, 0)
}

fn main() {
    println!("{}", rotate(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_pair_s_length() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let r = rotate(&q);
        let norm = |t: &Tensor<(B, H, S, Dh)>, i: usize| -> f32 {
            (t.get(&[0, 0, 3, i]).unwrap().powi(2) + t.get(&[0, 0, 3, i + 4]).unwrap().powi(2)).sqrt()
        };
        for i in 0..4 {
            assert!(
                (norm(&q, i) - norm(&r, i)).abs() < 1e-5,
                "expected {}, got {}",
                norm(&r, i),
                norm(&q, i)
            );
        }
    }
}
