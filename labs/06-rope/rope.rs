//! Lab 06 — RoPE: the starter.
use infralens::cost::count;
use infralens::prelude::*;
use infralens::{Rope, RopeStyle};

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 8;       // even: RoPE rotates lanes in pairs
    pub S: Sequence = dyn;       // the positions being rotated
    pub MaxPos: Sequence = 64;   // the positions the table covers
}

/// Rotates queries or keys `(B, H, S, Dh)` by their positions `offset .. offset + S`.
#[shapes(x: [B, H, S, Dh] -> [B, H, S, Dh])]
fn rotate(x: &Tensor, rope: &Rope<MaxPos, Dh>, offset: usize) -> Tensor {
    x.rope(rope, offset)
}

fn main() {
    // Hugging Face's convention: lane i pairs with lane i + Dh/2 (`rotate_half`).
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    let one = sizes![S = 1];
    let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &one);
    let k = Tensor::<(B, H, S, Dh)>::randn_in(1, &one);

    // The score of a query at position m with a key at position n depends on m − n only.
    let score = |m: usize, n: usize| {
        let (qm, kn) = (rotate(&q, &rope, m), rotate(&k, &rope, n));
        qm.matmul(kn.t()).get(&[0, 0, 0, 0]).unwrap_or(f32::NAN)
    };
    println!("score(q at 5, k at 3) = {:.5}", score(5, 3));
    println!(
        "score(q at 9, k at 7) = {:.5}  (the same distance: the same score)",
        score(9, 7)
    );
    println!("score(q at 9, k at 3) = {:.5}", score(9, 3));

    // Decoding: rotating the last position alone, at its offset, equals rotating them all.
    let four = sizes![S = 4];
    let x = Tensor::<(B, H, S, Dh)>::randn_in(2, &four);
    let (all, cost) = count(|| rotate(&x, &rope, 0));
    let last = rotate(&x.narrow::<2, S>(3, 1), &rope, 3);
    println!(
        "position 3 alone at offset 3 = position 3 of all: {}",
        all.narrow::<2, S>(3, 1) == last
    );
    // RoPE multiplies element by element: no products, no weights.
    print_cost("rotate at S = 4", cost);
}

/// One line per function its diagram draws: the FLOPs of its products and the weight
/// parameters they read, counted as it ran (`infralens explain FILE::FUNCTION` states the
/// same totals without running it).
fn print_cost(function: &str, cost: infralens::cost::Cost) {
    println!(
        "cost of {function}: {} FLOPs, {} weight parameters",
        cost.flops, cost.params
    );
}
