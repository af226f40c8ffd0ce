use infralens::prelude::candle::*;

dims! {
    pub S = 4;
    pub D = 16;
}

// `x.t()` is a view of shape `(D, S)`: annotating it `(S, D)` is the mistake.
#[shapes(x: [S, D] -> [D, S])]
fn transposed(x: &Tensor) -> Tensor {
    #[shape(S, D)]
    let y = x.t();
    y.to_tensor()
}

fn main() {}
