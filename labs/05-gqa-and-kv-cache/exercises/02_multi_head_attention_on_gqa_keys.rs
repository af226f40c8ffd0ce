// TODO: this does not compile yet. `infralens lab 05 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — multi-head attention on grouped keys.
//!
//! `scaled_dot_product_attention` pairs query head `h` with key head `h`. With GQA the keys
//! have `Hkv < H` heads, and each group of `H / Hkv` query heads reads one of them.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 4;
}

#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh] -> [B, H, S, Dh])]
fn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {
    scaled_dot_product_attention(q, k, v, Mask::Causal)
}

fn main() {
    println!("{}", attend(&Tensor::randn(0), &Tensor::randn(1), &Tensor::randn(2)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_attention_over_repeated_heads() {
        let (q, k, v) = (Tensor::randn(0), Tensor::<(B, Hkv, S, Dh)>::randn(1), Tensor::<(B, Hkv, S, Dh)>::randn(2));
        let want = scaled_dot_product_attention(&q, &k.repeat_kv::<H>(), &v.repeat_kv::<H>(), Mask::Causal);
        for (a, b) in attend(&q, &k, &v).as_slice().iter().zip(want.as_slice()) {
            assert!((a - b).abs() < 1e-5, "expected {}, got {}", b, a);
        }
    }
}
