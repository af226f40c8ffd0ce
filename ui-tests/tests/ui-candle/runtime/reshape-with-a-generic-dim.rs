use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn heads<Sq: Dim>(x: Tensor<(B, Sq, D)>) -> Tensor<(B, Sq, H, Dh)> {
    x.reshape()
}

fn main() {}
