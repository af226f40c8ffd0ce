// Solution: one result per query head: `merge_heads::<D>()`, and `Wo` is `(D, D)`.
//! Exercise 03 — merging into the key/value width.
//!
//! With grouped-query attention the keys and values are `Dkv = Hkv × Dh` wide, but attention
//! gives one result per *query* head. Sizing the merge — or `Wo`'s input — by the keys' width
//! is a common slip when porting GQA code.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
    pub Hkv: Heads = 2;
    pub Dkv = Hkv * Dh;
}

#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh] -> [B, S, D])]
fn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {
    let ctx = grouped_query_attention(q, k, v, Mask::Causal);
    ctx.merge_heads::<D>().matmul(&Tensor::<(D, D)>::ones())
}

fn main() {
    let q = Tensor::randn(0);
    println!("{}", attend(&q, &Tensor::randn(1), &Tensor::randn(2)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_has_the_model_width() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let kv = Tensor::<(B, Hkv, S, Dh)>::ones();
        let y = attend(&q, &kv, &kv);
        // values all one: every head's output is ones; an all-ones projection sums 16 of them
        assert!(
            (y.get(&[0, 2, 5]).unwrap() - 16.0).abs() < 1e-4,
            "expected {}, got {}",
            16.0,
            y.get(&[0, 2, 5]).unwrap()
        );
    }
}
