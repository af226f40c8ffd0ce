use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    /// Hidden width of the MLP.
    pub F = 64;
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    // A PyTorch `nn.Linear(D, F)` stores its weight (out, in) = (F, D).
    let w_up = Tensor::<(F, D)>::randn(1);
    let _h = x.matmul(&w_up);
}
