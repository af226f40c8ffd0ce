use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}


macro_rules! twice {
    ($($body:tt)*) => { $($body)* };
}

#[shapes(x: [B, S, D] -> [B, S, D])]
fn identity(x: Tensor) -> Tensor {
    twice! {
        #[shape(B, S, D)]
        let y = x.scale(2.0);
    }
    x
}

fn main() {}
