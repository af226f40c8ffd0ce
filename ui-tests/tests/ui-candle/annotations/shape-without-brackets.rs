use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(x: B, S, D -> [B, S, D])]
fn identity(x: Tensor) -> Tensor {
    x
}

fn main() {}
