//! A GPT-2-style block as model code keeps it: `Conv1D` weights stored `(in, out)`, the
//! fused `c_attn` cut in three, learned position embeddings added to the tokens'.
use infralens::prelude::*;

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 4;
    pub MaxPos: Sequence = 32;
    pub D: ModelWidth = 16;
    pub D3 = 3 * D;
    pub Three = 3;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
    pub F = 4 * D;
}

/// GPT-2's attention and MLP weights, `(in, out)` as its `Conv1D` stores them.
pub struct Block {
    wpe: Tensor<(MaxPos, D)>,
    c_attn: Tensor<(D, D3)>,
    c_proj: Tensor<(D, D)>,
    c_fc: Tensor<(D, F)>,
    mlp_proj: Tensor<(F, D)>,
}

impl Block {
    /// Random weights.
    pub fn new() -> Self {
        Block {
            wpe: Tensor::randn(1),
            c_attn: Tensor::randn(2),
            c_proj: Tensor::randn(3),
            c_fc: Tensor::randn(4),
            mlp_proj: Tensor::randn(5),
        }
    }

    /// Token embeddings `(B, S, D)` plus positions, then causal attention and the MLP.
    #[shapes(tok: [B, S, D] -> [B, S, D])]
    pub fn forward(&self, tok: &Tensor) -> Tensor {
        let x = tok.add(&self.wpe.narrow::<0, S>(0, S::SIZE));
        let qkv = x.matmul(&self.c_attn).chunk::<Three, D>();
        let q = qkv[0].split_heads::<H, Dh>();
        let k = qkv[1].split_heads::<H, Dh>();
        let v = qkv[2].split_heads::<H, Dh>();
        let scores = q.attention_scale::<Dh>().matmul(&k.t());
        let ctx = scores.causal_mask().softmax().matmul(&v);
        let x = x.add(&ctx.merge_heads::<D>().matmul(&self.c_proj));
        let act = x.matmul(&self.c_fc).gelu_tanh();
        x.add(&act.matmul(&self.mlp_proj))
    }
}

impl Default for Block {
    fn default() -> Self {
        Self::new()
    }
}
