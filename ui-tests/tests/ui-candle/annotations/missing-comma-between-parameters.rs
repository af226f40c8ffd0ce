use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(x: [B, S, D] wq: [D, D] -> [B, S, D])]
fn project(x: &Tensor, wq: &Tensor) -> Tensor {
    x.matmul(wq)
}

fn main() {}
