use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(1);
    let k = Tensor::<(B, H, S, Dh)>::randn(2);
    let _scores = q.matmul(&k);
}
