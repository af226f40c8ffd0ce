use infralens::prelude::candle::*;

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

fn main() {
    let x = Tensor::<(B, S, D)>::zeros();
    // `D` splits into heads, then head width: `(…, H, Dh)`, not `(…, Dh, H)`.
    let _heads = x.reshape::<(B, S, Dh, H)>();
}
