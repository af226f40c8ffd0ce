use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub H = 4;
    pub S = 4;
    pub T = 6;
    pub Dh = 4;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(1);
    let k = Tensor::<(B, H, T, Dh)>::randn(2);
    let v = Tensor::<(B, H, S, Dh)>::randn(3);
    let _out = scaled_dot_product_attention(&q, &k, &v, Mask::None);
}
