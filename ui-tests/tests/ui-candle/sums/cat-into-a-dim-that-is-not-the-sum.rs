use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub P = 5;
    pub S = 1;
    pub T = 5; // should be `P + S`
    pub D = 16;
}

fn main() {
    let past = Tensor::<(B, P, D)>::zeros();
    let new = Tensor::<(B, S, D)>::zeros();
    let _all = cat::<1, T, _, _, _>(&past, &new);
}
