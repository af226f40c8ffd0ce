// Solution: after the transpose the layout is already (B, S, H, Dh): a reshape merges it (or call `ctx.merge_heads::<D>()` on the heads-first tensor).
//! Exercise 05 — merging heads from the wrong layout.
//!
//! PyTorch merges heads with `ctx.transpose(1, 2).reshape(B, S, D)`. InfraLens' `merge_heads`
//! reads `(B, H, S, Dh)` and does the whole merge. With `S = H = 4` the sizes of several
//! layouts fit: only the names show which axis is read as the heads.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(ctx: [B, H, S, Dh] -> [B, S, D])]
fn merge(ctx: &Tensor) -> Tensor {
    let positions_first = ctx.transpose::<1, 2>();
    #[shape(B, S, D)]
    let merged = positions_first.reshape::<(B, S, D)>();
    merged
}

fn main() {
    let ctx = Tensor::<(B, H, S, Dh)>::randn(0);
    println!("merged: {}", merge(&ctx).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_s_gets_every_head_side_by_side() {
        let ctx = Tensor::<(B, H, S, Dh)>::randn(0);
        let merged = merge(&ctx);
        for b in 0..2 {
            for s in 0..4 {
                for h in 0..4 {
                    for d in 0..4 {
                        assert_eq!(merged.get(&[b, s, h * 4 + d]), ctx.get(&[b, h, s, d]));
                    }
                }
            }
        }
    }
}
