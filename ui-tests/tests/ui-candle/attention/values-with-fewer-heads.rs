use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub H = 4;
    pub Hkv = 2;
    pub S = 4;
    pub Dh = 8;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    let k = Tensor::<(B, H, S, Dh)>::randn(1);
    // The keys were repeated for GQA, the values were not.
    let v = Tensor::<(B, Hkv, S, Dh)>::randn(2);
    let _ctx = scaled_dot_product_attention(&q, &k, &v, Mask::None);
}
