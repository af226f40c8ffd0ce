// Solution: `wk: (D, Dkv)`, `Dkv = Hkv × Dh`.
//! Exercise 04 — a key projection kept square.
//!
//! Porting multi-head code to a GQA checkpoint, `k_proj` changes shape: Llama-3-8B's maps 4096
//! to 1024, `Hkv × Dh` with 8 KV heads of 128. Code written for multi-head attention splits a
//! key width that is no longer there.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub Dkv = Hkv * Dh;
}

#[shapes(x: [B, S, D] -> [B, Hkv, S, Dh])]
fn keys(x: &Tensor) -> Tensor {
    x.matmul(&Tensor::<(D, Dkv)>::ones()).split_heads::<Hkv, Dh>()
}

fn main() {
    println!("{}", keys(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_lane_sums_the_input() {
        let k = keys(&Tensor::ones());
        assert_eq!(k.get(&[0, 1, 3, 2]), Some(16.0));
    }
}
