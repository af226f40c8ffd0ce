use infralens::prelude::candle::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub H: Heads = 8;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = 4;
}

fn main() {
    // Keys still in `(B, S, Hkv, Dh)` order: axis 1 is the sequence, not the heads.
    let k = Tensor::<(B, S, Hkv, Dh)>::zeros_in(&sizes![S = 8]);
    let _all = k.repeat_kv::<H>();
}
