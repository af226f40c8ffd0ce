use infralens::prelude::candle::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

struct Layer;

#[shapes(x: [B, S, D] -> [B, S, D])]
impl Layer {
    fn identity(&self, x: Tensor<(B, S, D)>) -> Tensor<(B, S, D)> {
        x
    }
}

fn main() {}
