use infralens::prelude::candle::*;

// Without `where Dm = Hn * Dhn`, nothing says the heads partition `Dm`.
#[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn])]
fn heads<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
    x.split_heads::<Hn, Dhn>()
}

fn main() {}
