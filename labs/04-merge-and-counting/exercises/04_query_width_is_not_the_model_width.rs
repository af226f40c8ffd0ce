// TODO: this does not compile yet. `infralens lab 04 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 04 — a query width that is not the model width.
//!
//! In most models `Dh = D / H`, so the merged heads are `D` wide. Qwen3 sets `head_dim` on its
//! own: 4 heads of 6 make `Dq = 24` while `D = 16`; its `q_proj` is `(D, Dq)` and its `o_proj`
//! `(Dq, D)`. Code that assumes `H × Dh = D` breaks on these checkpoints.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = 6;
    pub Dq = H * Dh;
}

#[shapes(ctx: [B, H, S, Dh], wo: [Dq, D] -> [B, S, D])]
fn output(ctx: &Tensor, wo: &Tensor) -> Tensor {
    let merged = ctx.merge_heads::<D>();
    let _ = wo;
    merged
}

fn main() {
    println!("{}", output(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_the_query_width_back() {
        let y = output(&Tensor::<(B, H, S, Dh)>::ones(), &Tensor::<(Dq, D)>::ones());
        assert_eq!(y.get(&[0, 1, 3]), Some(24.0));
    }
}
