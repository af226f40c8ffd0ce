use infralens::prelude::candle::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub T = 128;
    pub Dh = 5;
}

fn main() {
    let _rope = Rope::<T, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
}
