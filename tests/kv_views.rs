//! Attention written op by op on a KV cache's views — `keys.repeat_kv::<H>().t()`, `matmul`,
//! `values` — against a plain f64 reference, and what a decode step allocates: the scores,
//! never a copy of the cache.

mod common;

use common::{RefMask, assert_close, back, on, to_f64};
use infralens::Backend;
use infralens::prelude::*;

dims! {
    pub B: Batch = dyn;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 8;
    pub C: Sequence = dyn;
}

/// One cached attention step, op by op, reading the cache in place, on any backend.
#[allow(clippy::type_complexity)]
fn attend<Bk: Backend>(
    q: &Tensor<(B, H, S, Dh), f32, Bk>,
    k: &Tensor<(B, Hkv, S, Dh), f32, Bk>,
    v: &Tensor<(B, Hkv, S, Dh), f32, Bk>,
    cache: &mut KvCache<B, Hkv, C, Dh, f32, Bk>,
) -> Result<Tensor<(B, H, S, Dh), f32, Bk>, ShapeError> {
    let (keys, values) = cache.append::<S, T>(k, v)?;
    let scores = q
        .matmul(keys.repeat_kv::<H>().t())
        .scale(1.0 / (Dh::SIZE as f32).sqrt());
    let p = scores.masked(Mask::Causal).softmax();
    Ok(p.matmul(values.repeat_kv::<H>()))
}

fn op_by_op_attention_on_cache_views_matches_the_reference<Bk: Backend>() {
    let (prefill, steps) = (5, 4);
    let total = prefill + steps;
    let all = sizes![B = 2, T = total];
    let q_all = Tensor::<(B, H, T, Dh)>::randn_in(80, &all);
    let k_all = Tensor::<(B, Hkv, T, Dh)>::randn_in(81, &all);
    let v_all = Tensor::<(B, Hkv, T, Dh)>::randn_in(82, &all);
    let mut cache = KvCache::<B, Hkv, C, Dh, f32, Bk>::new(&sizes![B = 2, C = 16]);
    let mut start = 0;
    for new in std::iter::once(prefill).chain(std::iter::repeat_n(1, steps)) {
        let (q, k, v) = (
            on::<Bk, _, _>(&q_all.narrow::<2, S>(start, new)),
            on::<Bk, _, _>(&k_all.narrow::<2, S>(start, new)),
            on::<Bk, _, _>(&v_all.narrow::<2, S>(start, new)),
        );
        let out = attend(&q, &k, &v, &mut cache).expect("fits");
        let seen = start + new;
        let full = common::attention(
            &to_f64(q_all.narrow::<2, T>(0, seen).as_slice()),
            &to_f64(k_all.narrow::<2, T>(0, seen).as_slice()),
            &to_f64(v_all.narrow::<2, T>(0, seen).as_slice()),
            (2, 4, 2, seen, seen, 8, 8),
            RefMask::TopLeft,
        );
        let mut want = Vec::new();
        for bh in 0..2 * 4 {
            want.extend_from_slice(&full[(bh * seen + start) * 8..(bh * seen + seen) * 8]);
        }
        assert_close(&out.to_vec(), &want, 1e-5);
        // the fused kernel reads the same views, shared out or not
        let (keys, values) = (
            cache.keys::<T>().expect("len"),
            cache.values::<T>().expect("len"),
        );
        let fused = grouped_query_attention(&q, keys, values, Mask::Causal);
        assert_close(&fused.to_vec(), &want, 1e-5);
        let shared = scaled_dot_product_attention(
            &q,
            keys.repeat_kv::<H>(),
            values.repeat_kv::<H>(),
            Mask::Causal,
        );
        assert_close(&shared.to_vec(), &want, 1e-5);
        // and a view copied out is the tensor it stands for
        let copied = keys.repeat_kv::<H>().to_tensor();
        let want_keys = k_all.narrow::<2, T>(0, seen).repeat_kv::<H>();
        assert_eq!(back(&copied).to_vec(), want_keys.to_vec());
        start = seen;
    }
}

#[test]
fn views_read_as_the_tensors_they_stand_for() {
    let at = sizes![B = 2, S = 3];
    let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(1, &at);
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![B = 2, C = 8]);
    let (keys, _) = cache.append::<S, T>(&k, &k).expect("fits");
    let shared = keys.repeat_kv::<H>();
    let want = k.repeat_kv::<H>();
    assert_eq!(shared.to_tensor().to_vec(), want.to_vec());
    assert_eq!(shared.describe(), "[B=2, H=4, T=3, Dh=8]");
    for index in [[0, 3, 2, 7], [1, 1, 0, 0], [1, 2, 1, 5]] {
        assert_eq!(shared.get(&index), want.get(&index));
    }
    assert_eq!(shared.get(&[0, 4, 0, 0]), None);
    // `t()` twice is the view itself; `matmul` reads the transposed view as `Kᵀ`
    assert_eq!(keys.t().t().to_tensor().to_vec(), k.to_vec());
    let q = Tensor::<(B, Hkv, S, Dh)>::randn_in(2, &at);
    let by_view: Tensor<(B, Hkv, S, T)> = q.matmul(keys.t());
    let want = common::matmul(
        &to_f64(q.as_slice()),
        &common::transpose_last(&to_f64(k.as_slice()), 4, 3, 8),
        4,
        3,
        8,
        3,
        true,
    );
    assert_close(by_view.as_slice(), &want, 1e-5);
}

#[test]
fn sharing_a_view_over_heads_it_does_not_divide_is_refused_by_name() {
    dims! { pub Odd: Heads = dyn; pub Kv: Heads = dyn; }
    let config = sizes![B = 1, Kv = 2, C = 4, Odd = 3];
    let mut cache = KvCache::<B, Kv, C, Dh>::new(&config);
    let k = Tensor::<(B, Kv, S, Dh)>::zeros_in(&config.with::<S>(1));
    let (keys, _) = cache.append::<S, T>(&k, &k).expect("fits");
    let err = std::panic::catch_unwind(|| keys.repeat_kv_in::<Odd>(&config)).expect_err("panics");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(
        message,
        "shape mismatch in repeat_kv: `Kv` = 2 key/value heads must divide `Odd` = 3 query heads"
    );
}

/// A decode step op by op allocates its scores and output — `(B, H, 1, T)` and
/// `(B, H, 1, Dh)` tensors — and no copy of the cache: the bytes it allocates stay far
/// below the filled keys' and values', where copying the views (`to_tensor`) costs them all.
#[test]
fn a_decode_step_on_views_allocates_nothing_proportional_to_the_cache() {
    // The counter sees the calling thread's allocations: keep the work on it.
    infralens::threads::set_num_threads(1);
    let capacity = 512;
    let config = sizes![B = 1, C = capacity];
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&config);
    let prompt = config.with::<S>(capacity - 1);
    let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(1, &prompt);
    cache.append::<S, T>(&k, &k).expect("fits");
    let one = config.with::<S>(1);
    let (q, k) = (
        Tensor::<(B, H, S, Dh)>::randn_in(2, &one),
        Tensor::<(B, Hkv, S, Dh)>::randn_in(3, &one),
    );
    let t = capacity;
    let filled = 2 * Hkv::SIZE * t * Dh::SIZE * 4; // keys and values, f32
    let step = allocation_counter::measure(|| {
        attend(&q, &k, &k, &mut cache).expect("fits");
    });
    // scores, scaled, masked, softmax: four `(1, H, 1, T)`; the output `(1, H, 1, Dh)`
    let scores = 4 * H::SIZE * t * 4 + H::SIZE * Dh::SIZE * 4;
    assert!(
        step.bytes_total as usize <= scores + 4096,
        "a decode step allocated {} bytes; its scores and output are {scores}",
        step.bytes_total
    );
    cache.truncate(capacity - 1);
    let copying = allocation_counter::measure(|| {
        let (keys, values) = cache.append::<S, T>(&k, &k).expect("fits");
        let (keys, values) = (keys.to_tensor(), values.to_tensor());
        let p = q
            .matmul(&keys.repeat_kv::<H>().t())
            .scale(1.0 / (Dh::SIZE as f32).sqrt())
            .masked(Mask::Causal)
            .softmax();
        let _ = p.matmul(&values.repeat_kv::<H>());
    });
    eprintln!(
        "decode step at T = {t}: {} bytes on views, {} copying the views; the filled cache is {filled}",
        step.bytes_total, copying.bytes_total
    );
    assert!(copying.bytes_total as usize > filled);
    assert!(step.bytes_total * 4 < copying.bytes_total);
}

on_every_backend!(op_by_op_attention_on_cache_views_matches_the_reference);
