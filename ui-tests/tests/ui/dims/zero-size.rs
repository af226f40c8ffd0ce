use infralens::prelude::*;

dims! {
    pub B = 0;
}

fn main() {}
