use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let _y = x.transpose::<1, 3>();
}
