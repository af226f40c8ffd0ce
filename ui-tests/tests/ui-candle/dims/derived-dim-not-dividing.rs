use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 18;
    pub H = 4;
    pub Dh = D / H;
}

fn main() {}
