use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub H = 2;
    pub P = 3;
    pub S = 1;
    pub T = P + S;
    pub Dh = 8;
    pub Dk = 4;
}

fn main() {
    let past = Tensor::<(B, H, P, Dh)>::randn(0);
    let new = Tensor::<(B, H, S, Dk)>::randn(1);
    let _keys = cat::<2, T, _, _, _>(&past, &new);
}
