use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    /// Head width typed in by hand, wrongly.
    pub Dh = 8;
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let _q = x.split_heads::<H, Dh>();
}
