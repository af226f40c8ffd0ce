//! A decoder layer ported op by op onto the public API: the fused cached path, the same by
//! hand over the cache's views, a prefill without a cache, learned positions, and square
//! projections loaded as layers. It compiles and agrees with itself here; `lint_decode_bugs.rs`
//! lints this very file and plants the decode-time bugs that compile into it, one at a time.

use infralens::layers::Linear;
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};
use infralens_models::{Checkpoint, LoadError};

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub C: Sequence = 32;
    pub P: Sequence = 32;
    pub D: ModelWidth = 64;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

/// What a layer keeps between decode steps.
pub struct Cache {
    /// Its keys and values.
    pub kv: KvCache<B, H, C, Dh>,
    /// RoPE's table.
    pub rope: Rope<C, Dh>,
}

/// One attention layer's weights, and GPT-2's learned positions.
pub struct Layer {
    /// `q_proj`.
    pub q: Linear<D, D>,
    /// `k_proj`.
    pub k: Linear<D, D>,
    /// `v_proj`.
    pub v: Linear<D, D>,
    /// `wpe`.
    pub wpe: Tensor<(P, D)>,
}

impl Layer {
    /// Learned positions added to the new rows: the positions the cache hands out.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    pub fn embed_positions(&self, x: &Tensor, cache: &mut Cache) -> Result<Tensor, ShapeError> {
        let s = x.sizes()[1];
        Ok(x.add(&self.wpe.at_positions(&cache.kv.positions::<S>(s)?)?))
    }

    /// The fused path: RoPE by the cache's positions, GQA over its views.
    #[shapes(x: [B, S, D] -> [B, H, S, Dh])]
    pub fn attend(&self, x: &Tensor, cache: &mut Cache) -> Result<Tensor, ShapeError> {
        let at = cache.kv.positions::<S>(x.sizes()[1])?;
        let (q, k) = (
            self.q.forward(x).split_heads::<H, Dh>(),
            self.k.forward(x).split_heads::<H, Dh>(),
        );
        let v = self.v.forward(x).split_heads::<H, Dh>();
        let q = q.rope_at(&cache.rope, &at)?;
        let k = k.rope_at(&cache.rope, &at)?;
        let (keys, values) = cache.kv.append::<S, T>(&k, &v)?;
        Ok(grouped_query_attention(&q, keys, values, Mask::Causal))
    }

    /// The same op by op, reading the cache in place.
    #[shapes(x: [B, S, D] -> [B, H, S, Dh])]
    pub fn attend_by_hand(&self, x: &Tensor, cache: &mut Cache) -> Result<Tensor, ShapeError> {
        let pos = cache.kv.positions::<S>(x.sizes()[1])?;
        let (q, k) = (
            self.q.forward(x).split_heads::<H, Dh>(),
            self.k.forward(x).split_heads::<H, Dh>(),
        );
        let (q, k) = (q.rope_at(&cache.rope, &pos)?, k.rope_at(&cache.rope, &pos)?);
        let v = self.v.forward(x).split_heads::<H, Dh>();
        let (keys, values) = cache.kv.append::<S, T>(&k, &v)?;
        let scores = q.attention_scale::<Dh>().matmul(keys.t());
        let p = scores.masked(Mask::Causal).softmax();
        Ok(p.matmul(values))
    }

    /// Attention over a prompt alone, op by op.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    pub fn prefill_by_hand(&self, x: &Tensor) -> Tensor {
        let heads = |w: &Linear<D, D>| w.forward(x).split_heads::<H, Dh>();
        let (q, k, v) = (heads(&self.q), heads(&self.k), heads(&self.v));
        let scores = q.matmul(&k.t()).scale(1.0 / (Dh::SIZE as f32).sqrt());
        let p = scores.causal_mask().softmax();
        p.matmul(&v).merge_heads::<D>()
    }
}

/// `o_proj`, square `(D, D)`, loaded as the layer it is.
pub fn out_projection(
    ckpt: &Checkpoint,
    o_proj: &str,
    x: &Tensor<(B, S, D)>,
) -> Result<Tensor<(B, S, D)>, LoadError> {
    let o = ckpt.linear::<D, D>(o_proj, &sizes![])?;
    Ok(o.forward(x))
}

/// GPT-2's `c_proj`, square `(D, D)` and stored `(in, out)`, loaded as the layer it is.
pub fn gpt2_projection(
    ckpt: &Checkpoint,
    c_proj: &str,
    x: &Tensor<(B, S, D)>,
) -> Result<Tensor<(B, S, D)>, LoadError> {
    let proj = ckpt.conv1d::<D, D>(c_proj, &sizes![])?;
    Ok(proj.forward(x))
}

fn layer() -> Layer {
    Layer {
        q: Linear::new(Tensor::randn(1), None),
        k: Linear::new(Tensor::randn(2), None),
        v: Linear::new(Tensor::randn(3), None),
        wpe: Tensor::randn(4),
    }
}

fn cache(theta: f64) -> Cache {
    Cache {
        kv: KvCache::new(&sizes![]),
        rope: Rope::new(theta, RopeStyle::Halves, &sizes![]),
    }
}

#[test]
fn the_port_by_hand_matches_the_fused_path_step_by_step() {
    let layer = layer();
    let (mut fused, mut by_hand) = (cache(10_000.0), cache(10_000.0));
    for (seed, new) in [(10, 5), (11, 1), (12, 1)] {
        let x = Tensor::<(B, S, D)>::randn_in(seed, &sizes![S = new]);
        let x_fused = layer.embed_positions(&x, &mut fused).expect("fits");
        let x_hand = layer.embed_positions(&x, &mut by_hand).expect("fits");
        let a = layer.attend(&x_fused, &mut fused).expect("fits");
        let b = layer.attend_by_hand(&x_hand, &mut by_hand).expect("fits");
        let worst = a
            .as_slice()
            .iter()
            .zip(b.as_slice())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "step of {new}: {worst}");
    }
    // the prefill by hand is the fused kernel's attention over the prompt, merged
    let x = Tensor::<(B, S, D)>::randn_in(20, &sizes![S = 4]);
    let heads = |w: &Linear<D, D>| w.forward(&x).split_heads::<H, Dh>();
    let (q, k, v) = (heads(&layer.q), heads(&layer.k), heads(&layer.v));
    let fused = scaled_dot_product_attention(&q, &k, &v, Mask::Causal).merge_heads::<D>();
    let worst = fused
        .as_slice()
        .iter()
        .zip(layer.prefill_by_hand(&x).as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "{worst}");
}

/// The layers read the stored orientation: `x · Wᵀ` for `nn.Linear`'s `(out, in)`, `x · W + b`
/// for `Conv1D`'s `(in, out)` — the two readings a raw square tensor cannot tell apart.
#[test]
fn square_projections_load_as_layers_that_know_their_orientation() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let x = Tensor::<(B, S, D)>::randn_in(0, &sizes![S = 2]);
    let close = |a: &Tensor<(B, S, D)>, b: &Tensor<(B, S, D)>| {
        a.as_slice()
            .iter()
            .zip(b.as_slice())
            .all(|(x, y)| (x - y).abs() < 1e-4)
    };
    let llama = Checkpoint::open(fixtures.join("llama/model.safetensors")).expect("opens");
    let name = "model.layers.0.self_attn.o_proj";
    let got = out_projection(&llama, name, &x).expect("loads");
    let raw = llama
        .tensor::<(D, D)>(&format!("{name}.weight"), &sizes![])
        .expect("loads");
    assert!(close(&got, &x.matmul(&raw.t())));
    assert!(!close(&got, &x.matmul(&raw)));
    let gpt2 = Checkpoint::open(fixtures.join("gpt2/model.safetensors")).expect("opens");
    let name = "transformer.h.0.attn.c_proj";
    let got = gpt2_projection(&gpt2, name, &x).expect("loads");
    let w = gpt2
        .tensor::<(D, D)>(&format!("{name}.weight"), &sizes![])
        .expect("loads");
    let b = gpt2
        .tensor::<(D,)>(&format!("{name}.bias"), &sizes![])
        .expect("loads");
    assert!(close(&got, &x.matmul(&w).add(&b)));
    assert!(!close(&got, &x.matmul(&w.t()).add(&b)));
}
