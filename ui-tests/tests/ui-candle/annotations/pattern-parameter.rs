use infralens::prelude::candle::*;

dims! {
    pub S = 4;
    pub D = 8;
}

// A pair destructured in the parameter list: it has no name to annotate.
#[shapes(x: [S, D] -> [S, D])]
fn first((x, _y): (&Tensor, &Tensor)) -> Tensor {
    x.clone()
}

fn main() {}
