// Solution: `split_heads::<Hr, Dh>()`: the rank's `H / TP` heads, each of the full width.
//! Exercise 04 — all the heads on every rank.
//!
//! A rank's slice of the projection is `Dr = D / TP` wide, and tensor parallelism never cuts a
//! head: a head keeps its full width `Dh` on whichever rank holds it.
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
}

#[shapes(q_slice: [B, S, Dr] -> [B, Hr, S, Dh])]
fn rank_heads(q_slice: &Tensor) -> Tensor {
    q_slice.split_heads::<Hr, Dh>()
}

fn main() {
    println!("{}", rank_heads(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_1_is_lanes_4_to_8() {
        let q = Tensor::<(B, S, Dr)>::randn(0);
        assert_eq!(rank_heads(&q).get(&[0, 1, 2, 0]), q.get(&[0, 2, 4]));
    }
}
