use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub H = 4;
    /// Key/value heads of grouped-query attention.
    pub Hkv = 2;
    pub Dh = 4;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(1);
    let k = Tensor::<(B, Hkv, S, Dh)>::randn(2);
    let _scores = q.matmul(&k.t());
}
