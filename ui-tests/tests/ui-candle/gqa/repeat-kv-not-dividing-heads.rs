use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub H = 4;
    /// Three key/value heads cannot serve four query heads evenly.
    pub Hkv = 3;
    pub Dh = 4;
}

fn main() {
    let k = Tensor::<(B, Hkv, S, Dh)>::randn(0);
    let _k = k.repeat_kv::<H>();
}
