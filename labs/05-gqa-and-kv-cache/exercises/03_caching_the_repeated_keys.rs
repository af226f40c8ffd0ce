// TODO: this does not compile yet. `infralens lab 05 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 03 — caching the repeated keys.
//!
//! The point of GQA is the cache: holding `Hkv` heads, it takes `H / Hkv` times less memory
//! than multi-head attention. What does this code put in the cache?
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub C: Sequence = 8;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 4;
}

#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh] -> [B, H, S, Dh])]
fn step(q: &Tensor, k: &Tensor, v: &Tensor, cache: &mut KvCache<B, Hkv, C, Dh>) -> Tensor {
    let (k_all, v_all) = (k.repeat_kv::<H>(), v.repeat_kv::<H>());
    let (keys, values) = cache.append::<S, T>(&k_all, &v_all).expect("room");
    grouped_query_attention(q, keys, values, Mask::Causal)
}

fn main() {
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    let at = sizes![S = 2];
    let out = step(&Tensor::randn_in(0, &at), &Tensor::randn_in(1, &at), &Tensor::randn_in(2, &at), &mut cache);
    println!("{}", out.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_holds_the_key_value_heads() {
        let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
        let at = sizes![S = 3];
        let _ = step(&Tensor::randn_in(0, &at), &Tensor::randn_in(1, &at), &Tensor::randn_in(2, &at), &mut cache);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.bytes(), 2 * 2 * 8 * 4 * 4); // Hkv = 2 heads, not 4
    }
}
