//! Every op against a plain f64 reference on seeded data, on every backend: each test is a
//! function generic over the backend, run as `native::name` and (feature `candle`,
//! `cargo test --features candle --test numeric`) `candle::name`.
//!
//! `f32` results must be within `1e-5 · sqrt(K)` of the reference for contraction length
//! `K`; `f64` results within `1e-12`.

mod common;

use common::{RefMask, assert_close, back, f32_tolerance, on, to_f64};
use infralens::prelude::*;
use infralens::relations::HeadsAxis;
use infralens::{Backend, Matrix};

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
    /// Encoder length for cross-attention.
    pub T = 6;
    /// An MLP width.
    pub F = 24;
    /// Key/value heads for GQA.
    pub Hkv = 2;
    /// A wider head count for a larger GQA case.
    pub H8 = 8;
    pub S32 = 32;
    pub T40 = 40;
    pub D64 = 64;
    pub Dh8 = D64 / H8;
}

on_every_backend!(
    projection_matches_reference,
    projection_through_a_transposed_weight_reads_strides,
    few_rows_stream_the_weight,
    batched_scores_match_reference,
    split_and_merge_heads_move_columns_to_heads,
    transpose_and_reshape_keep_every_element,
    softmax_matches_reference_and_sums_to_one,
    softmax_is_stable_for_extreme_logits,
    causal_mask_then_softmax_matches_reference,
    scale_multiplies,
    add_broadcasts_over_the_leading_dims,
    attention_scale_divides_by_the_root_of_the_head_width,
    repeat_kv_reads_the_group_head,
    attention_matches_reference,
    attention_equals_the_ops_it_is_made_of,
    gqa_matches_reference,
    f64_attention_is_exact_to_rounding,
    empty_axes_give_what_the_native_backend_gives,
);

/// An axis of size 0 (a run-time dim): products are empty, attention over no keys gives
/// zero rows, a softmax of nothing is nothing — on every backend, never a panic.
fn empty_axes_give_what_the_native_backend_gives<Bk: Backend>() {
    dims! { pub Sd: Sequence = dyn; pub Td: Sequence = dyn; }
    let x = Tensor::<(Sd, D)>::zeros_in(&sizes![Sd = 0]);
    let y = on::<Bk, _, _>(&x).matmul(&on::<Bk, _, _>(&Tensor::<(D, F)>::randn(1)));
    assert_eq!(y.sizes(), &[0, 24]);
    assert!(y.to_vec().is_empty());
    assert!(y.softmax().to_vec().is_empty());
    let q = Tensor::<(B, H, S, Dh)>::randn(2);
    let k = Tensor::<(B, H, Td, Dh)>::zeros_in(&sizes![Td = 0]);
    let (qb, kb) = (on::<Bk, _, _>(&q), on::<Bk, _, _>(&k));
    let out = scaled_dot_product_attention(&qb, &kb, &kb, Mask::None);
    assert_eq!(out.sizes(), &[2, 4, 4, 4]);
    assert!(out.to_vec().iter().all(|&v| v == 0.0));
    let scores: Tensor<(B, H, S, Td), f32, Bk> = qb.matmul(kb.t());
    assert_eq!(scores.sizes(), &[2, 4, 4, 0]);
}

fn projection_matches_reference<Bk: Backend>() {
    let x = Tensor::<(B, S, D)>::randn(1);
    let w = Tensor::<(D, F)>::randn(2);
    let y = on::<Bk, _, _>(&x).matmul(&on::<Bk, _, _>(&w));
    let want = common::matmul(
        &to_f64(x.as_slice()),
        &to_f64(w.as_slice()),
        1,
        8,
        16,
        24,
        false,
    );
    assert_close(&y.to_vec(), &want, f32_tolerance(16));
    assert_eq!(y.describe(), "[B=2, S=4, F=24]");

    let (x, w) = (
        Tensor::<(B, S, D), f64>::randn(1),
        Tensor::<(D, F), f64>::randn(2),
    );
    assert_close(
        &on::<Bk, _, _>(&x).matmul(&on::<Bk, _, _>(&w)).to_vec(),
        &common::matmul(x.as_slice(), w.as_slice(), 1, 8, 16, 24, false),
        1e-12,
    );
}

fn projection_through_a_transposed_weight_reads_strides<Bk: Backend>() {
    // A PyTorch `nn.Linear` weight is stored (out, in): `x · W^T`.
    let x = Tensor::<(B, S, D)>::randn(3);
    let w_out_in = Tensor::<(F, D)>::randn(4);
    let (xb, wb) = (on::<Bk, _, _>(&x), on::<Bk, _, _>(&w_out_in));
    let y = xb.matmul(&wb.t());
    let w_in_out = common::transpose_last(&to_f64(w_out_in.as_slice()), 1, 24, 16);
    let want = common::matmul(&to_f64(x.as_slice()), &w_in_out, 1, 8, 16, 24, false);
    assert_close(&y.to_vec(), &want, f32_tolerance(16));
    let copied = xb.matmul(&wb.t().to_tensor());
    assert_close(&copied.to_vec(), &want, f32_tolerance(16));
}

/// One row through a weight, the decode case, on both layouts and past the size where the
/// columns are split over threads; a few rows (a short prompt), split the same way; and
/// enough rows to take the GEMM path.
fn few_rows_stream_the_weight<Bk: Backend>() {
    dims! { pub One = 1; pub Three = 3; pub Rows = 12; pub Wide = 1000; }
    let w = Tensor::<(Wide, D)>::randn(7);
    let wb = on::<Bk, _, _>(&w);
    let wt = common::transpose_last(&to_f64(w.as_slice()), 1, 1000, 16);
    let x = Tensor::<(One, D)>::randn(8);
    let want = common::matmul(&to_f64(x.as_slice()), &wt, 1, 1, 16, 1000, false);
    let xb = on::<Bk, _, _>(&x);
    assert_close(&xb.matmul(wb.t()).to_vec(), &want, f32_tolerance(16));
    assert_close(
        &xb.matmul(&wb.t().to_tensor()).to_vec(),
        &want,
        f32_tolerance(16),
    );
    let x = Tensor::<(Three, D)>::randn(10);
    let want = common::matmul(&to_f64(x.as_slice()), &wt, 1, 3, 16, 1000, false);
    assert_close(
        &on::<Bk, _, _>(&x).matmul(wb.t()).to_vec(),
        &want,
        f32_tolerance(16),
    );
    let x = Tensor::<(Rows, D)>::randn(9);
    let want = common::matmul(&to_f64(x.as_slice()), &wt, 1, 12, 16, 1000, false);
    assert_close(
        &on::<Bk, _, _>(&x).matmul(wb.t()).to_vec(),
        &want,
        f32_tolerance(16),
    );
}

fn batched_scores_match_reference<Bk: Backend>() {
    let q = Tensor::<(B, H, S, Dh)>::randn(5);
    let k = Tensor::<(B, H, T, Dh)>::randn(6);
    let (qb, kb) = (on::<Bk, _, _>(&q), on::<Bk, _, _>(&k));
    let scores: Tensor<(B, H, S, T), f32, Bk> = qb.matmul(&kb.t());
    let kt = common::transpose_last(&to_f64(k.as_slice()), 8, 6, 4);
    let want = common::matmul(&to_f64(q.as_slice()), &kt, 8, 4, 4, 6, true);
    assert_close(&scores.to_vec(), &want, f32_tolerance(4));
    // the same through a materialised K^T
    let kt_tensor: Tensor<(B, H, Dh, T), f32, Bk> = kb.t().to_tensor();
    assert_close(&qb.matmul(&kt_tensor).to_vec(), &want, f32_tolerance(4));
    assert_eq!(qb.matmul_flops(kb.t()), 2 * 8 * 4 * 4 * 6);
}

fn split_and_merge_heads_move_columns_to_heads<Bk: Backend>() {
    let x = Tensor::<(B, S, D), f64>::randn(7);
    let xb = on::<Bk, _, _>(&x);
    let qb = xb.split_heads::<H, Dh>();
    let q = back(&qb);
    for b in 0..2 {
        for h in 0..4 {
            for s in 0..4 {
                for d in 0..4 {
                    assert_eq!(
                        q.get(&[b, h, s, d]),
                        x.get(&[b, s, h * 4 + d]),
                        "[{b}, {h}, {s}, {d}]"
                    );
                }
            }
        }
    }
    // the head split is a reshape then a transpose of axes 1 and 2
    let by_parts = xb.clone().reshape::<(B, S, H, Dh)>().transpose::<1, 2>();
    assert_eq!(back(&by_parts), q);
    assert_eq!(back(&qb.merge_heads::<D>()), x);
}

fn transpose_and_reshape_keep_every_element<Bk: Backend>() {
    let x = Tensor::<(B, S, H, Dh)>::randn(8);
    let xb = on::<Bk, _, _>(&x);
    let yb = xb.transpose::<0, 3>();
    assert_eq!(yb.names(), &["Dh", "S", "H", "B"]);
    let y = back(&yb);
    for i in [[1, 2, 3, 0], [0, 0, 1, 3], [1, 3, 2, 1]] {
        assert_eq!(y.get(&[i[3], i[1], i[2], i[0]]), x.get(&i));
    }
    assert_eq!(back(&yb.transpose::<3, 0>()), x);
    let flat = xb.clone().reshape::<(B, S, D)>();
    assert_eq!(flat.to_vec(), x.to_vec());
    assert_eq!(flat.describe(), "[B=2, S=4, D=16]");
}

fn softmax_matches_reference_and_sums_to_one<Bk: Backend>() {
    let z = Tensor::<(B, H, S, T), f64>::randn(9).scale(3.0);
    let p = on::<Bk, _, _>(&z).softmax().to_vec();
    assert_close(&p, &common::softmax(z.as_slice(), 6), 1e-12);
    for row in p.chunks(6) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    let z32 = Tensor::<(B, H, S, T)>::randn(9);
    let p32 = on::<Bk, _, _>(&z32).softmax().to_vec();
    assert_close(&p32, &common::softmax(&to_f64(z32.as_slice()), 6), 1e-6);
    for row in p32.chunks(6) {
        assert!((row.iter().map(|&x| x as f64).sum::<f64>() - 1.0).abs() < 1e-5);
    }
    // A row with every key masked is all zeros, not NaN, on every backend.
    let masked = Tensor::<(S, T)>::from_fn(|i| if i[0] == 1 { f32::NEG_INFINITY } else { 0.5 });
    let p = on::<Bk, _, _>(&masked).softmax().to_vec();
    assert_eq!(&p[6..12], &[0.0; 6]);
    assert!((p[..6].iter().sum::<f32>() - 1.0).abs() < 1e-6);
}

fn softmax_is_stable_for_extreme_logits<Bk: Backend>() {
    let z = Tensor::<(S, T)>::from_fn(|i| if (i[0] + i[1]) % 2 == 0 { 1e4 } else { -1e4 });
    let p = on::<Bk, _, _>(&z).softmax().to_vec();
    assert!(p.iter().all(|x| x.is_finite()));
    for row in p.chunks(6) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}

fn causal_mask_then_softmax_matches_reference<Bk: Backend>() {
    let z = Tensor::<(B, H, S, S), f64>::randn(10);
    let masked = on::<Bk, _, _>(&z).causal_mask();
    let mut want = z.to_vec();
    for (r, row) in want.chunks_mut(4).enumerate() {
        row[r % 4 + 1..].fill(f64::NEG_INFINITY);
    }
    assert_eq!(masked.to_vec(), want);
    assert_close(
        &masked.softmax().to_vec(),
        &common::softmax(&want, 4),
        1e-12,
    );
}

fn scale_multiplies<Bk: Backend>() {
    let x = Tensor::<(S, D), f64>::randn(11);
    let want: Vec<f64> = x.as_slice().iter().map(|v| v * 0.25).collect();
    assert_eq!(on::<Bk, _, _>(&x).scale(0.25).to_vec(), want);
}

fn add_broadcasts_over_the_leading_dims<Bk: Backend>() {
    let x = Tensor::<(B, S, F), f64>::randn(15);
    let bias = Tensor::<(F,), f64>::randn(16);
    let row = Tensor::<(S, F), f64>::randn(17);
    let (xb, bb, rb) = (
        on::<Bk, _, _>(&x),
        on::<Bk, _, _>(&bias),
        on::<Bk, _, _>(&row),
    );
    let at = |i: usize| x.as_slice()[i];
    let want: Vec<f64> = (0..x.numel())
        .map(|i| at(i) + bias.as_slice()[i % 24])
        .collect();
    assert_eq!(xb.add(&bb).to_vec(), want);
    assert_eq!((&xb + &bb).to_vec(), want);
    let want: Vec<f64> = (0..x.numel())
        .map(|i| at(i) - row.as_slice()[i % 96])
        .collect();
    assert_eq!(xb.sub(&rb).to_vec(), want);
    let want: Vec<f64> = (0..x.numel())
        .map(|i| at(i) * bias.as_slice()[i % 24])
        .collect();
    assert_eq!((&xb * &bb).to_vec(), want);
}

fn attention_scale_divides_by_the_root_of_the_head_width<Bk: Backend>() {
    let q = Tensor::<(B, H, S, Dh), f64>::randn(13);
    let qb = on::<Bk, _, _>(&q);
    let dh = Dh::SIZE as f64;
    let want: Vec<f64> = q.as_slice().iter().map(|v| v / dh.sqrt()).collect();
    common::assert_close(&qb.attention_scale::<Dh>().to_vec(), &want, 1e-15);
    // Scaling the queries scales the scores: (q / sqrt(Dh))·K^T = (q·K^T) / sqrt(Dh).
    let kb = on::<Bk, _, _>(&Tensor::<(B, H, S, Dh), f64>::randn(14));
    let early = qb.attention_scale::<Dh>().matmul(kb.t());
    let late = qb.matmul(kb.t()).scale(1.0 / dh.sqrt());
    common::assert_close(&early.to_vec(), &late.to_vec(), 1e-12);
}

fn repeat_kv_reads_the_group_head<Bk: Backend>() {
    let k = Tensor::<(B, Hkv, S, Dh)>::randn(12);
    let all: Tensor<(B, H, S, Dh), f32, Bk> = on::<Bk, _, _>(&k).repeat_kv::<H>();
    let all = back(&all);
    for b in 0..2 {
        for h in 0..4 {
            for s in 0..4 {
                for d in 0..4 {
                    assert_eq!(all.get(&[b, h, s, d]), k.get(&[b, h / 2, s, d]));
                }
            }
        }
    }
}

fn check_attention<
    Bk: Backend,
    Hq: StaticDim + HeadsAxis<Hq::Kind>,
    Sq: StaticDim,
    Tk: StaticDim,
    W: StaticDim,
>(
    seed: u64,
    mask: Mask,
    reference: RefMask,
) {
    let q = Tensor::<(B, Hq, Sq, W)>::randn(seed);
    let k = Tensor::<(B, Hq, Tk, W)>::randn(seed + 1);
    let v = Tensor::<(B, Hq, Tk, W)>::randn(seed + 2);
    let sizes = (
        B::SIZE,
        Hq::SIZE,
        Hq::SIZE,
        Sq::SIZE,
        Tk::SIZE,
        W::SIZE,
        W::SIZE,
    );
    let want = common::attention(
        &to_f64(q.as_slice()),
        &to_f64(k.as_slice()),
        &to_f64(v.as_slice()),
        sizes,
        reference,
    );
    let (qb, kb, vb) = (on::<Bk, _, _>(&q), on::<Bk, _, _>(&k), on::<Bk, _, _>(&v));
    let out = scaled_dot_product_attention(&qb, &kb, &vb, mask);
    assert_close(&out.to_vec(), &want, f32_tolerance(W::SIZE.max(Tk::SIZE)));
}

fn attention_matches_reference<Bk: Backend>() {
    check_attention::<Bk, H, S, S, Dh>(20, Mask::None, RefMask::None);
    check_attention::<Bk, H, S, S, Dh>(30, Mask::Causal, RefMask::TopLeft); // S = T: both alignments agree
    check_attention::<Bk, H, S, T, Dh>(40, Mask::None, RefMask::None); // cross-attention, S ≠ T
    check_attention::<Bk, H, S, T, Dh>(50, Mask::Causal, RefMask::BottomRight);
    check_attention::<Bk, H, S, T, Dh>(51, Mask::causal_from(0), RefMask::TopLeft);
    check_attention::<Bk, H, S, S, Dh>(54, Mask::CausalTopLeft.mask(), RefMask::TopLeft);
    check_attention::<Bk, H, S, T, Dh>(52, Mask::causal_from(1), RefMask::From(1));
    check_attention::<Bk, H, S, T, Dh>(53, Mask::sliding_window(3), RefMask::Window(3));
    check_attention::<Bk, H8, S32, T40, Dh8>(60, Mask::Causal, RefMask::BottomRight);
    check_attention::<Bk, H8, S32, T40, Dh8>(61, Mask::sliding_window(5), RefMask::Window(5));
    let lengths = [6, 2];
    check_attention::<Bk, H, S, T, Dh>(
        62,
        Mask::None.with_key_lengths(&lengths),
        RefMask::Lengths(&lengths, false),
    );
    check_attention::<Bk, H, S, T, Dh>(
        63,
        Mask::Causal.with_key_lengths(&lengths),
        RefMask::Lengths(&lengths, true),
    );
}

fn attention_equals_the_ops_it_is_made_of<Bk: Backend>() {
    let q = on::<Bk, _, _>(&Tensor::<(B, H, S, Dh)>::randn(70));
    let k = on::<Bk, _, _>(&Tensor::<(B, H, S, Dh)>::randn(71));
    let v = on::<Bk, _, _>(&Tensor::<(B, H, S, Dh)>::randn(72));
    let fused = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
    let p = q
        .matmul(&k.t())
        .scale(1.0 / (Dh::SIZE as f32).sqrt())
        .causal_mask()
        .softmax();
    let by_ops = p.matmul(&v);
    assert_close(&fused.to_vec(), &to_f64(&by_ops.to_vec()), f32_tolerance(4));
}

fn check_gqa<Bk: Backend, Sq: StaticDim, Tk: StaticDim>(seed: u64, mask: Mask, reference: RefMask) {
    let q = Tensor::<(B, H8, Sq, Dh8)>::randn(seed);
    let k = Tensor::<(B, Hkv, Tk, Dh8)>::randn(seed + 1);
    let v = Tensor::<(B, Hkv, Tk, Dh8)>::randn(seed + 2);
    let want = common::attention(
        &to_f64(q.as_slice()),
        &to_f64(k.as_slice()),
        &to_f64(v.as_slice()),
        (B::SIZE, 8, 2, Sq::SIZE, Tk::SIZE, 8, 8),
        reference,
    );
    let tol = f32_tolerance(8.max(Tk::SIZE));
    let (qb, kb, vb) = (on::<Bk, _, _>(&q), on::<Bk, _, _>(&k), on::<Bk, _, _>(&v));
    assert_close(
        &grouped_query_attention(&qb, &kb, &vb, mask).to_vec(),
        &want,
        tol,
    );
    let repeated =
        scaled_dot_product_attention(&qb, &kb.repeat_kv::<H8>(), &vb.repeat_kv::<H8>(), mask);
    assert_close(&repeated.to_vec(), &want, tol);
}

fn gqa_matches_reference<Bk: Backend>() {
    check_gqa::<Bk, S32, S32>(80, Mask::None, RefMask::None);
    check_gqa::<Bk, S32, S32>(90, Mask::Causal, RefMask::TopLeft);
    check_gqa::<Bk, S32, T40>(100, Mask::None, RefMask::None);
    check_gqa::<Bk, S32, T40>(101, Mask::Causal, RefMask::BottomRight);
}

fn f64_attention_is_exact_to_rounding<Bk: Backend>() {
    let q = Tensor::<(B, H, S, Dh), f64>::randn(110);
    let k = Tensor::<(B, H, T, Dh), f64>::randn(111);
    let v = Tensor::<(B, H, T, Dh), f64>::randn(112);
    let (qb, kb, vb) = (on::<Bk, _, _>(&q), on::<Bk, _, _>(&k), on::<Bk, _, _>(&v));
    let out = scaled_dot_product_attention(&qb, &kb, &vb, Mask::Causal);
    let want = common::attention(
        q.as_slice(),
        k.as_slice(),
        v.as_slice(),
        (2, 4, 4, 4, 6, 4, 4),
        RefMask::BottomRight,
    );
    assert_close(&out.to_vec(), &want, 1e-12);
}

#[test]
fn matrix_view_of_shapes() {
    assert_eq!(
        <<(B, H, S, Dh) as Matrix>::Swapped as Shape>::symbolic(),
        "(B, H, Dh, S)"
    );
}
