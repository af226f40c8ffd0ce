use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::zeros();
    // Qwen3's q_norm is over the head width, not the model width.
    let q_norm = Tensor::<(D,)>::ones();
    let _q = q.rms_norm(&q_norm, 1e-6);
}
