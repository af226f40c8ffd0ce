use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = dyn;
    pub D = 16;
}

fn main() {
    let _x = Tensor::<(B, S, D)>::zeros();
}
