use infralens::prelude::candle::*;

dims! {
    pub B: Batch = dyn;
    pub S: Sequence = dyn;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

fn main() {
    let at = sizes![B = 2, S = 4];
    let x = Tensor::<(B, S, D)>::randn_in(0, &at);
    let w = Tensor::<(D, D)>::randn(1);
    // `view(B, S, H, Dh)` without the `transpose(1, 2)`, and no `#[shape]` anywhere.
    let q = x.matmul(&w).split_last::<H, Dh>();
    let k = x.matmul(&w).split_last::<H, Dh>();
    let v = x.matmul(&w).split_last::<H, Dh>();
    let _out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
}
