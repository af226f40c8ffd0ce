//! Lab 05 — GQA, MQA and the KV cache: the starter.
use infralens::cost::count;
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;     // new positions this step: the prompt, then 1
    pub T: Sequence = dyn;     // positions in the cache after the step
    pub C: Sequence = 16;      // the cache's capacity
    pub D: ModelWidth = 16;
    pub H: Heads = 4;          // query heads
    pub Hkv: Heads = 2;        // key/value heads: 2 query heads share each
    pub Dh: HeadWidth = D / H;
    pub Dkv = Hkv * Dh;
}

/// One attention step: project the new positions, append their keys and values to the cache,
/// attend over everything cached.
#[shapes(x: [B, S, D], wq: [D, D], wk: [D, Dkv], wv: [D, Dkv] -> [B, H, S, Dh])]
fn step(
    x: &Tensor,
    wq: &Tensor,
    wk: &Tensor,
    wv: &Tensor,
    cache: &mut KvCache<B, Hkv, C, Dh>,
) -> Tensor {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    #[shape(B, Hkv, S, Dh)]
    let k = x.matmul(wk).split_heads::<Hkv, Dh>();
    let v = x.matmul(wv).split_heads::<Hkv, Dh>();
    // The cache holds Hkv heads, not H: that is what GQA saves.
    let (keys, values) = cache.append::<S, T>(&k, &v).expect("the cache has room");
    println!("  q {}  keys {}", q.describe(), keys.describe());
    grouped_query_attention(&q, keys, values, Mask::Causal)
}

fn main() {
    let (wq, wk, wv) = (
        Tensor::<(D, D)>::randn(1),
        Tensor::<(D, Dkv)>::randn(2),
        Tensor::<(D, Dkv)>::randn(3),
    );
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    println!(
        "cache {}: {} bytes, allocated once",
        cache.describe(),
        cache.bytes()
    );
    for (i, new) in [3, 1, 1, 1].into_iter().enumerate() {
        println!("step {i}: S = {new}");
        let x = Tensor::<(B, S, D)>::randn_in(10 + i as u64, &sizes![S = new]);
        let (out, cost) = count(|| step(&x, &wq, &wk, &wv, &mut cache));
        println!("  out {}", out.describe());
        print_cost(&format!("step at S = {new}, T = {}", cache.len()), cost);
    }

    // KV-cache bytes per token: 2 (keys and values) · layers · Hkv · Dh · bytes per number.
    let per_token =
        |layers: usize, hkv: usize, dh: usize, bytes: usize| 2 * layers * hkv * dh * bytes;
    println!(
        "this toy layer, f32: {} bytes per token",
        per_token(1, Hkv::SIZE, Dh::SIZE, 4)
    );
    let (gqa, mha) = (per_token(32, 8, 128, 2), per_token(32, 32, 128, 2));
    println!(
        "Llama-3-8B (32 layers, Hkv = 8, Dh = 128, bf16): {} KiB per token; with H = 32 KV heads {} KiB",
        gqa / 1024,
        mha / 1024
    );
    println!(
        "  an 8,192-token context: {} MiB instead of {} MiB",
        (gqa * 8192) >> 20,
        (mha * 8192) >> 20
    );
}

/// One line per function its diagram draws: the FLOPs of its products and the weight
/// parameters they read, counted as it ran (`infralens explain FILE::FUNCTION` states the
/// same totals without running it).
fn print_cost(function: &str, cost: infralens::cost::Cost) {
    println!(
        "  cost of {function}: {} FLOPs, {} weight parameters",
        cost.flops, cost.params
    );
}
