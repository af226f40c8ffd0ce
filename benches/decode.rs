//! One decode step of attention over a KV cache: append one position's keys and values,
//! then attend one query per head over the `T` cached positions, for T = 128, 512, 2048
//! (a Llama-3-8B layer: H = 32, Hkv = 8, Dh = 128, f32, one sequence).
//!
//! `cargo bench -p infralens-benches --bench decode` prints, from one run, the median time
//! of a step at each T and the time per cached position: flat when a step costs O(T). The
//! cache is allocated once; the step writes one position and reads the past in place.
//! It also times the same step written op by op, `q·Kᵀ`, scale, mask, softmax, `P·V`, on
//! the cache's views (`keys.repeat_kv::<H>().t()`, no copy) and on copies of them
//! (`to_tensor`, what the op-by-op path had to do before views were tensors), side by side.

use criterion::Criterion;
use infralens::prelude::*;
use infralens::threads::set_num_threads;
use std::hint::black_box;
use std::time::Instant;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 32;
    pub Hkv: Heads = 8;
    pub Dh: HeadWidth = 128;
    pub C: Sequence = 4096;
    pub One: Sequence = 1;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

/// One new position's keys and values.
type NewKv = [Tensor<(B, Hkv, One, Dh)>; 2];
/// A Llama layer's cache.
type Cache = KvCache<B, Hkv, C, Dh>;

/// A cache holding `t - 1` positions, and one new position's q, k, v.
#[allow(clippy::type_complexity)]
fn setup(t: usize) -> (Cache, NewKv, Tensor<(B, H, One, Dh)>) {
    let mut cache = KvCache::new(&sizes![]);
    let past = sizes![S = t - 1];
    let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(1, &past);
    let v = Tensor::<(B, Hkv, S, Dh)>::randn_in(2, &past);
    cache.append::<S, T>(&k, &v).expect("fits");
    let new = [Tensor::randn(3), Tensor::randn(4)];
    (cache, new, Tensor::randn(5))
}

/// One decode step: append, attend, forget the position again (so the next step is alike).
fn step(
    cache: &mut KvCache<B, Hkv, C, Dh>,
    [k, v]: &NewKv,
    q: &Tensor<(B, H, One, Dh)>,
) -> Tensor<(B, H, One, Dh)> {
    let (keys, values) = cache.append::<One, T>(k, v).expect("fits");
    let out = grouped_query_attention(q, keys, values, Mask::Causal);
    cache.truncate(cache.len() - 1);
    out
}

/// The step op by op, reading the cache's views in place.
fn by_hand_on_views(
    cache: &mut KvCache<B, Hkv, C, Dh>,
    [k, v]: &NewKv,
    q: &Tensor<(B, H, One, Dh)>,
) -> Tensor<(B, H, One, Dh)> {
    let (keys, values) = cache.append::<One, T>(k, v).expect("fits");
    let p = q
        .attention_scale::<Dh>()
        .matmul(keys.repeat_kv::<H>().t())
        .masked(Mask::Causal)
        .softmax_over::<T>();
    let out = p.matmul(values.repeat_kv::<H>());
    cache.truncate(cache.len() - 1);
    out
}

/// The step op by op on contiguous copies of the views (and of their shared-out heads).
fn by_hand_on_copies(
    cache: &mut KvCache<B, Hkv, C, Dh>,
    [k, v]: &NewKv,
    q: &Tensor<(B, H, One, Dh)>,
) -> Tensor<(B, H, One, Dh)> {
    let (keys, values) = cache.append::<One, T>(k, v).expect("fits");
    let (keys, values) = (
        keys.to_tensor().repeat_kv::<H>(),
        values.to_tensor().repeat_kv::<H>(),
    );
    let p = q
        .attention_scale::<Dh>()
        .matmul(&keys.t())
        .masked(Mask::Causal)
        .softmax_over::<T>();
    let out = p.matmul(&values);
    cache.truncate(cache.len() - 1);
    out
}

/// The median of 200 runs of `f`, in seconds.
fn median(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn decode(c: &mut Criterion) {
    set_num_threads(1);
    let lengths = [128, 512, 2048];
    let mut group = c.benchmark_group("decode step, H=32 Hkv=8 Dh=128, 1 thread");
    for &t in &lengths {
        let (mut cache, new, q) = setup(t);
        group.bench_function(format!("T={t}"), |bench| {
            bench.iter(|| black_box(step(&mut cache, &new, &q)))
        });
    }
    group.finish();

    println!("\ndecode step (append 1 position + GQA over T), medians of 200, 1 thread:");
    let mut per_position = Vec::new();
    for &t in &lengths {
        let (mut cache, new, q) = setup(t);
        let median = median(|| {
            black_box(step(&mut cache, &new, &q));
        });
        per_position.push(median / t as f64);
        println!(
            "  T = {t:>4}: {:>7.1} µs per step, {:.1} ns per cached position",
            median * 1e6,
            median / t as f64 * 1e9
        );
    }
    println!(
        "  per-position cost at T=2048 / at T=128: {:.2} (1.0 is O(T); a copy of the past each step would add to it)",
        per_position[2] / per_position[0]
    );

    println!("\nthe same step op by op, medians of 200, 1 thread (fused = 1):");
    for &t in &lengths {
        let (mut cache, new, q) = setup(t);
        let fused = median(|| {
            black_box(step(&mut cache, &new, &q));
        });
        let views = median(|| {
            black_box(by_hand_on_views(&mut cache, &new, &q));
        });
        let copies = median(|| {
            black_box(by_hand_on_copies(&mut cache, &new, &q));
        });
        println!(
            "  T = {t:>4}: fused {:>7.1} µs; on views {:.2}×; on copies {:.2}× (copies ÷ views {:.2})",
            fused * 1e6,
            views / fused,
            copies / fused,
            copies / views
        );
    }
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::decode);
}
criterion::criterion_main!(group::benches);
