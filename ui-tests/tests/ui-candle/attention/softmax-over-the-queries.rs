use infralens::prelude::candle::*;

dims! {
    pub B = 1;
    pub H = 2;
    pub S = 4;
    pub T = 4;
    pub Dh = 8;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(1);
    let k = Tensor::<(B, H, T, Dh)>::randn(2);
    // transposed on the way: the softmax would run over the queries
    let _p = q.matmul(&k.t()).transpose::<2, 3>().softmax_over::<T>();
}
