// TODO: this does not compile yet. `infralens lab 06 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 04 — RoPE before the head split.
//!
//! RoPE rotates queries and keys *per head*, after the projections split them. Rotating the
//! `(B, S, D)` hidden state treats `D` as one long head; even with a table of that width the
//! lanes would pair across heads.
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

#[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh])]
fn queries(x: &Tensor, wq: &Tensor) -> Tensor {
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    x.matmul(wq).rope(&rope, 0).split_heads::<H, Dh>()
}

fn main() {
    println!("{}", queries(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_each_head() {
        let (x, wq) = (Tensor::<(B, S, D)>::randn(0), Tensor::<(D, D)>::randn(1));
        let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
        assert_eq!(queries(&x, &wq), x.matmul(&wq).split_heads::<H, Dh>().rope(&rope, 0));
    }
}
