//! Lab 03 — Scores, scale, softmax and masks: the starter.
use infralens::cost::count;
use infralens::prelude::*;

dims! {
    pub B: Batch = 2;          // batch: two sequences
    pub H: Heads = 2;          // attention heads
    pub Dh: HeadWidth = 4;     // head width: what Q·K^T contracts
    pub S: Sequence = dyn;     // query positions this pass: the prompt, then 1
    pub T: Sequence = dyn;     // key positions: everything cached so far
}

/// Scores `(B, H, S, T)`: every query position against every key position, scaled.
#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh] -> [B, H, S, T])]
fn scores(q: &Tensor, k: &Tensor) -> Tensor {
    // 1/sqrt(Dh): the width the dot products run over.
    q.attention_scale::<Dh>().matmul(k.t())
}

/// Attention weights: the mask hides keys, the softmax normalises each query's row.
#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]
fn weights(scores: &Tensor, mask: Mask<'_>) -> Tensor {
    scores.masked(mask).softmax()
}

fn main() {
    // Prefill: 4 prompt positions attend to the same 4 positions, causally.
    let prefill = sizes![S = 4, T = 4];
    let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &prefill);
    let k = Tensor::<(B, H, T, Dh)>::randn_in(1, &prefill);
    let (s, scoring) = count(|| scores(&q, &k));
    let (p, weighing) = count(|| weights(&s, Mask::Causal));
    println!("prefill weights {}:", p.describe());
    print_rows(&p);
    print_cost("scores at S = 4, T = 4", scoring);
    print_cost("weights at S = 4, T = 4", weighing);

    // Decode: 1 new position against 5 cached keys. Bottom-right alignment: the new
    // query is position 4 and sees keys 0..=4 — all of them.
    let decode = sizes![S = 1, T = 5];
    let q = Tensor::<(B, H, S, Dh)>::randn_in(2, &decode);
    let k = Tensor::<(B, H, T, Dh)>::randn_in(3, &decode);
    let p = weights(&scores(&q, &k), Mask::Causal);
    println!("decode weights {}:", p.describe());
    print_rows(&p);

    // Padding: sequence 1 of the batch has only 3 real keys; a sliding window of 2.
    let lengths = [5, 3];
    let p = weights(&scores(&q, &k), Mask::Causal.with_key_lengths(&lengths));
    println!("with padding (key lengths {lengths:?}):");
    print_rows(&p);
    let p = weights(&scores(&q, &k), Mask::sliding_window(2));
    println!("sliding window of 2:");
    print_rows(&p);
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

/// Head 0's rows of each batch entry, two decimals.
fn print_rows(p: &Tensor<(B, H, S, T)>) {
    let [_, _, s, t] = [p.sizes()[0], p.sizes()[1], p.sizes()[2], p.sizes()[3]];
    for b in 0..2 {
        for i in 0..s {
            let row: Vec<String> = (0..t)
                .map(|j| format!("{:.2}", p.get(&[b, 0, i, j]).unwrap_or(f32::NAN)))
                .collect();
            println!("  b={b} query {i}: [{}]", row.join(", "));
        }
    }
}
