// TODO: this does not compile yet. `infralens lab 05 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — key/value heads that do not divide the query heads.
//!
//! In grouped-query attention each group of `H / Hkv` query heads reads one key/value head,
//! so `Hkv` must divide `H` (MQA is `Hkv = 1`, multi-head `Hkv = H`). A config with
//! `num_key_value_heads = 3` and `num_attention_heads = 4` cannot be loaded by any framework.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub H: Heads = 4;
    pub Hkv: Heads = 3;
    pub Dh: HeadWidth = 4;
}

#[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]
fn share(k: &Tensor) -> Tensor {
    k.repeat_kv::<H>()
}

fn main() {
    println!("{}", share(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_head_3_reads_the_last_kv_head() {
        let k = Tensor::<(B, Hkv, S, Dh)>::randn(0);
        let all = share(&k);
        let last = Hkv::SIZE - 1;
        assert_eq!(all.get(&[0, 3, 2, 1]), k.get(&[0, last, 2, 1]));
    }
}
