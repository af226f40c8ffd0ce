// TODO: this does not compile yet. `infralens lab 06 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — an odd head width.
//!
//! RoPE treats a head's lanes as `Dh / 2` pairs (complex numbers) and rotates each pair by an
//! angle: an odd width leaves a lane without a partner. Every real model's head width is even
//! (64, 128).
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 5;
    pub S: Sequence = 4;
    pub MaxPos: Sequence = 16;
}

#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]
fn rotate(q: &Tensor) -> Tensor {
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    q.rope(&rope, 0)
}

fn main() {
    println!("{}", rotate(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_0_is_not_rotated() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let r = rotate(&q);
        for d in 0..Dh::SIZE {
            assert!(
                (r.get(&[0, 1, 0, d]).unwrap() - q.get(&[0, 1, 0, d]).unwrap()).abs() < 1e-6,
                "expected {}, got {}",
                q.get(&[0, 1, 0, d]).unwrap(),
                r.get(&[0, 1, 0, d]).unwrap()
            );
        }
    }
}
