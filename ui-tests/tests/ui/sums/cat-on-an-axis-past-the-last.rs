use infralens::prelude::*;

dims! {
    pub B = 1;
    pub H = 2;
    pub P = 3;
    pub S = 1;
    pub T = P + S;
    pub Dh = 8;
}

fn main() {
    let past = Tensor::<(B, H, P, Dh)>::randn(0);
    let new = Tensor::<(B, H, S, Dh)>::randn(1);
    // Axes are numbered from 0: a rank-4 tensor has no axis 4.
    let _keys = cat::<4, T, _, _, _>(&past, &new);
}
