use infralens::prelude::candle::*;

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

fn main() {
    // The attention output is `(B, H, S, Dh)`; this one is still `(B, S, H, Dh)`.
    let ctx = Tensor::<(B, S, H, Dh)>::zeros();
    let _merged = ctx.merge_heads::<D>();
}
