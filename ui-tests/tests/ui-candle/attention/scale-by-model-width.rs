use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    // `1/sqrt(d_model)` where attention divides by `sqrt(d_head)`.
    let _q = q.attention_scale::<D>();
}
