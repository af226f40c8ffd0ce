use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub H = 2;
    pub C = 16;
    pub Dh = 4;
    pub S = dyn;
    pub T = dyn;
}

fn main() -> Result<(), ShapeError> {
    let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &sizes![S = 1]);
    let (keys, values) = cache.append::<S, T>(&q, &q)?;
    // PyTorch's `is_causal=True`, ported while decoding
    let _out = scaled_dot_product_attention(&q, keys, values, Mask::CausalTopLeft);
    Ok(())
}
