use infralens::prelude::*;

dims! {
    pub S = dyn;
    pub T = S + 1;
}

fn main() {}
