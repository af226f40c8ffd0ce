use infralens::prelude::candle::*;

dims! {
    pub S = 4;
    pub D = 16;
    pub Three = 3;
    pub D2 = 2 * D; // a fused key/value projection, not q/k/v
}

fn main() {
    let kv = Tensor::<(S, D2)>::zeros();
    let _parts = kv.chunk::<Three, D>();
}
