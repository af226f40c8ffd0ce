use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub F = 64;
}

fn main() {
    let x = Tensor::<(B, S, D)>::zeros();
    // A bias for the MLP's hidden width added to the model width.
    let b_fc = Tensor::<(F,)>::zeros();
    let _y = x.add(&b_fc);
}
