use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(x: [B, S, D] -> [B, H, S, Dh])]
fn heads(x: Tensor) -> Tensor {
    #[shape(B, H, S, Dh)]
    let q = x.reshape::<(B, S, H, Dh)>();
    q.transpose::<1, 1>()
}

fn main() {}
