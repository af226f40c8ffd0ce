use infralens::prelude::candle::*;

dims! {
    pub B = 0;
}

fn main() {}
