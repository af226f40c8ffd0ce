// Solution: move the heads first (`split_heads` does the view and the transpose), then rotate.
//! Exercise 02 — RoPE in the wrong layout.
//!
//! RoPE rotates each row of `(…, S, Dh)` by that row's position. After `view(B, S, H, Dh)` the
//! rows of each matrix are the *heads*: every head would be rotated by its index instead of its
//! position. (Meta's code rotates in `(B, S, H, Dh)` with its own indexing.)
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

#[shapes(x: [B, S, D] -> [B, H, S, Dh])]
fn queries(x: &Tensor) -> Tensor {
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    x.split_heads::<H, Dh>().rope(&rope, 0)
}

fn main() {
    println!("{}", queries(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_position_is_rotated_by_its_own_angle() {
        let x = Tensor::<(B, S, D)>::randn(0);
        let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
        let want = x.split_heads::<H, Dh>().rope(&rope, 0);
        assert_eq!(queries(&x), want);
    }
}
