//! The attention block in InfraLens and in candle-core (CPU), f32, timed side by side in
//! one process, interleaved, medians of 15; run once per thread count.
//!
//! `cargo run --release --manifest-path perf/candle-compare/Cargo.toml`
//!
//! The parent process re-runs itself with `RAYON_NUM_THREADS` (candle) and
//! `INFRALENS_THREADS` set to 1 and to 2, and prints the ratios.

use candle_core::{Device, Tensor as CTensor};
use infralens::prelude::*;
use std::hint::black_box;
use std::time::Instant;

type R<T> = candle_core::Result<T>;

mod mha {
    use infralens::prelude::*;
    dims! { pub B = 1; pub S = 512; pub D = 1024; pub H = 16; pub Dh = D / H; }
}

mod gqa {
    use infralens::prelude::*;
    dims! { pub B = 1; pub S = 128; pub D = 4096; pub H = 32; pub Hkv = 8; pub Dh = D / H; pub Dkv = Hkv * Dh; }
}

fn mha_infralens(
    x: &Tensor<(mha::B, mha::S, mha::D)>,
    w: &[Tensor<(mha::D, mha::D)>; 4],
) -> Tensor<(mha::B, mha::S, mha::D)> {
    use mha::*;
    let q = x.matmul(&w[0]).split_heads::<H, Dh>();
    let k = x.matmul(&w[1]).split_heads::<H, Dh>();
    let v = x.matmul(&w[2]).split_heads::<H, Dh>();
    let ctx = scaled_dot_product_attention(&q, &k, &v, Mask::None);
    ctx.merge_heads::<D>().matmul(&w[3])
}

fn gqa_infralens(
    x: &Tensor<(gqa::B, gqa::S, gqa::D)>,
    wq: &Tensor<(gqa::D, gqa::D)>,
    wk: &Tensor<(gqa::D, gqa::Dkv)>,
    wv: &Tensor<(gqa::D, gqa::Dkv)>,
    wo: &Tensor<(gqa::D, gqa::D)>,
) -> Tensor<(gqa::B, gqa::S, gqa::D)> {
    use gqa::*;
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<Hkv, Dh>();
    let v = x.matmul(wv).split_heads::<Hkv, Dh>();
    let ctx = grouped_query_attention(&q, &k, &v, Mask::None);
    ctx.merge_heads::<D>().matmul(wo)
}

/// The block as candle code is usually written: 2-D projections, `reshape`/`transpose`/
/// `contiguous` for the heads, `candle_nn::ops::softmax_last_dim`, K/V heads repeated with
/// `expand` for GQA.
#[allow(clippy::too_many_arguments)]
fn candle_block(
    x: &CTensor,
    wq: &CTensor,
    wk: &CTensor,
    wv: &CTensor,
    wo: &CTensor,
    (s, d, h, hkv): (usize, usize, usize, usize),
) -> R<CTensor> {
    let dh = d / h;
    let heads = |w: &CTensor, n: usize| -> R<CTensor> {
        x.matmul(w)?.reshape((1, s, n, dh))?.transpose(1, 2)?.contiguous()
    };
    let q = heads(wq, h)?;
    let (mut k, mut v) = (heads(wk, hkv)?, heads(wv, hkv)?);
    if hkv != h {
        let rep = |t: CTensor| -> R<CTensor> {
            t.unsqueeze(2)?
                .expand((1, hkv, h / hkv, s, dh))?
                .reshape((1, h, s, dh))
        };
        k = rep(k)?;
        v = rep(v)?;
    }
    let scores = q.matmul(&k.t()?)?.affine(1.0 / (dh as f64).sqrt(), 0.0)?;
    let p = candle_nn::ops::softmax_last_dim(&scores)?;
    let ctx = p.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((s, d))?;
    ctx.matmul(wo)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `a` and `b` interleaved: (median of a, median of b), seconds.
fn side_by_side(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    a();
    b();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        a();
        ta.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        b();
        tb.push(t.elapsed().as_secs_f64());
    }
    (median(ta), median(tb))
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn measure(threads: &str) -> R<()> {
    let dev = Device::Cpu;
    {
        use mha::*;
        let x = Tensor::<(B, S, D)>::randn(0);
        let w = [1, 2, 3, 4].map(|i| Tensor::<(D, D)>::randn(i).scale(0.03));
        let cx = CTensor::from_slice(x.as_slice(), (S::SIZE, D::SIZE), &dev)?;
        let cw: Vec<CTensor> = w
            .iter()
            .map(|w| CTensor::from_slice(w.as_slice(), (D::SIZE, D::SIZE), &dev))
            .collect::<R<_>>()?;
        let dims = (S::SIZE, D::SIZE, H::SIZE, H::SIZE);
        let ours = mha_infralens(&x, &w);
        let theirs = candle_block(&cx, &cw[0], &cw[1], &cw[2], &cw[3], dims)?.flatten_all()?.to_vec1::<f32>()?;
        let diff = max_diff(ours.as_slice(), &theirs);
        let (ti, tc) = side_by_side(
            || {
                black_box(mha_infralens(&x, &w));
            },
            || {
                black_box(candle_block(&cx, &cw[0], &cw[1], &cw[2], &cw[3], dims).ok());
            },
        );
        let (s, d) = (S::SIZE as f64, D::SIZE as f64);
        let flops = 8.0 * s * d * d + 4.0 * s * s * d;
        println!(
            "MHA B=1 S=512 D=1024 H=16, {threads} thread(s): infralens {:.1} ms ({:.1} GFLOP/s), candle {:.1} ms ({:.1} GFLOP/s); infralens/candle = {:.3} (max |diff| {diff:.1e})",
            ti * 1e3,
            flops / ti / 1e9,
            tc * 1e3,
            flops / tc / 1e9,
            ti / tc
        );
    }
    {
        use gqa::*;
        let x = Tensor::<(B, S, D)>::randn(0);
        let wq = Tensor::<(D, D)>::randn(1).scale(0.015);
        let wk = Tensor::<(D, Dkv)>::randn(2).scale(0.015);
        let wv = Tensor::<(D, Dkv)>::randn(3).scale(0.015);
        let wo = Tensor::<(D, D)>::randn(4).scale(0.015);
        let c = |t: &[f32], r, c| CTensor::from_slice(t, (r, c), &dev);
        let cx = c(x.as_slice(), S::SIZE, D::SIZE)?;
        let cq = c(wq.as_slice(), D::SIZE, D::SIZE)?;
        let ck = c(wk.as_slice(), D::SIZE, Dkv::SIZE)?;
        let cv = c(wv.as_slice(), D::SIZE, Dkv::SIZE)?;
        let co = c(wo.as_slice(), D::SIZE, D::SIZE)?;
        let dims = (S::SIZE, D::SIZE, H::SIZE, Hkv::SIZE);
        let ours = gqa_infralens(&x, &wq, &wk, &wv, &wo);
        let theirs = candle_block(&cx, &cq, &ck, &cv, &co, dims)?.flatten_all()?.to_vec1::<f32>()?;
        let diff = max_diff(ours.as_slice(), &theirs);
        let (ti, tc) = side_by_side(
            || {
                black_box(gqa_infralens(&x, &wq, &wk, &wv, &wo));
            },
            || {
                black_box(candle_block(&cx, &cq, &ck, &cv, &co, dims).ok());
            },
        );
        let (s, d, dkv) = (S::SIZE as f64, D::SIZE as f64, Dkv::SIZE as f64);
        let flops = 4.0 * s * d * d + 4.0 * s * d * dkv + 4.0 * s * s * d;
        println!(
            "GQA B=1 S=128 D=4096 H=32 Hkv=8, {threads} thread(s): infralens {:.1} ms ({:.1} GFLOP/s), candle {:.1} ms ({:.1} GFLOP/s); infralens/candle = {:.3} (max |diff| {diff:.1e})",
            ti * 1e3,
            flops / ti / 1e9,
            tc * 1e3,
            flops / tc / 1e9,
            ti / tc
        );
    }
    Ok(())
}

fn main() -> R<()> {
    if let Ok(threads) = std::env::var("INFRALENS_THREADS") {
        return measure(&threads);
    }
    let exe = std::env::current_exe()?;
    for threads in ["1", "2"] {
        let status = std::process::Command::new(&exe)
            .env("INFRALENS_THREADS", threads)
            .env("RAYON_NUM_THREADS", threads)
            .status()?;
        if !status.success() {
            eprintln!("the run with {threads} thread(s) failed");
        }
    }
    Ok(())
}
