use infralens::prelude::candle::*;

dims! {
    pub S = dyn;
    pub T = S + 1;
}

fn main() {}
