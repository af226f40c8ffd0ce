use infralens::prelude::candle::*;

#[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn], where Dm = Hn)]
fn split<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
    x.split_heads::<Hn, Dhn>()
}

fn main() {}
