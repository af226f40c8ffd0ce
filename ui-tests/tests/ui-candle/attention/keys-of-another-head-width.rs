use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub H = 4;
    pub S = 4;
    pub Dh = 8;
    /// The model width: keys projected but never split into heads.
    pub Dk = 16;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    let k = Tensor::<(B, H, S, Dk)>::randn(1);
    let v = Tensor::<(B, H, S, Dh)>::randn(2);
    let _ctx = scaled_dot_product_attention(&q, &k, &v, Mask::None);
}
