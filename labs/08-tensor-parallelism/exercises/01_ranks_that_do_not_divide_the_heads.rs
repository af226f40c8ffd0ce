// TODO: this does not compile yet. `infralens lab 08 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — a tensor-parallel size that does not divide the heads.
//!
//! Megatron-style tensor parallelism gives each rank `H / TP` whole heads: attention never
//! needs another rank's head. `TP = 3` with `H = 4` has no such split (vLLM refuses it:
//! "Total number of attention heads must be divisible by tensor parallel size").
use infralens::prelude::*;

dims! {
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
    pub Tp = 3;
    pub Hr = H / Tp;
    pub Dr = Hr * Dh;
}

fn main() {
    println!("{} heads per rank, {} wide", Hr::SIZE, Dr::SIZE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranks_cover_the_heads() {
        assert_eq!(Hr::SIZE * Tp::SIZE, H::SIZE);
        assert_eq!(Dr::SIZE * Tp::SIZE, D::SIZE);
    }
}
