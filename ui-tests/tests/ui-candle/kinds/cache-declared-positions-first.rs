use infralens::prelude::candle::*;

dims! {
    pub B: Batch = 1;
    pub C: Sequence = 16;
    pub S: Sequence = dyn;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 4;
}

#[shapes(k: [B, Hkv, S, Dh])]
fn capacity(k: &Tensor) -> usize {
    // Meta's layout, `(batch, max_seq, n_kv_heads, head_dim)`, where the keys are heads-first.
    let cache = KvCache::<B, C, Hkv, Dh>::new(&sizes![]);
    cache.capacity() + k.sizes()[2]
}

fn main() {
    println!("{}", capacity(&Tensor::zeros_in(&sizes![S = 3])));
}
