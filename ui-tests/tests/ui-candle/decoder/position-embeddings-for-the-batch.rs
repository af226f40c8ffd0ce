use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
}

fn main() {
    let x = Tensor::<(B, S, D)>::zeros();
    // Position embeddings are `(S, D)`: one row per position, not per sequence.
    let wpe = Tensor::<(B, D)>::zeros();
    let _y = x.add(&wpe);
}
