use infralens::prelude::candle::*;

#[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn], where Dm = Hn * Dhn)]
fn heads<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
    x.split_heads::<Hn, Dhn>()
}

dims! {
    pub B = 1;
    pub S = 2;
    pub D = 16;
    pub H = 4;
    /// Typed in by hand, wrongly.
    pub Dh = 8;
}

fn main() {
    let _q: Tensor<(B, H, S, Dh)> = heads(&Tensor::<(B, S, D)>::zeros());
}
