//! Decoding with a KV cache: one attention layer, a prompt of 5 tokens, then 6 tokens
//! generated one at a time. The model widths are compile-time dims; the batch in use, the
//! new tokens `S` and the cached length `T` are run-time dims, named all the same, so
//! `(B, S, H, Dh)` against `(B, H, S, Dh)` is still a compile error.
//!
//! ```sh
//! cargo run --example kv_cache_decode
//! ```
//!
//! Each step prints the shapes it goes through (`T` grows by one), and the cache's memory,
//! allocated once for its capacity. Every step's output is checked against attention over
//! the whole sequence so far, recomputed from scratch.

use infralens::prelude::*;

dims! {
    /// The batch in use (`[:bsz]` of a larger allocation).
    pub B: Batch = dyn;
    /// The new positions of one step: the prompt, then 1.
    pub S: Sequence = dyn;
    /// The cached positions after a step: `P + S`.
    pub T: Sequence = dyn;
    /// The cache's capacity: the longest sequence it will hold.
    pub C: Sequence = dyn;
    /// Model width.
    pub D: ModelWidth = 64;
    /// Query heads.
    pub H: Heads = 8;
    /// Key/value heads (grouped-query attention, as in Llama 3).
    pub Hkv: Heads = 2;
    /// Head width.
    pub Dh: HeadWidth = D / H;
    /// Key/value width: `Hkv × Dh`.
    pub Dkv = Hkv * Dh;
}

/// One layer's weights, stored (in, out).
struct Layer {
    wq: Tensor<(D, D)>,
    wk: Tensor<(D, Dkv)>,
    wv: Tensor<(D, Dkv)>,
    wo: Tensor<(D, D)>,
}

impl Layer {
    /// Attention for the new positions `x: (B, S, D)`, reading and extending `cache`.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn forward(&self, x: &Tensor, cache: &mut KvCache<B, Hkv, C, Dh>) -> Tensor {
        #[shape(B, H, S, Dh)]
        let q = x.matmul(&self.wq).split_heads::<H, Dh>();
        #[shape(B, Hkv, S, Dh)]
        let k = x.matmul(&self.wk).split_heads::<Hkv, Dh>();
        let v = x.matmul(&self.wv).split_heads::<Hkv, Dh>();
        let past = cache.len();
        let (keys, values) = cache.append::<S, T>(&k, &v).expect("the cache has room");
        println!(
            "  q {:<22} k, v {:<24} keys, values {:<24} (no copy of the {past} cached)",
            q.describe(),
            k.describe(),
            keys.describe(),
        );
        // Bottom-right causal: new query i is position `past + i`, and sees keys 0..=past+i.
        let ctx = grouped_query_attention(&q, keys, values, Mask::Causal);
        ctx.merge_heads::<D>().matmul(&self.wo)
    }
}

fn main() {
    let layer = Layer {
        wq: Tensor::randn(1).scale(0.125),
        wk: Tensor::randn(2).scale(0.125),
        wv: Tensor::randn(3).scale(0.125),
        wo: Tensor::randn(4).scale(0.125),
    };
    let (batch, prompt, generate) = (2, 5, 6);
    let capacity = 16;
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![B = batch, C = capacity]);
    println!(
        "KV cache (B, Hkv, C, Dh) = {} for keys and values: {} bytes, allocated once",
        cache.describe(),
        cache.bytes()
    );

    // The whole sequence's inputs, as a model's embeddings would give them.
    let total = prompt + generate;
    let inputs = Tensor::<(B, T, D)>::randn_in(10, &sizes![B = batch, T = total]);
    let mut start = 0;
    let mut worst: f32 = 0.0;
    for (step, new) in std::iter::once(prompt)
        .chain(std::iter::repeat_n(1, generate))
        .enumerate()
    {
        let what = if step == 0 { "prefill" } else { "decode" };
        println!("step {step} ({what}, S = {new}, T = {})", start + new);
        let x = inputs.narrow::<1, S>(start, new);
        let out = layer.forward(&x, &mut cache);
        println!("  out {}", out.describe());

        // The same positions, recomputed from scratch over everything so far.
        let seen = inputs.narrow::<1, T>(0, start + new);
        let full = recompute(&layer, &seen);
        let last = full.narrow::<1, S>(start, new);
        for (a, b) in out.as_slice().iter().zip(last.as_slice()) {
            worst = worst.max((a - b).abs());
        }
        start += new;
    }
    println!(
        "{} of {} positions cached; largest difference from a full recompute: {worst:.1e}",
        cache.len(),
        cache.capacity()
    );
    assert!(
        worst < 1e-5,
        "decoding with the cache must match a full recompute"
    );
}

/// Attention over every position at once, no cache: what each decode step must equal.
fn recompute(layer: &Layer, x: &Tensor<(B, T, D)>) -> Tensor<(B, T, D)> {
    let q = x.matmul(&layer.wq).split_heads::<H, Dh>();
    let k = x.matmul(&layer.wk).split_heads::<Hkv, Dh>();
    let v = x.matmul(&layer.wv).split_heads::<Hkv, Dh>();
    grouped_query_attention(&q, &k, &v, Mask::Causal)
        .merge_heads::<D>()
        .matmul(&layer.wo)
}
