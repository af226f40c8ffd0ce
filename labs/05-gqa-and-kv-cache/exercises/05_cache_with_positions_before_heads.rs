// TODO: this does not compile yet. `infralens lab 05 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 05 — a cache laid out positions-first.
//!
//! Meta's Llama code keeps its cache `(batch, max_seq, n_kv_heads, head_dim)` and transposes
//! after reading it; Hugging Face keeps `(batch, n_kv_heads, seq, head_dim)`. Both work — as
//! long as the keys going in have the cache's layout, and InfraLens's `KvCache` takes the keys
//! as attention reads them.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub C: Sequence = 8;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 4;
}

#[shapes(k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh])]
fn fill(k: &Tensor, v: &Tensor) -> usize {
    let mut cache = KvCache::<B, C, Hkv, Dh>::new(&sizes![]);
    let _ = cache.append::<S, T>(k, v).expect("room");
    cache.len()
}

fn main() {
    let at = sizes![S = 3];
    println!("{} cached", fill(&Tensor::randn_in(0, &at), &Tensor::randn_in(1, &at)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_positions_are_cached() {
        let at = sizes![S = 3];
        assert_eq!(fill(&Tensor::randn_in(0, &at), &Tensor::randn_in(1, &at)), 3);
    }
}
