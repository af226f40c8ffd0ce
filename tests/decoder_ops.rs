//! The ops around attention that a decoder needs — broadcasting element-wise ops, norms,
//! activations, SwiGLU, RoPE, embeddings, chunks, argmax and sampling — each against a
//! plain f64 reference written here from its definition.

mod common;

use common::{assert_close, back, f32_tolerance, on, to_f64};
use infralens::prelude::*;
use infralens::{Backend, Ids, Rope, RopeStyle, Sampler};

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 3;
    pub T: Sequence = dyn;
    pub D: ModelWidth = 8;
    pub H: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub F = 12;
    pub V = 5;
    pub Three = 3;
    pub D3 = Three * D;
    pub MaxPos: Sequence = 16;
}

#[test]
fn broadcasting_matches_the_reference() {
    let x = Tensor::<(B, S, D), f64>::randn(1);
    let bias = Tensor::<(D,), f64>::randn(2);
    let pos = Tensor::<(S, D), f64>::randn(3);
    let res = Tensor::<(B, S, D), f64>::randn(4);
    let (xs, bs, ps, rs) = (
        x.as_slice(),
        bias.as_slice(),
        pos.as_slice(),
        res.as_slice(),
    );
    let want_bias: Vec<f64> = (0..48).map(|i| xs[i] + bs[i % 8]).collect();
    let want_pos: Vec<f64> = (0..48).map(|i| xs[i] - ps[i % 24]).collect();
    let want_res: Vec<f64> = (0..48).map(|i| xs[i] * rs[i]).collect();
    assert_close(x.add(&bias).as_slice(), &want_bias, 0.0);
    assert_close(x.sub(&pos).as_slice(), &want_pos, 0.0);
    assert_close(x.mul(&res).as_slice(), &want_res, 0.0);
    assert_eq!(&x + &bias, x.add(&bias));
    assert_eq!(&x - &pos, x.sub(&pos));
    assert_eq!(&x * &res, x.mul(&res));
}

#[test]
#[should_panic(
    expected = "shape mismatch in add: `T` is 4 in the left operand but 3 in the right operand"
)]
fn broadcasting_run_time_dims_are_checked() {
    let x = Tensor::<(T, D)>::zeros_in(&sizes![T = 4]);
    let pos = Tensor::<(T, D)>::zeros_in(&sizes![T = 3]);
    let _ = x.add(&pos);
}

fn norms_match_the_reference<Bk: Backend>() {
    let x = Tensor::<(B, S, D), f64>::randn(10).scale(3.0);
    let w = Tensor::<(D,), f64>::randn(11);
    let b = Tensor::<(D,), f64>::randn(12);
    let eps = 1e-5;
    let (mut ln, mut rms) = (Vec::new(), Vec::new());
    for row in x.as_slice().chunks(8) {
        let mean = row.iter().sum::<f64>() / 8.0;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 8.0;
        let ms = row.iter().map(|v| v * v).sum::<f64>() / 8.0;
        for (i, v) in row.iter().enumerate() {
            ln.push((v - mean) / (var + eps).sqrt() * w.as_slice()[i] + b.as_slice()[i]);
            rms.push(v / (ms + eps).sqrt() * w.as_slice()[i]);
        }
    }
    let (xb, wb, bb) = (on::<Bk, _, _>(&x), on::<Bk, _, _>(&w), on::<Bk, _, _>(&b));
    assert_close(&xb.layer_norm(&wb, &bb, eps).to_vec(), &ln, 1e-12);
    assert_close(&xb.rms_norm(&wb, eps).to_vec(), &rms, 1e-12);
    // f32 against the same f64 reference
    let x32 = Tensor::<(B, S, D)>::from_vec(x.as_slice().iter().map(|&v| v as f32).collect())
        .expect("48");
    let w32 =
        Tensor::<(D,)>::from_vec(w.as_slice().iter().map(|&v| v as f32).collect()).expect("8");
    let want: Vec<f64> = x32
        .as_slice()
        .chunks(8)
        .flat_map(|row| {
            let ms = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / 8.0;
            row.iter()
                .zip(w32.as_slice())
                .map(move |(&v, &wi)| v as f64 / (ms + eps).sqrt() * wi as f64)
                .collect::<Vec<_>>()
        })
        .collect();
    let got = on::<Bk, _, _>(&x32).rms_norm(&on::<Bk, _, _>(&w32), eps as f32);
    assert_close(&got.to_vec(), &want, 1e-6);
}

/// `erf` by Simpson's rule on `2/√π · e^(-t²)`: slow, independent, accurate to ~1e-13.
fn erf_reference(x: f64) -> f64 {
    let n = 20_000;
    let h = x / n as f64;
    let f = |t: f64| (-t * t).exp();
    let mut sum = f(0.0) + f(x);
    for i in 1..n {
        sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt()
}

fn activations_match_the_reference<Bk: Backend>() {
    let x = Tensor::<(B, S, D), f64>::randn(20).scale(2.5);
    let xs = x.as_slice();
    let gelu: Vec<f64> = xs
        .iter()
        .map(|&v| 0.5 * v * (1.0 + erf_reference(v / 2f64.sqrt())))
        .collect();
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let tanh: Vec<f64> = xs
        .iter()
        .map(|&v| 0.5 * v * (1.0 + (c * (v + 0.044715 * v.powi(3))).tanh()))
        .collect();
    let silu: Vec<f64> = xs.iter().map(|&v| v / (1.0 + (-v).exp())).collect();
    let xb = on::<Bk, _, _>(&x);
    assert_close(&xb.gelu().to_vec(), &gelu, 1e-12);
    assert_close(&xb.gelu_tanh().to_vec(), &tanh, 1e-14);
    assert_close(&xb.silu().to_vec(), &silu, 1e-14);
    // erf's relative error, where it matters most (|x| small and large)
    for v in [1e-6, 0.1, 0.5, 1.0, 2.0, 3.5] {
        let want = erf_reference(v);
        let got = 2.0
            * (on::<Bk, _, _>(&Tensor::<(D,), f64>::from_fn(|_| v * 2f64.sqrt()))
                .gelu()
                .to_vec()[0]
                / (v * 2f64.sqrt()))
            - 1.0;
        assert!(
            ((got - want) / want).abs() < 1e-7,
            "erf({v}): {got} vs {want}"
        );
    }
}

fn swiglu_matches_the_reference<Bk: Backend>() {
    let x = Tensor::<(B, S, D)>::randn(30);
    let wg = Tensor::<(D, F)>::randn(31);
    let wu = Tensor::<(D, F)>::randn(32);
    let (g, u) = (
        common::matmul(
            &to_f64(x.as_slice()),
            &to_f64(wg.as_slice()),
            1,
            6,
            8,
            12,
            false,
        ),
        common::matmul(
            &to_f64(x.as_slice()),
            &to_f64(wu.as_slice()),
            1,
            6,
            8,
            12,
            false,
        ),
    );
    let want: Vec<f64> = g
        .iter()
        .zip(&u)
        .map(|(&g, &u)| g / (1.0 + (-g).exp()) * u)
        .collect();
    let h: Tensor<(B, S, F), f32, Bk> =
        on::<Bk, _, _>(&x).swiglu(&on::<Bk, _, _>(&wg), &on::<Bk, _, _>(&wu));
    assert_close(&h.to_vec(), &want, f32_tolerance(8) * 10.0);
}

/// RoPE from its definition: each lane pair is a complex number multiplied by
/// `e^(i · p · θ^(-2j/Dh))`.
fn rope_reference(
    x: &[f64],
    s: usize,
    dh: usize,
    offset: usize,
    theta: f64,
    interleaved: bool,
) -> Vec<f64> {
    let mut out = x.to_vec();
    let half = dh / 2;
    for (row_index, row) in out.chunks_mut(dh).enumerate() {
        let p = (offset + row_index % s) as f64;
        let src: Vec<f64> = row.to_vec();
        for j in 0..half {
            let angle = p * theta.powf(-2.0 * j as f64 / dh as f64);
            let (a, b) = if interleaved {
                (2 * j, 2 * j + 1)
            } else {
                (j, j + half)
            };
            let (re, im) = (src[a], src[b]);
            row[a] = re * angle.cos() - im * angle.sin();
            row[b] = re * angle.sin() + im * angle.cos();
        }
    }
    out
}

fn rope_matches_the_reference_in_both_conventions<Bk: Backend>() {
    let q = Tensor::<(B, H, S, Dh), f64>::randn(40);
    let qb = on::<Bk, _, _>(&q);
    for (style, interleaved) in [(RopeStyle::Interleaved, true), (RopeStyle::Halves, false)] {
        let rope = Rope::<MaxPos, Dh, f64>::new(10_000.0, style, &sizes![]);
        for offset in [0, 5] {
            let want = rope_reference(q.as_slice(), 3, 4, offset, 10_000.0, interleaved);
            assert_close(&qb.rope(&rope, offset).to_vec(), &want, 1e-12);
        }
    }
    // the two conventions differ (on the same weights): they are not interchangeable
    let a = qb.rope(
        &Rope::<MaxPos, Dh, f64>::new(1e4, RopeStyle::Interleaved, &sizes![]),
        1,
    );
    let b = qb.rope(
        &Rope::<MaxPos, Dh, f64>::new(1e4, RopeStyle::Halves, &sizes![]),
        1,
    );
    assert_ne!(a.to_vec(), b.to_vec());
}

#[test]
#[should_panic(
    expected = "rope out of range: positions 15..18 (`S` = 3 from offset 15), but the table covers `MaxPos` = 16 positions"
)]
fn rope_past_its_table_names_the_sizes() {
    let rope = Rope::<MaxPos, Dh>::new(1e4, RopeStyle::Halves, &sizes![]);
    let _ = Tensor::<(B, H, S, Dh)>::zeros().rope(&rope, 15);
}

fn embedding_chunk_argmax<Bk: Backend>() {
    let table = Tensor::<(V, D)>::randn(50);
    let tb = on::<Bk, _, _>(&table);
    let ids = Ids::<(B, S)>::from_vec(vec![4, 0, 2, 2, 1, 3]).expect("6 ids");
    let x: Tensor<(B, S, D)> = back(&tb.embedding(&ids).expect("in range"));
    for (n, &id) in ids.as_slice().iter().enumerate() {
        assert_eq!(
            &x.as_slice()[n * 8..(n + 1) * 8],
            &table.as_slice()[id as usize * 8..][..8]
        );
    }
    let bad = Ids::<(B, S)>::from_vec(vec![0, 0, 0, 0, 5, 0]).expect("6 ids");
    assert_eq!(
        tb.embedding(&bad)
            .expect_err("5 is out of range")
            .to_string(),
        "token id 5 (at position 4) is not a row of the embedding table: `V` = 5, ids go from 0 to 4"
    );
    let qkv = Tensor::<(B, S, D3)>::randn(51);
    let parts = on::<Bk, _, _>(&qkv).chunk::<Three, D>();
    assert_eq!(parts.len(), 3);
    for (p, part) in parts.iter().enumerate() {
        let part = part.to_vec();
        for r in 0..6 {
            assert_eq!(
                &part[r * 8..(r + 1) * 8],
                &qkv.as_slice()[r * 24 + p * 8..][..8]
            );
        }
    }
    let logits = Tensor::<(S, V)>::from_vec(vec![
        0.0,
        1.0,
        2.0,
        3.0,
        4.0, //
        9.0,
        1.0,
        9.0,
        3.0,
        4.0, //
        f32::NAN,
        1.0,
        2.0,
        -3.0,
        0.0,
    ])
    .expect("15");
    assert_eq!(on::<Bk, _, _>(&logits).argmax(), vec![4, 0, 2]);
}

/// Seeded sampling draws each token as often as its probability says.
fn sampling_follows_the_distribution<Bk: Backend>() {
    let native = Tensor::<(V,), f64>::from_vec(vec![1.0, 2.0, 0.5, 2.0, -1.0]).expect("5");
    let logits = on::<Bk, _, _>(&native);
    let probs = {
        let e: Vec<f64> = native.as_slice().iter().map(|x| x.exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|x| x / s).collect::<Vec<_>>()
    };
    let mut sampler = Sampler::new(7);
    let n = 40_000;
    let mut counts = [0usize; 5];
    for _ in 0..n {
        counts[sampler.sample(&logits)[0] as usize] += 1;
    }
    for (c, p) in counts.iter().zip(&probs) {
        assert!(
            (*c as f64 / n as f64 - p).abs() < 0.01,
            "{counts:?} vs {probs:?}"
        );
    }
    // top-k = 2 keeps tokens 1 and 3 only; top-p = 0.5 keeps the first of them only
    let mut top_k = Sampler::new(8).top_k(2);
    assert!((0..1000).all(|_| matches!(top_k.sample(&logits)[0], 1 | 3)));
    let mut top_p = Sampler::new(9).top_p(0.3);
    assert!((0..1000).all(|_| top_p.sample(&logits)[0] == 1));
    // the same seed, the same tokens
    let draw = |seed| {
        let mut s = Sampler::new(seed).temperature(0.7);
        (0..20).map(|_| s.sample(&logits)[0]).collect::<Vec<_>>()
    };
    assert_eq!(draw(3), draw(3));
}

/// The ops and layers the reference tests above do not cover, on backend `Bk` against the
/// native backend (itself checked against f64 references): additive biases and masks with key
/// lengths, `softmax_over`, `chunk_array`, `split_last`/`merge_last`, `at_positions`, and
/// every layer moved with `to_backend`.
fn the_other_ops_and_the_layers_agree_with_the_native_backend<Bk: Backend>() {
    use infralens::layers::{Embedding, LayerNorm, Linear, RmsNorm, SwiGlu};
    use infralens::{Mask, attention_with_bias};
    let same = |a: Vec<f64>, b: Vec<f64>, what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-12, "{what}: {worst:e}");
    };
    let q = Tensor::<(B, H, S, Dh), f64>::randn(60);
    let k = Tensor::<(B, H, S, Dh), f64>::randn(61);
    let bias =
        Tensor::<(S, S), f64>::from_fn(|i| if i[1] > i[0] { f64::NEG_INFINITY } else { 0.1 });
    let (qb, kb, bb) = (
        on::<Bk, _, _>(&q),
        on::<Bk, _, _>(&k),
        on::<Bk, _, _>(&bias),
    );
    let want = attention_with_bias(&q, &k, &k, &bias, Mask::None).to_vec();
    same(
        attention_with_bias(&qb, &kb, &kb, &bb, Mask::None).to_vec(),
        want,
        "attention_with_bias",
    );
    let scores = q.matmul(&k.t());
    let sb = qb.matmul(&kb.t());
    same(
        sb.add_bias(&bb).to_vec(),
        scores.add_bias(&bias).to_vec(),
        "add_bias",
    );
    let lengths = [3, 2];
    let mask = Mask::Causal.with_key_lengths(&lengths);
    same(
        sb.masked(mask).softmax().to_vec(),
        scores.masked(mask).softmax().to_vec(),
        "masked",
    );
    same(
        sb.softmax_over::<S>().to_vec(),
        scores.softmax_over::<S>().to_vec(),
        "softmax_over",
    );

    let x = Tensor::<(B, S, D3), f64>::randn(62);
    let xb = on::<Bk, _, _>(&x);
    for (a, b) in x
        .chunk_array::<3, D>()
        .iter()
        .zip(xb.chunk_array::<3, D>().iter())
    {
        same(b.to_vec(), a.to_vec(), "chunk_array");
    }
    let h = Tensor::<(B, S, D), f64>::randn(63);
    let hb = on::<Bk, _, _>(&h);
    let split = hb.clone().split_last::<H, Dh>();
    same(
        split.to_vec(),
        h.clone().split_last::<H, Dh>().to_vec(),
        "split_last",
    );
    same(split.merge_last::<D>().to_vec(), h.to_vec(), "merge_last");
    let wpe = Tensor::<(MaxPos, D), f64>::randn(64);
    let cache = KvCache::<B, H, MaxPos, Dh, f64>::new(&sizes![]);
    let at = cache.positions::<S>(3).expect("fits");
    same(
        on::<Bk, _, _>(&wpe)
            .at_positions(&at)
            .expect("in the table")
            .to_vec(),
        wpe.at_positions(&at).expect("in the table").to_vec(),
        "at_positions",
    );

    // Reading elements, mapping, comparing: on every backend.
    assert_eq!(hb.get(&[1, 2, 7]), h.get(&[1, 2, 7]));
    assert_eq!(hb.get(&[2, 0, 0]), None);
    same(
        hb.map(|v| v * 2.0).to_vec(),
        h.map(|v| v * 2.0).to_vec(),
        "map",
    );
    assert!(hb == on::<Bk, _, _>(&h));
    assert!(hb != hb.scale(2.0));
    same(hb.clone().into_vec(), h.to_vec(), "into_vec");

    let device = Bk::default_device();
    let linear = Linear::<D, F, f64>::new(Tensor::randn(65), Some(Tensor::randn(66)));
    let moved = linear.to_backend::<Bk>(&device).expect("moves");
    same(
        moved.forward(&hb).to_vec(),
        linear.forward(&h).to_vec(),
        "Linear",
    );
    let table = Embedding::<V, D, f64>::new(Tensor::randn(67));
    let ids = Ids::<(B, S)>::from_vec(vec![4, 0, 2, 2, 1, 3]).expect("6 ids");
    let got = table
        .to_backend::<Bk>(&device)
        .expect("moves")
        .forward(&ids)
        .expect("ids");
    same(
        got.to_vec(),
        table.forward(&ids).expect("ids").to_vec(),
        "Embedding",
    );
    let ln = LayerNorm::<D, f64>::new(Tensor::randn(68), Tensor::randn(69), 1e-5);
    let got = ln.to_backend::<Bk>(&device).expect("moves").forward(&hb);
    same(got.to_vec(), ln.forward(&h).to_vec(), "LayerNorm");
    let rms = RmsNorm::<D, f64>::new(Tensor::randn(70), 1e-6);
    let got = rms.to_backend::<Bk>(&device).expect("moves").forward(&hb);
    same(got.to_vec(), rms.forward(&h).to_vec(), "RmsNorm");
    let mlp = SwiGlu::<D, F, f64>::new(
        Linear::new(Tensor::randn(71), None),
        Linear::new(Tensor::randn(72), None),
        Linear::new(Tensor::randn(73), None),
    );
    let got = mlp.to_backend::<Bk>(&device).expect("moves").forward(&hb);
    same(got.to_vec(), mlp.forward(&h).to_vec(), "SwiGlu");
}

on_every_backend!(
    the_other_ops_and_the_layers_agree_with_the_native_backend,
    norms_match_the_reference,
    activations_match_the_reference,
    swiglu_matches_the_reference,
    rope_matches_the_reference_in_both_conventions,
    embedding_chunk_argmax,
    sampling_follows_the_distribution,
);
