use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub P = 5;
    pub S = 1;
    pub T = P + S;
    pub D = 16;
    pub Dh = 4;
}

fn main() {
    let past = Tensor::<(B, P, D)>::zeros();
    let new = Tensor::<(B, S, Dh)>::zeros();
    let _all = cat::<1, T, _, _, _>(&past, &new);
}
