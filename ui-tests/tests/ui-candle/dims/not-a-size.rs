use infralens::prelude::candle::*;

dims! {
    pub D = 16;
    pub H = 4;
    pub Dh = D - H;
}

fn main() {}
