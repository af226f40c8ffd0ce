use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
    /// The MLP width, not the model width.
    pub F = 64;
}

fn main() {
    let out = Tensor::<(B, H, S, Dh)>::randn(0);
    let _y = out.merge_heads::<F>();
}
