//! A Llama-style attention block as model code keeps it: weights in struct fields, stored
//! `(out, in)` as `nn.Linear` stores them, RoPE tables and a KV cache beside them. The
//! parity test plants one real bug at a time and asks the lint and the compiler for it.
use infralens::layers::{Linear, RmsNorm};
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 4;
    pub P: Sequence = 3;
    pub T: Sequence = P + S;
    pub MaxPos: Sequence = 64;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 8;
    pub Dq = H * Dh;
    pub Dkv = Hkv * Dh;
    pub F = 48;
}

/// Grouped-query attention with a cache of `P` past positions (Qwen3's widths: `H·Dh ≠ D`).
pub struct Attention {
    wq: Tensor<(Dq, D)>,
    wk: Tensor<(Dkv, D)>,
    wv: Tensor<(Dkv, D)>,
    wo: Tensor<(D, Dq)>,
    rope: Rope<MaxPos, Dh>,
    cache_k: Tensor<(B, Hkv, P, Dh)>,
    cache_v: Tensor<(B, Hkv, P, Dh)>,
}

impl Attention {
    /// Random weights and an empty-looking cache.
    pub fn new() -> Self {
        Attention {
            wq: Tensor::randn(1),
            wk: Tensor::randn(2),
            wv: Tensor::randn(3),
            wo: Tensor::randn(4),
            rope: Rope::new(10_000.0, RopeStyle::Halves, &sizes![]),
            cache_k: Tensor::randn(5),
            cache_v: Tensor::randn(6),
        }
    }

    /// `(B, S, D) → (B, S, D)`: the new positions attend over the cache and themselves.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let q = x.matmul(&self.wq.t()).split_heads::<H, Dh>();
        let k = x.matmul(&self.wk.t()).split_heads::<Hkv, Dh>();
        let v = x.matmul(&self.wv.t()).split_heads::<Hkv, Dh>();
        let q = q.rope(&self.rope, P::SIZE);
        let k = k.rope(&self.rope, P::SIZE);
        let keys = cat::<2, T, _, _, _>(&self.cache_k, &k);
        let values = cat::<2, T, _, _, _>(&self.cache_v, &v);
        let keys = keys.repeat_kv::<H>();
        let values = values.repeat_kv::<H>();
        #[shape(B, H, S, T)]
        let scores = q.attention_scale::<Dh>().matmul(&keys.t());
        let weights = scores.masked(Mask::Causal).softmax();
        let ctx = weights.matmul(&values);
        ctx.merge_heads::<Dq>().matmul(&self.wo.t())
    }
}

impl Default for Attention {
    fn default() -> Self {
        Self::new()
    }
}

/// The MLP of a Llama block: SwiGLU through `Linear` layers.
pub struct Mlp {
    norm: RmsNorm<D>,
    gate: Linear<D, F>,
    up: Linear<D, F>,
    down: Linear<F, D>,
}

impl Mlp {
    /// Random weights.
    pub fn new() -> Self {
        Mlp {
            norm: RmsNorm::new(Tensor::ones(), 1e-6),
            gate: Linear::new(Tensor::randn(7), None),
            up: Linear::new(Tensor::randn(8), None),
            down: Linear::new(Tensor::randn(9), None),
        }
    }

    /// `x + down(silu(gate(norm(x))) · up(norm(x)))`.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.norm.forward(x);
        let act = self.gate.forward(&h).silu().mul(&self.up.forward(&h));
        x.add(&self.down.forward(&act))
    }
}

impl Default for Mlp {
    fn default() -> Self {
        Self::new()
    }
}
