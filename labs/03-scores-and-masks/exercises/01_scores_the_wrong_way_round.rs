// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — scores the wrong way round.
//!
//! Each row of the scores is one query, each column one key, and the softmax over the last axis
//! gives each *query* a distribution over the keys. The other way round, the softmax would
//! share each *key* out over the queries — a silent bug in untyped code whenever `S = T`. Here
//! `S` and `T` are different dims.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 4;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], v: [B, H, T, Dh] -> [B, H, S, Dh])]
fn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {
    k.matmul(q.t()).scale(0.5).softmax().matmul(v)
}

fn main() {
    let at = sizes![S = 3, T = 3];
    let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &at);
    let k = Tensor::<(B, H, T, Dh)>::randn_in(1, &at);
    println!("output: {}", attend(&q, &k, &k).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_attention() {
        let at = sizes![S = 2, T = 5];
        let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &at);
        let k = Tensor::<(B, H, T, Dh)>::randn_in(1, &at);
        let v = Tensor::<(B, H, T, Dh)>::randn_in(2, &at);
        let want = scaled_dot_product_attention(&q, &k, &v, Mask::None);
        for (a, b) in attend(&q, &k, &v).as_slice().iter().zip(want.as_slice()) {
            assert!((a - b).abs() < 1e-5, "expected {}, got {}", b, a);
        }
    }
}
