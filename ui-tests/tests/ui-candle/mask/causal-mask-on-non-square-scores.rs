use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub H = 4;
    /// Decoder positions.
    pub S = 4;
    /// Encoder positions.
    pub T = 6;
}

fn main() {
    let scores = Tensor::<(B, H, S, T)>::randn(0);
    let _masked = scores.causal_mask();
}
