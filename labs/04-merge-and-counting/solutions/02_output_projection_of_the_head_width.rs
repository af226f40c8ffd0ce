// Solution: `Wo` is `(Dq, D)`: it reads all heads at once.
//! Exercise 02 — an output projection of one head's width.
//!
//! `Wo` acts on the merged heads, `(B, S, Dq)` with `Dq = H × Dh`: one matrix for all heads
//! together — which is how it mixes them. (In Llama `Dq` is as wide as `D`, and `Wo` is square;
//! a dim of its own keeps its two axes apart.)
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 8;
    pub H: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub Dq = H * Dh;
}

#[shapes(ctx: [B, H, S, Dh] -> [B, S, D])]
fn output(ctx: &Tensor) -> Tensor {
    ctx.merge_heads::<Dq>().matmul(&Tensor::<(Dq, D)>::ones())
}

fn main() {
    println!("{}", output(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_sums_all_heads() {
        let ctx = Tensor::<(B, H, S, Dh)>::ones();
        // all-ones Wo over the merged width: each output is the sum of Dq = 8 ones
        assert_eq!(output(&ctx).get(&[0, 3, 7]), Some(8.0));
    }
}
