use infralens::prelude::*;

dims! {
    pub S: Seq = dyn;
}

fn main() {}
