// TODO: this does not compile yet. `infralens lab 04 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — the merge without its transpose.
//!
//! Attention's output is `(B, H, S, Dh)`; the merge joins `H × Dh` into `D` for each position.
//! `ctx.view(B, S, D)` straight from `(B, H, S, Dh)` glues together numbers of different
//! positions — a silent bug in PyTorch whenever the sizes allow it. With axis kinds declared it
//! does not compile.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 8;
    pub H: Heads = 2;
    pub Dh: HeadWidth = D / H;
}

#[shapes(ctx: [B, H, S, Dh] -> [B, S, D])]
fn merge(ctx: Tensor) -> Tensor {
    ctx.reshape::<(B, S, D)>()
}

fn main() {
    println!("{}", merge(Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_2_holds_every_head_s_position_2() {
        let ctx = Tensor::<(B, H, S, Dh)>::randn(0);
        let m = merge(ctx.clone());
        // position 2, lane 4 + 1 is head 1's lane 1 at position 2
        assert_eq!(m.get(&[0, 2, 5]), ctx.get(&[0, 1, 2, 1]));
    }
}
