use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    /// Decoder positions (queries).
    pub S = 4;
    /// Encoder positions (keys and values of cross-attention).
    pub T = 6;
    pub H = 4;
    pub Dh = 4;
}

fn main() {
    let p = Tensor::<(B, H, S, T)>::randn(1).softmax();
    // Values projected from the decoder instead of the encoder memory.
    let v = Tensor::<(B, H, S, Dh)>::randn(2);
    let _out = p.matmul(&v);
}
