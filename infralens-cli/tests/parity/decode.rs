//! A decode step as model code writes it: a norm in a tuple field, a fused projection cut
//! with `chunk` and destructured through `try_into`, weights in a struct passed as a
//! parameter, and a KV cache whose `append` hands out the views attention reads. The parity
//! test plants one real bug at a time and asks the lint and the compiler for it.
use infralens::layers::RmsNorm;
use infralens::prelude::*;

dims! {
    pub B = 1;
    pub S = dyn;
    pub T = dyn;
    pub C = 8;
    pub D = 16;
    pub H = 4;
    pub Hkv = 2;
    pub Dh = D / H;
    pub Dkv = Hkv * Dh;
    pub Three = 3;
    pub D3 = Three * D;
}

/// GPT-2 keeps its norms as layers of their own.
pub struct Norm(pub RmsNorm<D>);
/// The key and value projections, stored `(out, in)`.
pub struct Weights {
    pub wk: Tensor<(Dkv, D)>,
    pub wv: Tensor<(Dkv, D)>,
}
/// The start of a GPT-2-style block.
pub struct Block {
    pub ln_1: Norm,
    pub c_attn: Tensor<(D, D3)>,
}

impl Block {
    #[shapes(x: [B, S, D] -> [B, S, D])]
    pub fn first(&self, x: &Tensor) -> Tensor {
        let h = self.ln_1.0.forward(x);
        let [q, _k, _v]: [Tensor<(B, S, D)>; 3] = h
            .matmul(&self.c_attn)
            .chunk::<Three, D>()
            .try_into()
            .expect("3");
        q
    }
}

#[shapes(x: [B, S, D], q: [B, H, S, Dh] -> [B, H, S, Dh])]
pub fn step(x: &Tensor, q: &Tensor, w: &Weights, cache: &mut KvCache<B, Hkv, C, Dh>) -> Tensor {
    let (k, v) = (
        x.matmul(&w.wk.t()).split_heads::<Hkv, Dh>(),
        x.matmul(&w.wv.t()).split_heads::<Hkv, Dh>(),
    );
    let (keys, values) = cache.append::<S, T>(&k, &v).expect("room");
    grouped_query_attention(q, keys, values, Mask::Causal)
}

/// The scores against every cached position, op by op.
#[shapes(q: [B, H, S, Dh] -> [B, H, S, T])]
pub fn scores(q: &Tensor, cache: &KvCache<B, Hkv, C, Dh>) -> Tensor {
    let keys = cache.keys::<T>().expect("filled");
    q.matmul(&keys.to_tensor().repeat_kv::<H>().t())
}
