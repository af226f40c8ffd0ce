use infralens::prelude::candle::*;

dims! {
    pub B: Batch = 2;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

fn main() {
    let ctx = Tensor::<(B, H, S, Dh)>::zeros();
    // `ctx.view(B, S, D)` without `transpose(1, 2)`: the heads would be merged into the
    // width of the wrong positions.
    let _merged = ctx.reshape::<(B, S, D)>();
}
