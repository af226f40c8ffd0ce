use infralens::layers::Linear;
use infralens::prelude::candle::*;

dims! {
    pub S = 4;
    pub D = 16;
    pub F = 64;
}

fn main() {
    // `nn.Linear(D, F)` stores its weight `(F, D)`; this one was transposed on the way in.
    let up = Linear::new(Tensor::<(D, F)>::zeros(), None);
    let x = Tensor::<(S, D)>::zeros();
    let _h = up.forward(&x);
}
