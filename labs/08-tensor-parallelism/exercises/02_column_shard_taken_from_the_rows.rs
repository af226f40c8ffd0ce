// TODO: this does not compile yet. `infralens lab 08 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — a column-parallel shard cut the wrong way.
//!
//! Column parallelism splits a projection's *outputs*, stored here `(in, out) = (D, Dq)`: rank
//! `r` takes its heads' part, `r·Dr .. (r+1)·Dr`, and computes them from the whole input. (In
//! `nn.Linear`'s `(out, in)` storage the outputs are the rows — which is why this slip is so
//! easy to make.) `Dq = H × Dh`, the width of all the heads, is as wide as `D` in Llama, but a
//! dim of its own: the weight's two axes cannot be mistaken for each other.
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

#[shapes(x: [B, S, D], wq: [D, Dq] -> [B, Hr, S, Dh])]
fn rank_queries(x: &Tensor, wq: &Tensor, r: usize) -> Tensor {
    x.matmul(&wq.narrow::<0, Dr>(r * Dr::SIZE, Dr::SIZE)).split_heads::<Hr, Dh>()
}

fn main() {
    println!("{}", rank_queries(&Tensor::randn(0), &Tensor::randn(1), 1).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_1_holds_heads_2_and_3() {
        let (x, wq) = (Tensor::<(B, S, D)>::randn(0), Tensor::<(D, Dq)>::randn(1));
        let all = x.matmul(&wq).split_heads::<H, Dh>();
        let mine = rank_queries(&x, &wq, 1);
        assert_eq!(
            mine.get(&[0, 1, 2, 3]),
            all.get(&[0, 3, 2, 3]),
            "rank 1 holds heads 2 and 3: its head 1 must be the model's head 3, computed from the whole input (expected the second value, got the first)"
        );
    }
}
