// Solution: cut the input rows: `wo.narrow::<0, Dr>(…)`, a `(Dr, D)` shard.
//! Exercise 03 — a row-parallel shard cut the wrong way.
//!
//! Each rank holds only its heads' results, `(B, S, Dr)`. The output projection, stored `(in,
//! out) = (Dq, D)`, is split by its *inputs* (row-parallel): rank `r` multiplies by its heads'
//! part of `Wo` and gets a full-width partial sum that the all-reduce adds up. `Dq = H × Dh`,
//! the width of all the heads, is as wide as `D` in Llama, but a dim of its own: the weight's
//! two axes cannot be mistaken for each other.
use infralens::prelude::*;

dims! {
    pub B = 1;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
    pub Tp = 2;
    pub Hr = H / Tp;
    pub Dr = Hr * Dh;
    pub Dq = H * Dh;
}

#[shapes(ctx: [B, S, Dr], wo: [Dq, D] -> [B, S, D])]
fn partial_output(ctx: &Tensor, wo: &Tensor, r: usize) -> Tensor {
    ctx.matmul(&wo.narrow::<0, Dr>(r * Dr::SIZE, Dr::SIZE))
}

fn main() {
    println!("{}", partial_output(&Tensor::randn(0), &Tensor::randn(1), 0).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_sums_add_up() {
        let (full_ctx, wo) = (Tensor::<(B, S, Dq)>::randn(0), Tensor::<(Dq, D)>::randn(1));
        let want = full_ctx.matmul(&wo);
        let part = |r: usize| partial_output(&full_ctx.narrow::<2, Dr>(r * 8, 8), &wo, r);
        let sum = part(0).add(&part(1));
        for (a, b) in sum.as_slice().iter().zip(want.as_slice()) {
            assert!((a - b).abs() < 1e-4, "expected {}, got {}", b, a);
        }
    }
}
