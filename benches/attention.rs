//! The attention block — Q/K/V projections, head split, `scaled_dot_product_attention`
//! (scores, fused scale + softmax, `P·V`), merge, output projection — typed, against the
//! same computation written by hand over the same kernels with run-time `usize` sizes.
//!
//! `cargo bench -p infralens-benches --bench attention` prints, from one run, side by side:
//! - the zero-cost ratio typed / untyped (target ≤ 1.02), single-threaded, for the block
//!   with compile-time sizes and for the same block with run-time `B` and `S` (an annotated
//!   `#[shapes]` function, so its per-call bindings are in the time);
//! - the typed block's effective throughput, `8·S·D² + 4·S²·D` FLOPs per forward, on 1
//!   thread (target ≥ 80 GFLOP/s) and on 2.

use criterion::{Criterion, Throughput};
use infralens::__private::kernels::{
    attention::{AttentionSizes, MaskRows, attention},
    gemm::{Strided, gemm_par},
    permute::swap_axes,
};
use infralens::prelude::*;
use infralens::threads::set_num_threads;
use std::hint::black_box;
use std::time::Instant;

dims! {
    pub B = 1;
    pub S = 512;
    pub D = 1024;
    pub H = 16;
    pub Dh = D / H;
    /// The batch in use, known at run time.
    pub Br: Batch = dyn;
    /// The sequence, known at run time.
    pub Sr: Sequence = dyn;
}

/// The typed block with run-time batch and sequence, annotated: each call binds `Br` and
/// `Sr` from `x` and checks the result against them.
#[shapes(x: [Br, Sr, D], wq: [D, D], wk: [D, D], wv: [D, D], wo: [D, D] -> [Br, Sr, D])]
fn typed_run_time(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor, wo: &Tensor) -> Tensor {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<H, Dh>();
    let v = x.matmul(wv).split_heads::<H, Dh>();
    let ctx = scaled_dot_product_attention(&q, &k, &v, Mask::None);
    ctx.merge_heads::<D>().matmul(wo)
}

/// The typed block.
fn typed(
    x: &Tensor<(B, S, D)>,
    wq: &Tensor<(D, D)>,
    wk: &Tensor<(D, D)>,
    wv: &Tensor<(D, D)>,
    wo: &Tensor<(D, D)>,
) -> Tensor<(B, S, D)> {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<H, Dh>();
    let v = x.matmul(wv).split_heads::<H, Dh>();
    let ctx = scaled_dot_product_attention(&q, &k, &v, Mask::None);
    ctx.merge_heads::<D>().matmul(wo)
}

/// Sizes known only at run time.
#[derive(Clone, Copy)]
struct Dims {
    b: usize,
    s: usize,
    d: usize,
    h: usize,
}

fn project(x: &[f32], w: &[f32], rows: usize, d: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows * d];
    let row_major = |data, cols| Strided {
        data,
        row_stride: cols,
        col_stride: 1,
    };
    gemm_par(
        (rows, d, d),
        1.0,
        row_major(x, d),
        row_major(w, d),
        0.0,
        &mut out,
    );
    out
}

/// The same block over the same kernels, untyped.
fn untyped(x: &[f32], wq: &[f32], wk: &[f32], wv: &[f32], wo: &[f32], n: Dims) -> Vec<f32> {
    let Dims { b, s, d, h } = n;
    let dh = d / h;
    let heads = |w| swap_axes(&project(x, w, b * s, d), &[b, s, h, dh], 1, 2);
    let (q, k, v) = (heads(wq), heads(wk), heads(wv));
    let mut ctx = vec![0.0; b * h * s * dh];
    let sizes = AttentionSizes {
        b,
        h,
        hkv: h,
        s,
        t: s,
        dh,
        dv: dh,
        k_stride: s,
        v_stride: s,
    };
    let no_mask = MaskRows::default();
    attention(
        sizes,
        &q,
        &k,
        &v,
        (no_mask, None),
        1.0 / (dh as f32).sqrt(),
        &mut ctx,
    );
    let merged = swap_axes(&ctx, &[b, h, s, dh], 1, 2);
    project(&merged, wo, b * s, d)
}

/// Seconds one call of `f` takes.
fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn block(c: &mut Criterion) {
    let x = Tensor::<(B, S, D)>::randn(0);
    let [wq, wk, wv, wo] = [1, 2, 3, 4].map(|seed| Tensor::<(D, D)>::randn(seed).scale(0.03));
    let n = Dims {
        b: B::SIZE,
        s: S::SIZE,
        d: D::SIZE,
        h: H::SIZE,
    };
    let (s, d) = (S::SIZE as f64, D::SIZE as f64);
    let flops = 8.0 * s * d * d + 4.0 * s * s * d;

    let run_typed = || typed(&x, &wq, &wk, &wv, &wo);
    let x_run_time =
        Tensor::<(Br, Sr, D)>::from_vec_in(x.to_vec(), &sizes![Br = B::SIZE, Sr = S::SIZE])
            .expect("same sizes");
    let run_typed_run_time = || typed_run_time(&x_run_time, &wq, &wk, &wv, &wo);
    let run_untyped = || {
        untyped(
            x.as_slice(),
            wq.as_slice(),
            wk.as_slice(),
            wv.as_slice(),
            wo.as_slice(),
            n,
        )
    };

    // The two compute the same numbers.
    set_num_threads(1);
    assert_eq!(
        run_typed().as_slice(),
        &run_untyped()[..],
        "typed and untyped differ"
    );
    assert_eq!(
        run_typed_run_time().as_slice(),
        &run_untyped()[..],
        "typed with run-time sizes and untyped differ"
    );

    let mut group = c.benchmark_group("attention block B=1 S=512 D=1024 H=16");
    group.throughput(Throughput::Elements(flops as u64));
    group.sample_size(20);
    group.bench_function("typed, 1 thread", |bench| {
        set_num_threads(1);
        bench.iter(|| black_box(run_typed()))
    });
    group.bench_function("typed, run-time B and S, 1 thread", |bench| {
        set_num_threads(1);
        bench.iter(|| black_box(run_typed_run_time()))
    });
    group.bench_function("untyped, 1 thread", |bench| {
        set_num_threads(1);
        bench.iter(|| black_box(run_untyped()))
    });
    group.bench_function("typed, 2 threads", |bench| {
        set_num_threads(2);
        bench.iter(|| black_box(run_typed()))
    });
    group.finish();

    // The ratios, from medians measured interleaved (typed, untyped, typed, …) so that
    // the machine's drift hits both alike.
    set_num_threads(1);
    let (mut t_typed, mut t_run_time, mut t_untyped) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        t_typed.push(seconds(|| {
            black_box(run_typed());
        }));
        t_run_time.push(seconds(|| {
            black_box(run_typed_run_time());
        }));
        t_untyped.push(seconds(|| {
            black_box(run_untyped());
        }));
    }
    let (typed_1, run_time_1, untyped_1) = (median(t_typed), median(t_run_time), median(t_untyped));
    set_num_threads(2);
    let typed_2 = median(
        (0..15)
            .map(|_| {
                seconds(|| {
                    black_box(run_typed());
                })
            })
            .collect(),
    );
    println!(
        "\nattention block, B=1 S=512 D=1024 H=16, f32, {:.2} GFLOP per forward (medians of 15):",
        flops / 1e9
    );
    println!(
        "  zero-cost: typed {:.1} ms / untyped {:.1} ms = {:.3} (target ≤ 1.02)",
        typed_1 * 1e3,
        untyped_1 * 1e3,
        typed_1 / untyped_1
    );
    println!(
        "  zero-cost, run-time B and S (#[shapes] bindings included): typed {:.1} ms / untyped {:.1} ms = {:.3} (target ≤ 1.02)",
        run_time_1 * 1e3,
        untyped_1 * 1e3,
        run_time_1 / untyped_1
    );
    println!(
        "  throughput: {:.1} GFLOP/s on 1 thread (target ≥ 80), {:.1} GFLOP/s on 2 threads ({:.1} ms)",
        flops / typed_1 / 1e9,
        flops / typed_2 / 1e9,
        typed_2 * 1e3
    );
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::block);
}
criterion::criterion_main!(group::benches);
