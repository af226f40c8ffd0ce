use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn scores(q: &Tensor<(B, H, S, Dh)>, k: &Tensor<(B, H, S, Dh)>) -> Tensor<(B, H, S, S)> {
    q.matmul(&k.t())
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    // `view(B, S, H, Dh)` without the `transpose(1, 2)`: with these sizes S = H = 4.
    let q = x.reshape::<(B, S, H, Dh)>();
    let k = Tensor::<(B, H, S, Dh)>::randn(1);
    let _s = scores(&q, &k);
}
