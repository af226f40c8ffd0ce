// TODO: this does not compile yet. `infralens lab 07 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — the residual before the merge.
//!
//! The residual stream is `(B, S, D)` from the first block to the last. Attention works per
//! head, `(B, H, S, Dh)`, and its result comes back to the stream through the merge and `Wo`.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 8;
    pub H: Heads = 2;
    pub Dh: HeadWidth = D / H;
}

#[shapes(x: [B, S, D], q: [B, H, S, Dh], wo: [D, D] -> [B, S, D])]
fn residual(x: &Tensor, q: &Tensor, wo: &Tensor) -> Tensor {
    let ctx = scaled_dot_product_attention(q, q, q, Mask::Causal);
    let _ = wo;
    x.add(&ctx)
}

fn main() {
    println!("{}", residual(&Tensor::randn(0), &Tensor::randn(1), &Tensor::randn(2)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_output_projection_leaves_the_stream() {
        let x = Tensor::<(B, S, D)>::randn(0);
        assert_eq!(residual(&x, &Tensor::randn(1), &Tensor::zeros()), x);
    }
}
