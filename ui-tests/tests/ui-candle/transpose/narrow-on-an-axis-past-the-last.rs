use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub T = 6;
    pub D = 4;
    pub One = 1;
}

fn main() {
    let x = Tensor::<(B, T, D)>::randn(0);
    // PyTorch's `x[:, -1:]` is axis 1; axes are numbered from 0, so `(B, T, D)` has no axis 3.
    let _last = x.narrow::<3, One>(5, 1);
}
