use infralens::prelude::candle::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub MaxPos: Sequence = 16;
    pub D: ModelWidth = 16;
}

fn main() {
    // Frequencies from `hidden_size` instead of `head_dim`: a known porting bug.
    let rope = Rope::<MaxPos, D>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    println!("{:?}", rope.style());
}
