use infralens::prelude::candle::*;

dims! {
    pub D = H * Dh;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {}
