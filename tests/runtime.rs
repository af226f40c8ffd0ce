//! Run-time dims (`S = dyn`): construction, run-time checks and their messages, `#[shapes]`
//! bindings, sums, masks and the KV cache, each against a plain f64 reference.

mod common;

use common::{RefMask, assert_close, f32_tolerance, to_f64};
use infralens::prelude::*;
use infralens::{Sum, kind};

dims! {
    pub B: Batch = dyn;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub P: Sequence = dyn;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub C: Sequence = 32;
    pub One = 1;
}

#[test]
fn tensors_carry_the_sizes_of_run_time_dims() {
    let at = sizes![B = 2, S = 7];
    let x = Tensor::<(B, S, D)>::randn_in(1, &at);
    assert_eq!(x.sizes(), &[2, 7, 16]);
    assert_eq!(x.describe(), "[B=2, S=7, D=16]");
    assert_eq!(x.numel(), 2 * 7 * 16);
    assert_eq!(x.bound().to_string(), "[B=2, S=7]");
    // the same seed gives the same stream as a static tensor of that size
    dims! { pub B2 = 2; pub S7 = 7; }
    assert_eq!(x.to_vec(), Tensor::<(B2, S7, D)>::randn(1).to_vec());
    // a zero-length run-time dim is a valid, empty tensor
    let empty = Tensor::<(B, S, D)>::zeros_in(&sizes![B = 1, S = 0]);
    assert_eq!(
        (empty.numel(), empty.describe()),
        (0, "[B=1, S=0, D=16]".to_owned())
    );
    assert_eq!(empty.softmax().numel(), 0);
}

#[test]
fn construction_errors_name_the_dim() {
    let err = Tensor::<(B, S, D)>::from_vec_in(vec![0.0; 10], &sizes![B = 1]).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "`S` of (B, S, D) is a run-time dim, and no size was given for it: add `S = …` to `sizes![…]`"
    );
    let err =
        Tensor::<(B, S, D)>::from_vec_in(vec![0.0; 10], &sizes![B = 1, S = 2]).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "shape [B=1, S=2, D=16] holds 32 elements, but 10 values were given"
    );
    assert_eq!((err.expected(), err.found()), (32, 10));
    let err =
        Tensor::<(S, D)>::from_vec_in(vec![0.0; 16], &sizes![S = 1, D = 8]).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "`D` is 16 by its declaration, but 8 was given for it"
    );
    // naming a static dim with its own size is fine
    assert!(Tensor::<(S, D)>::from_vec_in(vec![0.0; 16], &sizes![S = 1, D = 16]).is_ok());
}

#[test]
#[should_panic(expected = "`S` is given two sizes, 3 and 4")]
fn a_dim_cannot_be_given_two_sizes() {
    let _ = sizes![S = 3, S = 4];
}

#[test]
#[should_panic(
    expected = "shape mismatch in matmul: `T` is 5 in the left operand's last axis but 6 in the right operand's rows"
)]
fn contraction_of_run_time_dims_is_checked() {
    let p = Tensor::<(S, T)>::zeros_in(&sizes![S = 2, T = 5]);
    let v = Tensor::<(T, D)>::zeros_in(&sizes![T = 6]);
    let _ = p.matmul(&v);
}

#[test]
#[should_panic(expected = "shape mismatch in attention: `T` is 6 in the keys but 5 in the values")]
fn keys_and_values_must_have_one_length() {
    let q = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 2]);
    let k = Tensor::<(B, H, T, Dh)>::zeros_in(&sizes![B = 1, T = 6]);
    let v = Tensor::<(B, H, T, Dh)>::zeros_in(&sizes![B = 1, T = 5]);
    let _ = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
}

#[test]
#[should_panic(expected = "shape mismatch: `S` would be both 2 and 3 in the result (B, H, S, S)")]
fn one_dim_on_two_axes_has_one_size() {
    // queries of 2 positions, keys of 3, both called `S`: the scores would be (…, S, S)
    let q = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 2]);
    let k = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 3]);
    let _ = q.matmul(&k.t());
}

#[test]
fn run_time_ops_match_the_reference() {
    let at = sizes![B = 2, S = 5];
    let x = Tensor::<(B, S, D)>::randn_in(10, &at);
    let wq = Tensor::<(D, D)>::randn(11);
    let q = x.matmul(&wq);
    let want = common::matmul(
        &to_f64(x.as_slice()),
        &to_f64(wq.as_slice()),
        1,
        10,
        16,
        16,
        false,
    );
    assert_close(q.as_slice(), &want, f32_tolerance(16));
    // the head split and merge with run-time B and S
    let heads = q.split_heads::<H, Dh>();
    assert_eq!(heads.describe(), "[B=2, H=4, S=5, Dh=4]");
    assert_eq!(heads.get(&[1, 2, 3, 1]), q.get(&[1, 3, 9]));
    assert_eq!(heads.merge_heads::<D>(), q);
    // scores over run-time S, masked, softmax rows sum to 1
    let scores = heads.matmul(&heads.t()).masked(Mask::Causal).softmax();
    assert_eq!(scores.describe(), "[B=2, H=4, S=5, S=5]");
    for row in scores.as_slice().chunks(5) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    // transpose and repeat_kv keep the bound sizes
    let k = Tensor::<(B, Hkv, T, Dh)>::randn_in(12, &sizes![B = 2, T = 3]);
    let all = k.repeat_kv::<H>();
    assert_eq!(all.describe(), "[B=2, H=4, T=3, Dh=4]");
    assert_eq!(all.get(&[1, 3, 2, 0]), k.get(&[1, 1, 2, 0]));
    assert_eq!(k.transpose::<1, 2>().describe(), "[B=2, T=3, Hkv=2, Dh=4]");
}

/// Attention over run-time S and T with every mask, against the f64 reference.
#[test]
fn masks_match_the_reference() {
    let (b, s, t) = (2, 3, 7);
    let q = Tensor::<(B, H, S, Dh), f64>::randn_in(20, &sizes![B = b, S = s]);
    let k = Tensor::<(B, H, T, Dh), f64>::randn_in(21, &sizes![B = b, T = t]);
    let v = Tensor::<(B, H, T, Dh), f64>::randn_in(22, &sizes![B = b, T = t]);
    let lengths = [7, 4];
    let cases: [(Mask, RefMask); 8] = [
        (Mask::None, RefMask::None),
        (Mask::Causal, RefMask::BottomRight),
        // Top-left with fewer queries than keys, asked for by name.
        (Mask::causal_from(0), RefMask::TopLeft),
        (Mask::causal_from(2), RefMask::From(2)),
        (Mask::sliding_window(3), RefMask::Window(3)),
        (
            Mask::None.with_key_lengths(&lengths),
            RefMask::Lengths(&lengths, false),
        ),
        (
            Mask::Causal.with_key_lengths(&lengths),
            RefMask::Lengths(&lengths, true),
        ),
        (Mask::causal_from(4).with_window(1), RefMask::Window(1)),
    ];
    for (mask, reference) in cases {
        let out = scaled_dot_product_attention(&q, &k, &v, mask);
        let want = common::attention(
            q.as_slice(),
            k.as_slice(),
            v.as_slice(),
            (b, 4, 4, s, t, 4, 4),
            reference,
        );
        assert_close(out.as_slice(), &want, 1e-12);
        // op by op: the same mask on the scores
        let p = q.matmul(&k.t()).scale(0.5).masked(mask).softmax();
        assert_close(p.matmul(&v).as_slice(), &want, 1e-12);
    }
}

#[test]
fn a_fully_masked_row_is_zero() {
    // more queries than keys, bottom-right: query 0 of 4 against 2 keys sees none
    let q = Tensor::<(B, H, S, Dh), f64>::randn_in(30, &sizes![B = 1, S = 4]);
    let k = Tensor::<(B, H, T, Dh), f64>::randn_in(31, &sizes![B = 1, T = 2]);
    let out = scaled_dot_product_attention(&q, &k, &k, Mask::Causal);
    for h in 0..4 {
        for d in 0..4 {
            assert_eq!(out.get(&[0, h, 0, d]), Some(0.0));
            assert_eq!(out.get(&[0, h, 1, d]), Some(0.0));
            assert_ne!(out.get(&[0, h, 3, d]), Some(0.0));
        }
    }
    // padding that hides every key of a batch entry
    let lengths = [0];
    let out = scaled_dot_product_attention(&q, &k, &k, Mask::None.with_key_lengths(&lengths));
    assert!(out.as_slice().iter().all(|&x| x == 0.0));
    // no keys at all
    let none = Tensor::<(B, H, T, Dh), f64>::zeros_in(&sizes![B = 1, T = 0]);
    let out = scaled_dot_product_attention(&q, &none, &none, Mask::None);
    assert!(out.as_slice().iter().all(|&x| x == 0.0));
}

/// PyTorch's `is_causal=True` ported as `Mask::CausalTopLeft` while decoding (1 new query,
/// 5 cached keys) would hide the cache from it. Queries `S` against keys `T` do not compile
/// (`MaskFor`); keys of the queries' own run-time dim that are more than the queries are
/// refused when it runs, naming both sizes.
#[test]
#[should_panic(
    expected = "mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but these `S` = 1 queries come after 4 of the `S` = 5 keys"
)]
fn a_top_left_mask_is_refused_while_decoding() {
    let q = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 1]);
    let k = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 5]);
    let _ = scaled_dot_product_attention(&q, &k, &k, Mask::CausalTopLeft);
}

/// The same alignment asked for by name, and top-left where it agrees with bottom-right.
#[test]
fn a_top_left_mask_by_name_or_with_as_many_queries_as_keys() {
    let q = Tensor::<(B, H, S, Dh)>::randn_in(1, &sizes![B = 1, S = 1]);
    let k = Tensor::<(B, H, T, Dh)>::randn_in(2, &sizes![B = 1, T = 5]);
    let v = Tensor::<(B, H, T, Dh)>::randn_in(3, &sizes![B = 1, T = 5]);
    // Query 0 sees key 0 only: the output is value 0.
    let out = scaled_dot_product_attention(&q, &k, &v, Mask::causal_from(0));
    let first: Vec<f32> = (0..Dh::SIZE)
        .map(|d| v.get(&[0, 0, 0, d]).unwrap_or(f32::NAN))
        .collect();
    let got: Vec<f32> = (0..Dh::SIZE)
        .map(|d| out.get(&[0, 0, 0, d]).unwrap_or(f32::NAN))
        .collect();
    assert_eq!(got, first);
    let square = Tensor::<(B, H, S, Dh)>::randn_in(4, &sizes![B = 1, S = 5]);
    let k = Tensor::<(B, H, S, Dh)>::randn_in(5, &sizes![B = 1, S = 5]);
    assert_eq!(
        scaled_dot_product_attention(&square, &k, &k, Mask::CausalTopLeft),
        scaled_dot_product_attention(&square, &k, &k, Mask::Causal)
    );
}

#[test]
#[should_panic(expected = "mask mismatch: 3 key lengths for `B` = 1 batch entries")]
fn key_lengths_must_match_the_batch() {
    let q = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 1]);
    let k = Tensor::<(B, H, T, Dh)>::zeros_in(&sizes![B = 1, T = 2]);
    let _ = scaled_dot_product_attention(&q, &k, &k, Mask::None.with_key_lengths(&[1, 2, 2]));
}

#[test]
#[should_panic(
    expected = "mask mismatch: key length 5 for batch entry 0 is more than the `T` = 2 keys"
)]
fn key_lengths_cannot_exceed_the_keys() {
    let q = Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![B = 1, S = 1]);
    let k = Tensor::<(B, H, T, Dh)>::zeros_in(&sizes![B = 1, T = 2]);
    let _ = scaled_dot_product_attention(&q, &k, &k, Mask::None.with_key_lengths(&[5]));
}

#[test]
fn cat_and_narrow_match_the_reference() {
    dims! { pub Ps = 2; pub Ss = 3; pub Ts = Ps + Ss; pub W = 4; }
    let a = Tensor::<(Ps, W)>::randn(40);
    let b = Tensor::<(Ss, W)>::randn(41);
    let all: Tensor<(Ts, W)> = cat::<0, Ts, _, _, _>(&a, &b);
    let mut want = a.to_vec();
    want.extend(b.to_vec());
    assert_eq!(all.to_vec(), want);
    // along a middle axis, run-time sizes, into the named sum
    let past = Tensor::<(B, H, P, Dh)>::randn_in(42, &sizes![B = 2, P = 5]);
    let new = Tensor::<(B, H, S, Dh)>::randn_in(43, &sizes![B = 2, S = 1]);
    let kv: Tensor<(B, H, T, Dh)> = cat::<2, T, _, _, _>(&past, &new);
    assert_eq!(kv.describe(), "[B=2, H=4, T=6, Dh=4]");
    let unnamed: Tensor<(B, H, Sum<P, S>, Dh)> = cat::<2, Sum<P, S>, _, _, _>(&past, &new);
    assert_eq!(unnamed.describe(), "[B=2, H=4, P + S=6, Dh=4]");
    assert_eq!(unnamed.as_slice(), kv.as_slice());
    for bi in 0..2 {
        for h in 0..4 {
            for d in 0..4 {
                for p in 0..5 {
                    assert_eq!(kv.get(&[bi, h, p, d]), past.get(&[bi, h, p, d]));
                }
                assert_eq!(kv.get(&[bi, h, 5, d]), new.get(&[bi, h, 0, d]));
            }
        }
    }
    // narrow back out: the last position, x[:, :, -1:, :]
    let last: Tensor<(B, H, One, Dh)> = kv.narrow::<2, One>(5, 1);
    assert_eq!(last.to_vec(), new.to_vec());
    let first: Tensor<(B, H, P, Dh)> = kv.narrow::<2, P>(0, 5);
    assert_eq!(first, past);
}

#[test]
#[should_panic(expected = "shape mismatch in cat: `C` is 32, but `P` = 5 plus `S` = 1 make 6")]
fn a_static_sum_of_run_time_parts_is_checked() {
    let past = Tensor::<(P, D)>::zeros_in(&sizes![P = 5]);
    let new = Tensor::<(S, D)>::zeros_in(&sizes![S = 1]);
    let _ = cat::<0, C, _, _, _>(&past, &new);
}

#[test]
#[should_panic(expected = "narrow out of range: positions 4..7 of `T` = 6")]
fn narrow_past_the_end_names_the_dim() {
    let x = Tensor::<(T, D)>::zeros_in(&sizes![T = 6]);
    let _ = x.narrow::<0, S>(4, 3);
}

/// A `#[shapes]` function binds its run-time dims per call.
#[shapes(x: [B, S, D], mask: [B, S] -> [B, S, D])]
fn gate(x: &Tensor, mask: &Tensor) -> Tensor {
    let keep = mask.to_vec();
    let width = x.sizes()[2];
    let mut out = x.clone();
    for (i, v) in out.as_mut_slice().iter_mut().enumerate() {
        *v *= keep[i / width];
    }
    out
}

/// Returns a tensor whose `S` is not the one its parameter bound.
#[shapes(x: [B, S, D] -> [B, S, D])]
fn grows(x: &Tensor) -> Tensor {
    let at = sizes![B = x.sizes()[0], S = x.sizes()[1] + 1];
    if x.numel() > 0 {
        return Tensor::zeros_in(&at);
    }
    x.clone()
}

#[test]
fn shapes_functions_bind_run_time_dims() {
    let at = sizes![B = 2, S = 3];
    let x = Tensor::<(B, S, D)>::ones_in(&at);
    let mask =
        Tensor::<(B, S)>::from_vec_in(vec![1.0, 0.0, 1.0, 1.0, 1.0, 0.0], &at).expect("works");
    let y = gate(&x, &mask);
    assert_eq!(y.get(&[0, 1, 5]), Some(0.0));
    assert_eq!(y.get(&[1, 1, 5]), Some(1.0));
}

#[test]
#[should_panic(
    expected = "shape mismatch in `gate`: `S` = 3 from `x`, but 4 from `mask` (bound so far: `B` = 2 from `x`, `S` = 3 from `x`)"
)]
fn a_disagreeing_parameter_is_named() {
    let x = Tensor::<(B, S, D)>::ones_in(&sizes![B = 2, S = 3]);
    let mask = Tensor::<(B, S)>::ones_in(&sizes![B = 2, S = 4]);
    let _ = gate(&x, &mask);
}

#[test]
#[should_panic(expected = "shape mismatch in `grows`: `S` = 3 from `x`, but 4 from `the result`")]
fn an_early_return_is_checked_too() {
    let x = Tensor::<(B, S, D)>::ones_in(&sizes![B = 2, S = 3]);
    let _ = grows(&x);
}

/// No `return`: the result is the tail expression, checked on a plain block (no closure).
#[shapes(x: [B, S, D] -> [B, S, D])]
fn shrinks(x: &Tensor) -> Result<Tensor, ShapeError> {
    let at = sizes![B = x.sizes()[0], S = x.sizes()[1] - 1];
    let zeros = Tensor::from_vec_in(vec![0.0; x.numel() - x.sizes()[0] * x.sizes()[2]], &at)?;
    Ok(zeros)
}

#[test]
#[should_panic(expected = "shape mismatch in `shrinks`: `S` = 3 from `x`, but 2 from `the result`")]
fn a_tail_result_is_checked() {
    let x = Tensor::<(B, S, D)>::ones_in(&sizes![B = 2, S = 3]);
    let _ = shrinks(&x);
}

/// A body that never returns compiles without an `unreachable_code` warning from the
/// check of its result (a lab starter's `todo!()`).
#[deny(unreachable_code)]
#[shapes(x: [B, S, D] -> [B, S, D])]
fn not_written_yet(x: &Tensor) -> Tensor {
    let _ = x;
    todo!("the learner writes this")
}

#[test]
#[should_panic(expected = "the learner writes this")]
fn a_body_that_never_returns_compiles_cleanly() {
    let x = Tensor::<(B, S, D)>::ones_in(&sizes![B = 1, S = 1]);
    let _ = not_written_yet(&x);
}

/// Kinds are optional: a dim without one goes anywhere a kind is checked.
#[test]
fn undeclared_kinds_are_accepted_anywhere() {
    dims! { pub X = 1; pub Y = 2; pub Z = 3; pub W = 4; }
    let q = Tensor::<(X, Y, Z, W)>::randn(50);
    let _ = scaled_dot_product_attention(&q, &q, &q, Mask::None);
    assert_eq!(<Y as Dim>::Kind::default_name(), "any");
}

trait KindName {
    fn default_name() -> &'static str;
}
impl<K: kind::Kind> KindName for K {
    fn default_name() -> &'static str {
        K::NAME
    }
}

/// A function generic over its run-time sequence dim splits heads and attends with no extra
/// bound (item 9 of the issue).
fn attend<Sq: Dim>(x: &Tensor<(B, Sq, D)>, wq: &Tensor<(D, D)>) -> Tensor<(B, Sq, D)> {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    scaled_dot_product_attention(&q, &q, &q, Mask::Causal).merge_heads::<D>()
}

#[test]
fn generic_sequence_code_needs_no_bounds() {
    let x = Tensor::<(B, S, D)>::randn_in(60, &sizes![B = 1, S = 3]);
    let y = attend(&x, &Tensor::randn(61));
    assert_eq!(y.describe(), "[B=1, S=3, D=16]");
}

/// The generation test of the issue: prefill 5 tokens, then decode 10 one at a time; each
/// step's attention over the cache equals attention over the whole sequence recomputed from
/// scratch (f64 reference) to 1e-5.
#[test]
fn kv_cache_decoding_equals_full_recompute() {
    let (prefill, steps) = (5, 10);
    let total = prefill + steps;
    // the whole sequence's queries, keys and values, as a model would produce them
    let all = sizes![B = 2, T = total];
    let q_all = Tensor::<(B, H, T, Dh)>::randn_in(70, &all);
    let k_all = Tensor::<(B, Hkv, T, Dh)>::randn_in(71, &all);
    let v_all = Tensor::<(B, Hkv, T, Dh)>::randn_in(72, &all);
    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![B = 2]);
    let mut start = 0;
    for new in std::iter::once(prefill).chain(std::iter::repeat_n(1, steps)) {
        let q = q_all.narrow::<2, S>(start, new);
        let k = k_all.narrow::<2, S>(start, new);
        let v = v_all.narrow::<2, S>(start, new);
        let (keys, values) = cache.append::<S, T>(&k, &v).expect("fits in the cache");
        assert_eq!(
            keys.describe(),
            format!("[B=2, Hkv=2, T={}, Dh=4]", start + new)
        );
        let out = grouped_query_attention(&q, keys, values, Mask::Causal);
        // reference: the full causal attention over every position so far, rows start..
        let seen = start + new;
        let k_seen = k_all.narrow::<2, T>(0, seen);
        let v_seen = v_all.narrow::<2, T>(0, seen);
        let full = common::attention(
            &to_f64(q_all.narrow::<2, T>(0, seen).as_slice()),
            &to_f64(k_seen.as_slice()),
            &to_f64(v_seen.as_slice()),
            (2, 4, 2, seen, seen, 4, 4),
            RefMask::TopLeft,
        );
        let mut want = Vec::new();
        for bh in 0..2 * 4 {
            want.extend_from_slice(&full[(bh * seen + start) * 4..(bh * seen + seen) * 4]);
        }
        assert_close(out.as_slice(), &want, 1e-5);
        start = seen;
    }
    assert_eq!(cache.len(), total);
}

#[test]
fn a_full_cache_is_an_error_that_changes_nothing() {
    dims! { pub Small: Sequence = 4; }
    let mut cache = KvCache::<B, Hkv, Small, Dh>::new(&sizes![B = 1]);
    let three = Tensor::<(B, Hkv, S, Dh)>::ones_in(&sizes![B = 1, S = 3]);
    cache.append::<S, T>(&three, &three).expect("works");
    let err = cache.append::<S, T>(&three, &three).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "cannot append 3 positions (`S`) to a KV cache holding 3 of its `Small` = 4: 6 > 4"
    );
    assert_eq!(cache.len(), 3);
    let other_batch = Tensor::<(B, Hkv, S, Dh)>::ones_in(&sizes![B = 2, S = 1]);
    let err = cache
        .append::<S, T>(&other_batch, &other_batch)
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "`B` is 1 in the KV cache but 2 in the new keys"
    );
    let short = Tensor::<(B, Hkv, S, Dh)>::ones_in(&sizes![B = 1, S = 0]);
    let err = cache.append::<S, T>(&three, &short).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "the new keys have 3 positions (`S`) but the new values 0"
    );
    // a compile-time length that is not the cache's
    dims! { pub Seven = 7; }
    let err = cache.keys::<Seven>().expect_err("fails");
    assert_eq!(
        err.to_string(),
        "the KV cache holds 3 positions, but `Seven` is 7 by its declaration; name the length with a run-time dim (`Seven = dyn`)"
    );
}

/// `?` inside an annotated function: the error passes through, an `Ok` result is checked.
#[shapes(x: [B, S, D] -> [B, S, D])]
fn fallible(x: &Tensor, fail: bool) -> Result<Tensor, ShapeError> {
    if fail {
        Tensor::<(B, S, D)>::from_vec_in(vec![], &x.bound())?;
    }
    Ok(x.clone())
}

/// An `async fn` binds its parameters (its result is not wrapped).
#[shapes(x: [B, S, D] -> [B, S, D])]
async fn later(x: &Tensor) -> Tensor {
    x.clone()
}

/// A method whose receiver is annotated.
struct Cached {
    x: Tensor<(B, S, D)>,
}

impl Cached {
    #[shapes(other: [B, S, D] -> [B, S, D])]
    fn plus(&self, other: &Tensor) -> Tensor {
        let mut out = self.x.clone();
        for (o, v) in out.as_mut_slice().iter_mut().zip(other.as_slice()) {
            *o += *v;
        }
        out
    }
}

#[test]
fn question_marks_async_and_methods_bind_too() {
    let x = Tensor::<(B, S, D)>::ones_in(&sizes![B = 1, S = 2]);
    assert!(fallible(&x, false).is_ok());
    assert_eq!(
        fallible(&x, true).expect_err("fails").to_string(),
        "shape [B=1, S=2, D=16] holds 32 elements, but 0 values were given"
    );
    let _future = later(&x);
    let c = Cached { x: x.clone() };
    assert_eq!(c.plus(&x).get(&[0, 1, 3]), Some(2.0));
}

/// An additive bias `(S, T)` with a causal mask, fused and op by op, against the reference.
#[test]
fn additive_bias_matches_the_reference() {
    let (s, t) = (3, 5);
    let q = Tensor::<(B, H, S, Dh), f64>::randn_in(80, &sizes![B = 2, S = s]);
    let k = Tensor::<(B, H, T, Dh), f64>::randn_in(81, &sizes![B = 2, T = t]);
    let v = Tensor::<(B, H, T, Dh), f64>::randn_in(82, &sizes![B = 2, T = t]);
    let bias = Tensor::<(S, T), f64>::randn_in(83, &sizes![S = s, T = t]);
    let fused = infralens::attention_with_bias(&q, &k, &v, &bias, Mask::Causal);
    let ops = q
        .matmul(&k.t())
        .scale(0.5)
        .add_bias(&bias)
        .masked(Mask::Causal)
        .softmax()
        .matmul(&v);
    // reference: every (batch, head) by hand
    let mut want = vec![0.0; 2 * 4 * s * 4];
    for bh in 0..2 * 4 {
        for i in 0..s {
            let scores: Vec<f64> = (0..t)
                .map(|j| {
                    if j > i + t - s {
                        return f64::NEG_INFINITY;
                    }
                    let dot: f64 = (0..4)
                        .map(|d| {
                            q.as_slice()[(bh * s + i) * 4 + d] * k.as_slice()[(bh * t + j) * 4 + d]
                        })
                        .sum();
                    dot * 0.5 + bias.as_slice()[i * t + j]
                })
                .collect();
            let p = common::softmax(&scores, t);
            for e in 0..4 {
                want[(bh * s + i) * 4 + e] = (0..t)
                    .map(|j| p[j] * v.as_slice()[(bh * t + j) * 4 + e])
                    .sum();
            }
        }
    }
    assert_close(fused.as_slice(), &want, 1e-12);
    assert_close(ops.as_slice(), &want, 1e-12);
}

#[test]
#[should_panic(expected = "shape mismatch in add_bias: `T` is 5 in the scores but 4 in the bias")]
fn a_bias_of_another_length_is_named() {
    let scores = Tensor::<(S, T)>::zeros_in(&sizes![S = 2, T = 5]);
    let bias = Tensor::<(S, T)>::zeros_in(&sizes![S = 2, T = 4]);
    let _ = scores.add_bias(&bias);
}

/// A model whose widths all come from its config: `D`, `H`, `Hkv`, `Dh` run-time dims,
/// their relations checked when the ops run.
#[test]
fn run_time_model_widths() {
    dims! {
        pub Dm: ModelWidth = dyn;
        pub Hq: Heads = dyn;
        pub Hk: Heads = dyn;
        pub W: HeadWidth = dyn;
    }
    let config = sizes![B = 1, S = 3, Dm = 16, Hq = 4, Hk = 2, W = 4];
    let x = Tensor::<(B, S, Dm)>::randn_in(90, &config);
    let q = x.split_heads_in::<Hq, W>(&config);
    let kv = Tensor::<(B, Hk, S, W)>::randn_in(91, &config);
    let gqa = grouped_query_attention(&q, &kv, &kv, Mask::Causal);
    let mha = scaled_dot_product_attention(
        &q,
        &kv.repeat_kv_in::<Hq>(&config),
        &kv.repeat_kv_in::<Hq>(&config),
        Mask::Causal,
    );
    assert_close(gqa.as_slice(), &to_f64(mha.as_slice()), 1e-6);
    assert_eq!(gqa.merge_heads::<Dm>().describe(), "[B=1, S=3, Dm=16]");
    let rope =
        infralens::Rope::<T, W>::new(1e4, infralens::RopeStyle::Halves, &sizes![T = 8, W = 4]);
    assert_eq!(q.rope(&rope, 2).describe(), "[B=1, Hq=4, S=3, W=4]");
}

#[test]
#[should_panic(
    expected = "shape mismatch in split_heads: `Hq` × `W` must equal `Dm`, but 4 × 3 ≠ 16"
)]
fn run_time_partition_is_checked() {
    dims! { pub Dm = dyn; pub Hq = dyn; pub W = dyn; }
    let config = sizes![B = 1, S = 1, Dm = 16, Hq = 4, W = 3];
    let _ = Tensor::<(B, S, Dm)>::zeros_in(&config).split_heads_in::<Hq, W>(&config);
}

#[test]
#[should_panic(
    expected = "shape mismatch in attention: `Hk` = 3 key/value heads must divide `Hq` = 4 query heads"
)]
fn run_time_groups_are_checked() {
    dims! { pub Hq: Heads = dyn; pub Hk: Heads = dyn; }
    let config = sizes![B = 1, S = 1, Hq = 4, Hk = 3];
    let q = Tensor::<(B, Hq, S, Dh)>::zeros_in(&config);
    let kv = Tensor::<(B, Hk, S, Dh)>::zeros_in(&config);
    let _ = grouped_query_attention(&q, &kv, &kv, Mask::None);
}

/// Edges that once gave a wrong answer silently: ids whose shape's element count wraps to 0
/// are refused, and a sliding window wider than any sequence hides no key (issue 27).
#[test]
fn wrapping_id_shapes_and_huge_windows_are_handled() {
    let huge = sizes![B = 1 << 33, S = 1 << 31];
    let err = infralens::Ids::<(B, S)>::from_vec_in(vec![], &huge).expect_err("refused");
    assert!(
        err.to_string().contains("no tensor can be that large"),
        "{err}"
    );
    let all = Mask::sliding_window(usize::MAX);
    assert_eq!(all.visible(0, 3, 4, 4), 0..4);
    assert_eq!(all.visible(0, 0, 1, 7), 0..7);
}

/// A RoPE table too large for any program is a panic naming the sizes, before any
/// allocation (it aborted the process before).
#[test]
#[should_panic(
    expected = "rope: a table of `T` = 18446744073709551615 positions for heads of width `Dh` = 4"
)]
fn a_rope_table_too_large_to_hold_names_its_sizes() {
    let _ = infralens::Rope::<T, Dh>::new(
        10_000.0,
        infralens::RopeStyle::Halves,
        &sizes![T = usize::MAX],
    );
}

/// A table under the size limit but past any memory (2^56 positions of width 4: 2^59 bytes a
/// table, past even 57-bit address spaces) is a panic naming the sizes, where it aborted the
/// process before (issue 27).
#[test]
#[should_panic(expected = "does not fit in memory; check the sizes")]
fn a_rope_table_past_memory_is_a_panic_not_an_abort() {
    let _ = infralens::Rope::<T, Dh>::new(
        10_000.0,
        infralens::RopeStyle::Halves,
        &sizes![T = 1usize << 56],
    );
}

/// `theta` = 0 made every angle NaN; it is refused by name (issue 27).
#[test]
fn rope_theta_and_norm_eps_are_validated() {
    for theta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let panic = std::panic::catch_unwind(|| {
            infralens::Rope::<T, Dh>::new(theta, infralens::RopeStyle::Halves, &sizes![T = 4])
        })
        .expect_err("refused");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("rope: `theta` = "), "{message}");
    }
    for eps in [-1e-5f32, f32::NAN, f32::INFINITY] {
        let panic = std::panic::catch_unwind(|| {
            infralens::layers::RmsNorm::new(Tensor::<(Dh,)>::ones(), eps)
        })
        .expect_err("refused");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("RmsNorm: `eps` = "), "{message}");
        let panic = std::panic::catch_unwind(|| {
            infralens::layers::LayerNorm::new(Tensor::<(Dh,)>::ones(), Tensor::zeros(), eps)
        })
        .expect_err("refused");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("LayerNorm: `eps` = "), "{message}");
    }
    // 0 is a valid eps (the tests of the norms use it).
    let _ = infralens::layers::RmsNorm::new(Tensor::<(Dh,)>::ones(), 0.0);
}
