use infralens::prelude::candle::*;

dims! {
    pub S: Seq = dyn;
}

fn main() {}
